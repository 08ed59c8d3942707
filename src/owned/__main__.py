"""The command line: `python -m owned trace SCRIPT [ARGS...]` (also installed as `owned`)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Sequence

from ._diagnostics import should_color
from ._trace import annotate, events_json, plot, print_error, run_traced

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
    trace.add_argument("script", metavar="SCRIPT", help="the Python file to run")
    trace.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to SCRIPT")
    return parser


def _has_matplotlib() -> bool:
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # blocked in sys.modules, or a broken installation
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (the traced script's own, if it ran)."""
    arguments = _parser().parse_args(argv)
    return _trace(arguments.script, arguments.args, arguments.json, arguments.plot)


def _trace(script: str, args: list[str], json_path: str | None, plot_path: str | None) -> int:
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
        plot(trace, plot_path)
    print_error(trace, sys.stderr)
    return trace.exit_code


if __name__ == "__main__":
    sys.exit(main())
