"""`python -m owned trace`, the run: a script executed with event recording on.

What it records (`Trace`: every arena's event groups, each placed on the line it is shown on,
and the rows of ints that are the events) is read by `_trace_annotate` (the source with
trailing comments), `_trace_plot` (matplotlib), `_trace_permissions` (the permissions view)
and `events_json` here (the data as JSON).
"""

from __future__ import annotations

import bisect
import linecache
import os
import runpy
import sys
import time
import traceback
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any, Final, NamedTuple

from ._arena import record_new_arenas
from ._bytecode import is_function_end, last_line, positions, with_exit
from ._diagnostics import headline
from ._errors import OwnershipError
from ._events import EventGroup, EventLog, EventRow, keep_new_logs
from ._scope import ROOT, drop_root_values
from ._sites import Site

__all__ = [
    "Place",
    "PlacedGroup",
    "Trace",
    "error_json",
    "events_json",
    "print_error",
    "run_traced",
]

_END_KINDS: Final = frozenset({"dealloc", "release"})


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


def _last_code_line(filename: str) -> int:
    lines = linecache.getlines(filename)
    for number in range(len(lines), 0, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return max(len(lines), 1)


# -- JSON ------------------ ----------------------------------------------------------------------


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
    return {
        "script": trace.script,
        "exit_code": trace.exit_code,
        "events": events,
        "error": error_json(trace.error),
    }


def error_json(error: BaseException | None) -> dict[str, Any] | None:
    """The error that ended the script: its type, rustc code, message and where it was raised
    (an ownership error: the use it refused; else the innermost frame); None if none did."""
    if error is None:
        return None
    file: str | None = None
    line: int | None = None
    if isinstance(error, OwnershipError) and error.used_at is not None:
        used_at = error.used_at
        file, line = used_at.filename, positions(used_at.code, used_at.offset)[0]
    elif error.__traceback__ is not None:
        last = traceback.extract_tb(error.__traceback__)[-1]
        file, line = last.filename, last.lineno
    kind = type(error)
    module = "owned" if kind.__module__.startswith("owned") else kind.__module__
    return {
        "type": kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}",
        "code": getattr(error, "code", None)
        if isinstance(getattr(error, "code", None), str)
        else None,
        "message": headline(error) if isinstance(error, OwnershipError) else str(error),
        "file": file,
        "line": line,
    }


def _json_of(placed: PlacedGroup) -> dict[str, Any]:
    """What a group's events have in common as JSON (the keys of the rest are there, in order)."""
    data = placed.group.event((0, 0, 0, 0)).as_dict()
    if placed.group.site is not None:  # a scope's drops: the line where the block ends
        data["line"] = placed.place[1]
    data["arena"] = placed.arena
    data["time"] = 0.0
    return data


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
