"""`python -m owned trace`'s printout: the script's source with each line's events as comments.

The comments read the way the seed article annotates its Rust code (`# alloc years [4 cells
@0x0]`, `# move years -> print_years`, `# dealloc years`), then one summary line per arena.
"""

from __future__ import annotations

import linecache
from collections import Counter
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import Final

from ._bytecode import display_filename, positions
from ._diagnostics import headline
from ._errors import OwnershipError
from ._events import EventGroup
from ._trace_run import Place, Trace

__all__ = ["annotate", "worded"]

_CELLS_TAKEN: Final = {"alloc": 1, "dealloc": -1}  # times the block's size
_MAX_PER_LINE: Final = 6  # distinct annotations on one line before "+N more"
_COMMENT_COLUMN: Final = 48  # where comments start, unless the code is longer
_COMMENT_STYLE: Final = "\x1b[36m"
_RESET: Final = "\x1b[0m"


@dataclass(slots=True)
class _Wording:
    """One way a group's events read, and how many of them read so."""

    index: int  # the group's
    text: str | None  # None: not shown (the code shows it)
    name: str | None  # the block's name after the event
    count: int = 0


def worded(trace: Trace) -> tuple[list[_Wording], list[str | None]]:
    """How the events read, in the order each wording first happens, and each row's text.

    A block keeps the name of its latest owner across moves, so the words depend on what came
    before; a loop's events read alike, so each wording of a group is worked out once and the
    events that read so are counted, not listed.
    """
    groups = trace.groups
    arenas = [placed.arena for placed in groups]
    names: dict[tuple[int, int, int], str | None] = {}  # (arena, address, generation) -> name
    wordings: dict[tuple[int, int, str | None], _Wording] = {}
    texts: list[str | None] = []
    for _, address, generation, index in trace.rows:
        block = (arenas[index], address, generation)
        name = names.get(block)
        key = (index, address, name)
        wording = wordings.get(key)
        if wording is None:
            wording = wordings[key] = _Wording(
                index, *_described(groups[index].group, address, name)
            )
        wording.count += 1
        if wording.name is not name:  # a rename (a name that stands is the same object)
            names[block] = wording.name
        texts.append(wording.text)
    return list(wordings.values()), texts


def _described(group: EventGroup, address: int, owner: str | None) -> tuple[str | None, str | None]:
    """An event in words, and its block's name after it (`owner`: the name before it)."""
    kind, event_name = group.kind, group.name
    name = owner or event_name or f"<{group.value_type}>"
    if kind == "alloc":
        name = event_name or name
        cells = "cell" if group.size == 1 else "cells"
        return f"alloc {name} [{group.size} {cells} @0x{address:x}]", name
    if kind == "move":
        receiver = group.detail if group.detail not in (None, "root") else event_name
        return f"move {name} -> {receiver or 'a new owner'}", event_name or name
    if kind == "release" and group.site is None:
        return None, owner  # the end of a `with` block or of a call: shown by the code itself
    return f"{kind} {name}", name


def _by_place(trace: Trace, wordings: list[_Wording]) -> dict[Place, dict[str, int]]:
    """Each line's events in words, in the order they first happen, with how often."""
    by_place: dict[Place, dict[str, int]] = {}
    for wording in wordings:
        if wording.text is not None:
            texts = by_place.setdefault(trace.groups[wording.index].place, {})
            texts[wording.text] = texts.get(wording.text, 0) + wording.count
    return by_place


def annotate(trace: Trace, *, color: bool = False) -> str:
    """The script's source with each line's events as a trailing comment, then the rest."""
    wordings, _ = worded(trace)
    by_place = _by_place(trace, wordings)
    error = trace.error
    if isinstance(error, OwnershipError) and error.used_at is not None:  # where it happened
        used_at = error.used_at
        code = f"[{error.code}]" if error.code else ""
        place = (used_at.filename, positions(used_at.code, used_at.offset)[0])
        texts = by_place.setdefault(place, {})
        text = f"error{code}: {headline(error)}"
        texts[text] = texts.get(text, 0) + 1
    out = [f"# owned trace of {display_filename(trace.script)}"]
    lines = linecache.getlines(trace.script)
    out += _annotated_lines(trace.script, range(1, len(lines) + 1), by_place, color)
    others = sorted({f for f, _ in by_place if f is not None and f != trace.script})
    for filename in others:
        numbers = sorted(n for f, n in by_place if f == filename and n is not None)
        out += ["", f"# events in {display_filename(filename)}"]
        out += _annotated_lines(filename, numbers, by_place, color, numbered=True)
    unplaced = by_place.get((None, None))
    if unplaced:
        out += ["", "# events without a source line: " + _joined(unplaced)]
    out += ["", *_summaries(trace, wordings)]
    return "\n".join(out) + "\n"


def _annotated_lines(
    filename: str,
    numbers: range | list[int],
    by_place: dict[Place, dict[str, int]],
    color: bool,
    *,
    numbered: bool = False,
) -> list[str]:
    texts = {n: linecache.getline(filename, n).rstrip() for n in numbers}
    if numbered:
        texts = {n: f"{n:>5}: {text}" for n, text in texts.items()}
    annotated = [len(texts[n]) for n in numbers if (filename, n) in by_place]
    column = min(max(annotated, default=0) + 2, _COMMENT_COLUMN) if annotated else 0
    out = []
    for number in numbers:
        text = texts[number]
        notes = by_place.get((filename, number))
        if notes:
            comment = "# " + _joined(notes)
            if color:
                comment = f"{_COMMENT_STYLE}{comment}{_RESET}"
            text = f"{text:<{max(column, len(text) + 2)}}{comment}"
        out.append(text)
    return out


def _joined(counts: dict[str, int]) -> str:
    distinct = list(counts)
    shown = [text if counts[text] == 1 else f"{text} (x{counts[text]})" for text in distinct]
    if len(shown) > _MAX_PER_LINE:
        rest = sum(counts[text] for text in distinct[_MAX_PER_LINE:])
        shown = [*shown[:_MAX_PER_LINE], f"+{rest} more"]
    return "; ".join(shown)


def _summaries(trace: Trace, wordings: list[_Wording]) -> list[str]:
    """One line per arena: allocations, deallocations and the peak of live cells."""
    kinds: dict[int, Counter[str]] = {}
    for wording in wordings:  # which count every event
        placed = trace.groups[wording.index]
        kinds.setdefault(placed.arena, Counter())[placed.group.kind] += wording.count
    live, peak = _cells(trace)
    out = []
    for arena, counts in sorted(kinds.items()):
        which = "the default arena" if arena == 0 else f"arena #{arena}"
        borrows = counts["borrow"] + counts["borrow_mut"]
        out.append(
            f"# {which}: {_count(counts['alloc'], 'alloc')}, "
            f"{_count(counts['dealloc'], 'dealloc')}, {_count(counts['move'], 'move')}, "
            f"{_count(borrows, 'borrow')}, peak {_count(peak[arena], 'cell')}, "
            f"{_count(live[arena], 'cell')} live at exit"
        )
    return out or ["# no ownership events"]


def _cells(trace: Trace) -> tuple[list[int], list[int]]:
    """Each arena's live cells at the end and their peak: a running sum of allocs and deallocs."""
    groups = trace.groups
    taken = [_CELLS_TAKEN.get(placed.group.kind, 0) * placed.group.size for placed in groups]
    arenas = 1 + max((placed.arena for placed in groups), default=0)
    live, peak = [0] * arenas, [0] * arenas
    indexes = list(map(itemgetter(3), trace.rows))
    for index in compress(indexes, map(taken.__getitem__, indexes)):  # the allocs and deallocs
        arena = groups[index].arena
        live[arena] += taken[index]
        peak[arena] = max(peak[arena], live[arena])
    return live, peak


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
