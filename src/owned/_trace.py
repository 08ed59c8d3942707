"""`python -m owned trace`: run a script with event recording on, then show what it did.

The script's source is printed with the ownership events of each line as trailing comments,
the way the seed article annotates its Rust code (`# alloc years [4 cells @0x0]`,
`# move years -> print_years`, `# dealloc years`); the events can also be written as JSON and
drawn as a picture of the arena over time.
"""

from __future__ import annotations

import bisect
import linecache
import os
import runpy
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from typing import IO, Any, Final, NamedTuple

from ._arena import record_new_arenas
from ._bytecode import display_filename, is_function_end, last_line, positions, with_exit
from ._diagnostics import headline
from ._errors import OwnershipError
from ._events import Event, EventGroup, EventLog, EventRow, keep_new_logs
from ._scope import ROOT, drop_root_values
from ._sites import Site

__all__ = ["Trace", "annotate", "events_json", "plot", "print_error", "run_traced"]

_END_KINDS: Final = frozenset({"dealloc", "release"})
_CELLS_TAKEN: Final = {"alloc": 1, "dealloc": -1}  # times the block's size
_MAX_PER_LINE: Final = 6  # distinct annotations on one line before "+N more"
_COMMENT_COLUMN: Final = 48  # where comments start, unless the code is longer
_COMMENT_STYLE: Final = "\x1b[36m"
_RESET: Final = "\x1b[0m"


# A file and line to show events on; (None, None) for events without a source line.
Place = tuple[str | None, int | None]


class PlacedGroup(NamedTuple):
    """A group of alike events (see `EventGroup`), its arena and the line it is shown on."""

    group: EventGroup
    arena: int  # 0 is the default arena, then in order of first use
    place: Place


@dataclass
class Trace:
    """What running a script under `python -m owned trace` recorded.

    A loop makes many alike events: each event is a row of ints, `(time_ns, address,
    generation, index)`, and what its group shares is worked out once, in `groups[index]`.
    """

    script: str
    groups: list[PlacedGroup] = field(default_factory=list)
    rows: list[EventRow] = field(default_factory=list)  # every event, oldest first
    error: BaseException | None = None
    exit_code: int = 0
    started_ns: int = 0


def run_traced(script: str, args: list[str] | None = None) -> Trace:
    """Run `script` as `__main__` with `args`, recording every arena's events.

    What the root scope still owns when the script ends is dropped then (as at the end of
    Rust's `main`), so that its deallocations are part of the trace.
    """
    path = os.path.abspath(script)
    trace = Trace(script=path, started_ns=time.perf_counter_ns())
    root_arena = ROOT.arena
    was_recording = root_arena.is_recording
    kept = keep_new_logs(True)
    root_arena.record_events(True)
    root_log = root_arena._event_log()
    logs: list[EventLog] = [root_log] if root_log is not None else []
    record_new_arenas(True)
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script, *(args or [])]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        trace.exit_code = _exit_code(exit_.code)
    except BaseException as error:  # shown after the trace, as Python would show it
        trace.error = error
        trace.exit_code = 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        record_new_arenas(False)
        keep_new_logs(False)
        logs += [log for log in kept if log not in logs]
        exit_ns = time.perf_counter_ns()
        _drop_what_the_script_left(logs)
        trace.groups, trace.rows = _placed(logs, path, exit_ns)
        if not was_recording:
            root_arena.record_events(False)
    return trace


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _drop_what_the_script_left(logs: list[EventLog]) -> None:
    """Drop, newest first, the values made during the run that the root scope still owns."""
    made_here = {id(raw[1]) for log in logs for raw in log._raw if raw[0] in ("alloc", "move")}
    drop_root_values(lambda handle: id(handle) in made_here)


def _placed(
    logs: list[EventLog], script: str, exit_ns: int
) -> tuple[list[PlacedGroup], list[EventRow]]:
    """Every log's groups, each placed on the line it is shown on, and all rows, oldest first."""
    placed: list[PlacedGroup] = []
    rows: list[EventRow] = []
    lines: dict[tuple[Site, bool], int] = {}  # many groups share a site: place it once
    for arena, log in enumerate(logs):
        groups, log_rows = log.grouped()
        offset = len(placed)  # the log's group indexes, as indexes into `placed`
        placed += [_place(group, arena, lines) for group in groups]
        rows += [(t, a, g, i + offset) for t, a, g, i in log_rows] if offset else log_rows
    rows.sort(key=itemgetter(0))
    _show_drops_at_exit_last(placed, rows, (script, _last_code_line(script)), exit_ns)
    return placed, rows


def _place(group: EventGroup, arena: int, lines: dict[tuple[Site, bool], int]) -> PlacedGroup:
    """Where a group's events are shown (a site-less one: under the source)."""
    site = group.site
    if site is None:
        return PlacedGroup(group, arena, (None, None))
    key = (site, group.kind in _END_KINDS)
    line = lines.get(key)
    if line is None:
        line = lines[key] = _line_of(group.kind, site)
    return PlacedGroup(group, arena, (site.filename, line))


def _show_drops_at_exit_last(
    placed: list[PlacedGroup], rows: list[EventRow], last: Place, exit_ns: int
) -> None:
    """Show the root scope's drops at the script's end on its last line, in groups of their own.

    They are the site-less deallocs from `exit_ns` on: only the rows at the end are looked at.
    """
    twins: dict[int, int] = {}  # a group's index -> its twin's, shown on the last line
    for at in range(bisect.bisect_left(rows, exit_ns, key=itemgetter(0)), len(rows)):
        time_ns, address, generation, index = rows[at]
        group = placed[index]
        if group.group.site is None and group.group.kind == "dealloc":
            if index not in twins:
                twins[index] = len(placed)
                placed.append(group._replace(place=last))
            rows[at] = (time_ns, address, generation, twins[index])


def _line_of(kind: str, site: Site) -> int:
    """The line an event belongs to: a drop at a scope's exit goes where the block ends."""
    code, offset = site.code, site.offset
    if kind in _END_KINDS:
        if is_function_end(code, offset):
            return last_line(code)  # an @owned.function's return
        exit_ = with_exit(code, offset)
        if exit_ is not None:
            return exit_.end_line
    return positions(code, offset)[0]


# -- the annotated source ----------------------------------------------------------------------


@dataclass(slots=True)
class _Wording:
    """One way a group's events read, and how many of them read so."""

    index: int  # the group's
    text: str | None  # None: not shown (the code shows it)
    name: str | None  # the block's name after the event
    count: int = 0


def _worded(trace: Trace) -> tuple[list[_Wording], list[str | None]]:
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
    wordings, _ = _worded(trace)
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


def _last_code_line(filename: str) -> int:
    lines = linecache.getlines(filename)
    for number in range(len(lines), 0, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return max(len(lines), 1)


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


# -- JSON and the picture ----------------------------------------------------------------------


def events_json(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-ready data: the script, then one object per event, oldest first.

    Each event has `kind`, `name`, `address`, `size`, `generation`, `file`, `line`,
    `function`, `time` (seconds since the script started), `time_ns`, `detail`, `type` and
    `arena` (0 for the default arena, then in order of first use).
    """
    shared = [_json_of(placed) for placed in trace.groups]
    started_ns = trace.started_ns
    events = [
        {
            **shared[index],
            "address": address,
            "generation": generation,
            "time_ns": time_ns,
            "time": (time_ns - started_ns) / 1e9,
        }
        for time_ns, address, generation, index in trace.rows
    ]
    return {"script": trace.script, "exit_code": trace.exit_code, "events": events}


def _json_of(placed: PlacedGroup) -> dict[str, Any]:
    """What a group's events have in common as JSON (the keys of the rest are there, in order)."""
    data = placed.group.event((0, 0, 0, 0)).as_dict()
    if placed.group.site is not None:  # a scope's drops: the line where the block ends
        data["line"] = placed.place[1]
    data["arena"] = placed.arena
    data["time"] = 0.0
    return data


def plot(trace: Trace, path: str) -> None:
    """Draw each arena over time: cells up, events across, one coloured bar per block."""
    # matplotlib is optional (the `plot` extra), and slow to import: only here.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    described = list(zip(_events(trace), _worded(trace)[1], strict=True))
    arenas = sorted({arena for (arena, _), _ in described}) or [0]
    figure, axes = pyplot.subplots(
        len(arenas), 1, figsize=(10, 2.5 + 2 * len(arenas)), squeeze=False
    )
    colours = pyplot.get_cmap("tab20")
    for row, arena in enumerate(arenas):
        ax = axes[row][0]
        events = [(event, text) for (of, event), text in described if of == arena]
        _draw_blocks(ax, events, colours)
        which = "default arena" if arena == 0 else f"arena #{arena}"
        ax.set_title(f"{display_filename(trace.script)}: {which}")
        ax.set_xlabel("event")
        ax.set_ylabel("cell")
        ax.set_xlim(-0.5, max(len(events), 1) - 0.5)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _events(trace: Trace) -> list[tuple[int, Event]]:
    """Every event as an `Event`, with its arena, oldest first (the printout needs no objects)."""
    groups = trace.groups
    return [(groups[row[3]].arena, groups[row[3]].group.event(row)) for row in trace.rows]


def _draw_blocks(ax: Any, events: list[tuple[Event, str | None]], colours: Any) -> None:
    opened: dict[tuple[int, int], tuple[int, str]] = {}
    blocks = 0
    top = 1
    for index, (event, text) in enumerate(events):
        key = (event.address, event.generation)
        top = max(top, event.address + event.size)
        if event.kind == "alloc":
            opened[key] = (index, event.name or event.value_type)
        elif event.kind == "dealloc" and key in opened:
            start, name = opened.pop(key)
            _bar(ax, (start, index), event, colours(blocks % 20), name)
            blocks += 1
        else:
            marker = {"move": ">", "borrow": "o", "borrow_mut": "s", "release": "x"}[event.kind]
            ax.plot(index, event.address + event.size / 2, marker, color="black", markersize=4)
        ax.annotate(
            text or "",
            (index, event.address + event.size),
            fontsize=6,
            rotation=45,
            xytext=(0, 2),
            textcoords="offset points",
        )
    for key, (start, name) in opened.items():  # still alive when the trace ended
        event = next(e for e, _ in events if (e.address, e.generation) == key)
        _bar(ax, (start, len(events) - 1), event, colours(blocks % 20), name)
        blocks += 1
    ax.set_ylim(0, top + 1)


def _bar(ax: Any, span: tuple[int, int], event: Event, colour: Any, name: str) -> None:
    start, end = span
    ax.broken_barh(
        [(start, max(end - start, 0.5))],
        (event.address, event.size),
        facecolors=colour,
        edgecolor="black",
        linewidth=0.5,
    )
    ax.text(start + 0.1, event.address + event.size / 2, name, va="center", fontsize=7)


def print_error(trace: Trace, stream: IO[str]) -> None:
    """The script's uncaught error as Python shows it, without the frames of this runner."""
    error = trace.error
    if error is None:
        return
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != trace.script:
        tb = tb.tb_next
    if tb is not None:
        lines = traceback.format_exception(type(error), error, tb)
    elif isinstance(error, SyntaxError):  # the script never ran: no frame of it to show
        lines = traceback.format_exception_only(type(error), error)
    else:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
    stream.write("".join(lines))
