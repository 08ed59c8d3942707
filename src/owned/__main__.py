"""The command line: `python -m owned trace SCRIPT [ARGS...]` (also installed as `owned`)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Sequence

from ._diagnostics import should_color
from ._trace_annotate import annotate
from ._trace_run import Trace, events_json, print_error, run_traced
from ._tracebacks import format_uncaught, involves_ownership

__all__ = ["main"]

_PLOT_INSTALL = "--plot draws with matplotlib, which is not installed: pip install 'pyowned[plot]'"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="owned", description="Tools for watching Rust-style ownership in Python programs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    trace = commands.add_parser(
        "trace",
        help="run a script and show its source with the ownership events of each line",
        description=(
            "Run SCRIPT with event recording on, then print its source with each line's "
            "allocations, moves, borrows and deallocations as trailing comments."
        ),
    )
    trace.add_argument("--json", metavar="FILE", help="also write the events to FILE as JSON")
    trace.add_argument(
        "--plot", metavar="FILE", help="also draw the arena over time to FILE (.png or .svg)"
    )
    trace.add_argument(
        "--html",
        metavar="FILE",
        help="also write the permissions view (R/W/O per line, borrows, drops) to FILE",
    )
    trace.add_argument(
        "--svg", metavar="FILE", help="also draw each value's timeline to FILE (SVG)"
    )
    trace.add_argument("script", metavar="SCRIPT", help="the Python file to run")
    trace.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to SCRIPT")
    explain = commands.add_parser(
        "explain",
        help="explain an error, as rustc --explain does",
        description="Print what an error means, with a program that makes it and its fix.",
    )
    explain.add_argument(
        "key", nargs="?", metavar="CODE", help="a rustc code (E0382) or an error's class name"
    )
    explain.add_argument(
        "--markdown", action="store_true", help="print every explanation as docs/errors.md"
    )
    return parser


def _has_matplotlib() -> bool:
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # blocked in sys.modules, or a broken installation
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (the traced script's own, if it ran)."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "explain":
        return _explain(arguments.key, markdown_page=arguments.markdown)
    return _trace(
        arguments.script,
        arguments.args,
        {
            "json": arguments.json,
            "plot": arguments.plot,
            "html": arguments.html,
            "svg": arguments.svg,
        },
    )


def _explain(key: str | None, *, markdown_page: bool) -> int:
    from ._explanations import EXPLANATIONS, as_text, explain, markdown

    if markdown_page:
        sys.stdout.write(markdown())
        return 0
    entry = explain(key) if key else None
    if entry is None:
        known = ", ".join(e.key for e in EXPLANATIONS)
        sys.stderr.write(f"owned explain: no explanation for {key!r}; known: {known}\n")
        return 2
    sys.stdout.write(as_text(entry))
    return 0


def _trace(script: str, args: list[str], outputs: dict[str, str | None]) -> int:
    json_path, plot_path = outputs["json"], outputs["plot"]
    if plot_path is not None and not _has_matplotlib():
        sys.stderr.write(f"owned trace: {_PLOT_INSTALL}\n")
        return 2
    if not os.path.isfile(script):
        sys.stderr.write(f"owned trace: no such file: {script}\n")
        return 2
    trace = run_traced(script, args)
    sys.stdout.write(annotate(trace, color=should_color(sys.stdout)))
    sys.stdout.flush()
    if json_path is not None:
        with open(json_path, "w", encoding="utf-8") as file:
            file.write(json.dumps(events_json(trace)))  # dumps: C encoder; dump(file): Python
            file.write("\n")
    if plot_path is not None:
        from ._trace_plot import plot  # matplotlib: imported only when asked for

        plot(trace, plot_path)
    if outputs["html"] is not None or outputs["svg"] is not None:
        _write_views(trace, outputs["html"], outputs["svg"])
    _print_error(trace)
    return trace.exit_code


def _write_views(trace: Trace, html_path: str | None, svg_path: str | None) -> None:
    from ._trace_html import permissions_page, timeline_svg
    from ._trace_permissions import permissions_view

    view = permissions_view(trace)
    for path, draw in ((html_path, permissions_page), (svg_path, timeline_svg)):
        if path is not None:
            with open(path, "w", encoding="utf-8") as file:
                file.write(draw(view))


def _print_error(trace: Trace) -> None:
    """The script's uncaught error from its own first frame on; an ownership error drawn once."""
    error = trace.error
    if error is None or not involves_ownership(error):
        print_error(trace, sys.stderr)
        return
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != trace.script:
        tb = tb.tb_next
    if tb is not None:
        error.__traceback__ = tb
    sys.stderr.write(format_uncaught(error, color=should_color(sys.stderr)))


if __name__ == "__main__":
    sys.exit(main())
