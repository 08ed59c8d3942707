"""`python -m owned trace`: run a script with event recording on, then show what it did.

The script's source is printed with the ownership events of each line as trailing comments,
the way the seed article annotates its Rust code (`# alloc years [4 cells @0x0]`,
`# move years -> print_years`, `# dealloc years`); the events can also be written as JSON and
drawn as a picture of the arena over time.
"""

from __future__ import annotations

import linecache
import os
import runpy
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, Final, NamedTuple

from ._arena import record_new_arenas
from ._diagnostics import headline
from ._errors import OwnershipError
from ._events import Event, EventLog, keep_new_logs
from ._handles import Owned
from ._scope import ROOT, drop_at_exit
from ._sites import Site, display_filename, positions
from ._spans import is_return_site, last_line

__all__ = ["Trace", "TracedEvent", "annotate", "events_json", "plot", "print_error", "run_traced"]

_END_KINDS: Final = frozenset({"dealloc", "release"})
_MAX_PER_LINE: Final = 6  # distinct annotations on one line before "+N more"
_COMMENT_COLUMN: Final = 48  # where comments start, unless the code is longer
_COMMENT_STYLE: Final = "\x1b[36m"
_RESET: Final = "\x1b[0m"


class TracedEvent(NamedTuple):
    """An event, the arena it happened in (0 is the default arena) and where to show it."""

    event: Event
    arena: int
    filename: str | None
    line: int | None
    at_exit: bool  # dropped at the end of the script, by the root scope


@dataclass
class Trace:
    """What running a script under `python -m owned trace` recorded."""

    script: str
    events: list[TracedEvent] = field(default_factory=list)
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
    logs: list[EventLog] = [root_arena._recorder] if root_arena._recorder is not None else []
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
        trace.events = _placed(logs, path, exit_ns)
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
    arenas: dict[int, Any] = {}
    for log in logs:
        for _kind, record, *_ in log._raw:
            arena = getattr(record, "_arena", None)
            if arena is not None:
                arenas[id(arena)] = arena
    for arena in arenas.values():
        made_here = {
            address
            for log in logs
            for kind, record, *_ in log._raw
            if kind == "alloc" and getattr(record, "_arena", None) is arena
            for address in (record._address if type(record) is Owned else record.address,)
        }
        for record in reversed(list(arena._live.values())):
            if (
                type(record) is Owned
                and record._address in made_here
                and record._scope is ROOT
                and record._flag >= -1
            ):
                failure = drop_at_exit(record, None)
                if failure is not None:
                    sys.stderr.write(
                        f"owned: __drop__ raised at exit: {type(failure).__name__}: {failure}\n"
                    )


def _placed(logs: list[EventLog], script: str, exit_ns: int) -> list[TracedEvent]:
    """Every log's events, oldest first, each with the line it is shown on."""
    placed = []
    lines: dict[tuple[Site, bool], int] = {}  # many events share a site: place it once
    for index, log in enumerate(logs):
        for event in log.events():
            at_exit = event.site is None and event.kind == "dealloc" and event.time_ns >= exit_ns
            filename: str | None = script if at_exit else None
            line: int | None = None
            if event.site is not None:
                key = (event.site, event.kind in _END_KINDS)
                line = lines.get(key)
                if line is None:
                    line = lines[key] = _line_of(event)
                filename = event.site.filename
            placed.append(TracedEvent(event, index, filename, line, at_exit))
    placed.sort(key=lambda traced: traced.event.time_ns)
    return placed


def _line_of(event: Event) -> int:
    """The line an event belongs to: a drop at a scope's exit goes where the block ends."""
    site = event.site
    assert site is not None
    code, offset = site.code, site.offset
    if event.kind in _END_KINDS and is_return_site(code, offset):
        return last_line(code)  # an @owned.function's return
    line, end_line, _, _ = positions(code, offset)
    return end_line if event.kind in _END_KINDS else line


# -- the annotated source ----------------------------------------------------------------------


def _descriptions(trace: Trace) -> list[tuple[TracedEvent, str]]:
    """Each event in words; a block keeps the name of its latest owner across moves."""
    names: dict[tuple[int, int, int], str] = {}
    described = []
    for traced in trace.events:
        event = traced.event
        key = (traced.arena, event.address, event.generation)
        name = names.get(key) or event.name or f"<{event.value_type}>"
        if event.kind == "alloc":
            name = event.name or name
            cells = "cell" if event.size == 1 else "cells"
            text = f"alloc {name} [{event.size} {cells} @0x{event.address:x}]"
        elif event.kind == "move":
            receiver = event.detail if event.detail not in (None, "root") else event.name
            text = f"move {name} -> {receiver or 'a new owner'}"
            name = event.name or name
        elif event.kind == "release" and event.site is None:
            continue  # the end of a `with` block or of a call: shown by the code itself
        else:
            text = f"{event.kind} {name}"
        names[key] = name
        described.append((traced, text))
    return described


def annotate(trace: Trace, *, color: bool = False) -> str:
    """The script's source with each line's events as a trailing comment, then the rest."""
    by_place: dict[tuple[str | None, int | None], list[str]] = {}
    for traced, text in _descriptions(trace):
        if traced.at_exit:
            last = _last_code_line(trace.script)
            by_place.setdefault((trace.script, last), []).append(text)
        else:
            by_place.setdefault((traced.filename, traced.line), []).append(text)
    error = trace.error
    if isinstance(error, OwnershipError) and error.used_at is not None:  # where it happened
        used_at = error.used_at
        code = f"[{error.code}]" if error.code else ""
        place = (used_at.filename, positions(used_at.code, used_at.offset)[0])
        by_place.setdefault(place, []).append(f"error{code}: {headline(error)}")
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
    out += ["", *_summaries(trace)]
    return "\n".join(out) + "\n"


def _annotated_lines(
    filename: str,
    numbers: range | list[int],
    by_place: dict[tuple[str | None, int | None], list[str]],
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


def _joined(texts: list[str]) -> str:
    counts = Counter(texts)
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


def _summaries(trace: Trace) -> list[str]:
    """One line per arena: allocations, deallocations and the peak of live cells."""
    out = []
    for arena in sorted({traced.arena for traced in trace.events}):
        events = [t.event for t in trace.events if t.arena == arena]
        live = peak = 0
        for event in events:
            if event.kind == "alloc":
                live += event.size
                peak = max(peak, live)
            elif event.kind == "dealloc":
                live -= event.size
        counts = Counter(event.kind for event in events)
        which = "the default arena" if arena == 0 else f"arena #{arena}"
        borrows = counts["borrow"] + counts["borrow_mut"]
        out.append(
            f"# {which}: {_count(counts['alloc'], 'alloc')}, "
            f"{_count(counts['dealloc'], 'dealloc')}, {_count(counts['move'], 'move')}, "
            f"{_count(borrows, 'borrow')}, peak {_count(peak, 'cell')}, "
            f"{_count(live, 'cell')} live at exit"
        )
    return out or ["# no ownership events"]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# -- JSON and the picture ----------------------------------------------------------------------


def events_json(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-ready data: the script, then one object per event, oldest first.

    Each event has `kind`, `name`, `address`, `size`, `generation`, `file`, `line`,
    `function`, `time` (seconds since the script started), `time_ns`, `detail`, `type` and
    `arena` (0 for the default arena, then in order of first use).
    """
    events = []
    for traced in trace.events:
        data = traced.event.as_dict()
        if traced.line is not None:  # a scope's drops: the line where the block ends
            data["line"] = traced.line
        data["arena"] = traced.arena
        data["time"] = (traced.event.time_ns - trace.started_ns) / 1e9
        events.append(data)
    return {"script": trace.script, "exit_code": trace.exit_code, "events": events}


def plot(trace: Trace, path: str) -> None:
    """Draw each arena over time: cells up, events across, one coloured bar per block."""
    # matplotlib is optional (the `plot` extra), and slow to import: only here.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    arenas = sorted({traced.arena for traced in trace.events}) or [0]
    figure, axes = pyplot.subplots(
        len(arenas), 1, figsize=(10, 2.5 + 2 * len(arenas)), squeeze=False
    )
    colours = pyplot.get_cmap("tab20")
    described = dict((id(traced), text) for traced, text in _descriptions(trace))
    for row, arena in enumerate(arenas):
        ax = axes[row][0]
        events = [t for t in trace.events if t.arena == arena]
        _draw_blocks(ax, events, colours, described)
        which = "default arena" if arena == 0 else f"arena #{arena}"
        ax.set_title(f"{display_filename(trace.script)}: {which}")
        ax.set_xlabel("event")
        ax.set_ylabel("cell")
        ax.set_xlim(-0.5, max(len(events), 1) - 0.5)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _draw_blocks(
    ax: Any, events: list[TracedEvent], colours: Any, described: dict[int, str]
) -> None:
    opened: dict[tuple[int, int], tuple[int, str]] = {}
    blocks = 0
    top = 1
    for index, traced in enumerate(events):
        event = traced.event
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
            described.get(id(traced), ""),
            (index, event.address + event.size),
            fontsize=6,
            rotation=45,
            xytext=(0, 2),
            textcoords="offset points",
        )
    for key, (start, name) in opened.items():  # still alive when the trace ended
        event = next(t.event for t in events if (t.event.address, t.event.generation) == key)
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
