"""`python -m owned trace --plot FILE`: each arena over time, drawn with matplotlib."""

from __future__ import annotations

from typing import Any

from ._bytecode import display_filename
from ._events import Event
from ._trace_annotate import worded
from ._trace_run import Trace

__all__ = ["plot"]


def plot(trace: Trace, path: str) -> None:
    """Draw each arena over time: cells up, events across, one coloured bar per block."""
    # matplotlib is optional (the `plot` extra), and slow to import: only here.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    described = list(zip(_events(trace), worded(trace)[1], strict=True))
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
