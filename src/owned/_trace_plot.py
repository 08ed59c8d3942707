"""`python -m owned trace --plot FILE`: each arena over time, drawn with matplotlib.

Cells go up, events across; each block is a bar from its alloc to its dealloc with its name
inside it (clipped to the bar, so that names never run into each other); moves and borrows
are markers, explained by the legend; the axis under the events names the line of each.
"""

from __future__ import annotations

import os
from typing import Any, Final

from ._bytecode import display_filename
from ._events import Event
from ._trace_run import Trace

__all__ = ["figure_of", "plot"]

_MARKERS: Final = {"move": ">", "borrow": "o", "borrow_mut": "s", "release": "x"}
_MARKED: Final = {
    "move": "move",
    "borrow": "borrow",
    "borrow_mut": "borrow_mut",
    "release": "release",
}
_MAX_TICKS: Final = 30  # line numbers under the events before every n-th only


def plot(trace: Trace, path: str) -> None:
    """Draw each arena over time to `path` (.png, .svg: any format matplotlib writes)."""
    from matplotlib import pyplot

    figure = figure_of(trace)
    figure.savefig(path)
    pyplot.close(figure)


def figure_of(trace: Trace) -> Any:
    """The matplotlib figure `plot` saves: one row of axes per arena."""
    # matplotlib is optional (the `plot` extra), and slow to import: only here.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    described = _events(trace)
    arenas = sorted({arena for arena, _, _ in described}) or [0]
    figure, axes = pyplot.subplots(
        len(arenas), 1, figsize=(10, 2.5 + 2.5 * len(arenas)), squeeze=False
    )
    colours = pyplot.get_cmap("tab20")
    for row, arena in enumerate(arenas):
        ax = axes[row][0]
        events = [event for of, event, _ in described if of == arena]
        _draw_blocks(ax, events, colours)
        which = "default arena" if arena == 0 else f"arena #{arena}"
        ax.set_title(f"{_short(trace.script)}: {which}", loc="left")
        ax.set_xlabel("line of each event")
        ax.set_ylabel("cell")
        ax.set_xlim(-0.5, max(len(events), 1) - 0.5)
        _line_ticks(ax, [line for of, _, line in described if of == arena])
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    figure.tight_layout()
    return figure


def _short(script: str) -> str:
    """The script as the title names it: relative to the working directory, else its name."""
    shown = display_filename(script)
    return os.path.basename(shown) if os.path.isabs(shown) else shown


def _events(trace: Trace) -> list[tuple[int, Event, int | None]]:
    """Every event as an `Event`, with its arena, oldest first (the printout needs no objects).

    An event's line is the one the printout shows it on: a scope's drops, where its block ends.
    """
    groups = trace.groups
    return [
        (groups[row[3]].arena, groups[row[3]].group.event(row), groups[row[3]].place[1])
        for row in trace.rows
    ]


def _line_ticks(ax: Any, lines: list[int | None]) -> None:
    """Each event's line number on the axis (every n-th one when there are many)."""
    step = max(1, -(-len(lines) // _MAX_TICKS))
    shown = range(0, len(lines), step)
    ax.set_xticks(list(shown))
    ax.set_xticklabels([str(lines[i]) if lines[i] is not None else "-" for i in shown], fontsize=7)


def _draw_blocks(ax: Any, events: list[Event], colours: Any) -> None:
    opened: dict[tuple[int, int], tuple[int, str]] = {}
    blocks = 0
    top = 1
    labelled: set[str] = set()
    for index, event in enumerate(events):
        key = (event.address, event.generation)
        top = max(top, event.address + event.size)
        if event.kind == "alloc":
            opened[key] = (index, event.name or event.value_type)
        elif event.kind == "dealloc" and key in opened:
            start, name = opened.pop(key)
            _bar(ax, (start, index), event, colours(blocks % 20), name, first=blocks == 0)
            blocks += 1
        elif event.kind in _MARKERS:
            label = None if event.kind in labelled else _MARKED[event.kind]
            labelled.add(event.kind)
            ax.plot(
                index,
                event.address + event.size / 2,
                _MARKERS[event.kind],
                color="black",
                markersize=5,
                linestyle="none",
                label=label,
            )
    for key, (start, name) in opened.items():  # still alive when the trace ended
        event = next(e for e in events if (e.address, e.generation) == key)
        _bar(ax, (start, len(events) - 1), event, colours(blocks % 20), name, first=blocks == 0)
        blocks += 1
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(0, top + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # cells are whole


def _bar(
    ax: Any, span: tuple[int, int], event: Event, colour: Any, name: str, *, first: bool
) -> None:
    from matplotlib.patches import Rectangle

    start, end = span
    bar = Rectangle(
        (start, event.address),
        max(end - start, 0.5),
        event.size,
        facecolor=colour,
        edgecolor="black",
        linewidth=0.5,
        label="a block, alloc to dealloc" if first else None,
    )
    ax.add_patch(bar)
    text = ax.text(start + 0.1, event.address + event.size / 2, name, va="center", fontsize=7)
    text.set_clip_path(bar)  # a rectangle: becomes the text's clip box
    text.set_clip_on(True)
