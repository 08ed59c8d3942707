"""Recording what happens in an arena (allocations, moves, borrows, drops) for traces and tools."""

from __future__ import annotations

import time
from typing import Any, Final, Literal, NamedTuple, final

from ._kinds import seal
from ._sites import Site

__all__ = ["Event", "EventGroup", "EventKind", "EventLog", "EventRow", "keep_new_logs"]

EventKind = Literal["alloc", "dealloc", "move", "borrow", "borrow_mut", "release"]
_perf_counter_ns: Final = time.perf_counter_ns


class Event(NamedTuple):
    """One ownership event of one block (an immutable record: a trace builds many of them).

    Attributes:
        kind: alloc, dealloc, move, borrow, borrow_mut or release.
        name: the value's variable name where it could be found.
        address, size, generation: the block.
        site: where in the program it happened (None where no single line did it).
        time_ns: `time.perf_counter_ns()` when it happened.
        detail: for a move, the scope that receives the value; for a dealloc, "moved out"
            (`into_inner`), "scope exit" or None (an explicit drop or free).
        value_type: the type name of the value.
    """

    kind: EventKind
    name: str | None
    address: int
    size: int
    generation: int
    site: Site | None
    time_ns: int
    detail: str | None
    value_type: str

    @property
    def filename(self) -> str | None:
        """The file where it happened (None without a site)."""
        return None if self.site is None else self.site.filename

    @property
    def line(self) -> int | None:
        """The line where it happened (None without a site)."""
        return None if self.site is None else self.site.line

    @property
    def function(self) -> str | None:
        """The function where it happened (None without a site)."""
        return None if self.site is None else self.site.function

    def as_dict(self) -> dict[str, Any]:
        """The event as plain JSON-ready data."""
        return {
            "kind": self.kind,
            "name": self.name,
            "address": self.address,
            "size": self.size,
            "generation": self.generation,
            "file": self.filename,
            "line": self.line,
            "function": self.function,
            "time_ns": self.time_ns,
            "detail": self.detail,
            "type": self.value_type,
        }


seal(Event)

# An event as `EventLog.grouped()` gives it: (time_ns, address, generation, its group's index).
EventRow = tuple[int, int, int, int]


class EventGroup(NamedTuple):
    """What the events of one group share: all of an `Event` but its block and its time."""

    kind: EventKind
    name: str | None
    size: int
    site: Site | None
    detail: str | None
    value_type: str

    def event(self, row: EventRow) -> Event:
        """The event of one row of this group."""
        time_ns, address, generation, _ = row
        kind, name, size, site, detail, value_type = self
        return Event(kind, name, address, size, generation, site, time_ns, detail, value_type)


@final
class EventLog:
    """The arena's recorder: appends raw tuples on the hot path, builds `Event`s on request."""

    __slots__ = ("_raw",)

    def __init__(self) -> None:
        self._raw: list[tuple[EventKind, Any, Site | None, str | None, int, type, int]] = []
        if _KEPT:
            _KEPT[0].append(self)

    def __call__(
        self,
        kind: EventKind,
        record: Any,
        site: Site | None,
        detail: str | None = None,
        generation: int = 0,
    ) -> None:
        # The value's type, not its name: a built-in type's __name__ is a new string each time.
        raw = (kind, record, site, detail, _perf_counter_ns(), record._value_type(), generation)
        self._raw.append(raw)

    def events(self) -> list[Event]:
        """The events so far, oldest first."""
        groups, rows = self.grouped()
        return [groups[row[3]].event(row) for row in rows]

    def grouped(self) -> tuple[list[EventGroup], list[EventRow]]:
        """The events so far, oldest first, as rows that share groups: `events()` in bulk.

        A loop records many events at one site, alike but for their block and time: what they
        share (name, site, ...) is worked out and kept once per group, and each row is
        `(time_ns, address, generation, group index)`, all ints, which the garbage collector
        stops tracking.
        """
        generations: dict[int, int] = {}
        value_types: dict[int, type] = {}
        names: dict[Site, str | None] = {}  # a handle is named by its site: work it out once
        numbers: dict[tuple[Any, ...], int] = {}
        groups: list[EventGroup] = []
        rows: list[EventRow] = []
        for kind, record, given, detail, time_ns, value_type, generation in self._raw:
            address, naming = record.address, record._naming_site()
            if naming in names:
                name = names[naming]
            else:
                name = names[naming] = None if naming is None else naming.assigned_name()
            if kind == "alloc":
                generations[address] = generation
                value_types[address] = value_type
            site = given
            if site is None and kind in _SITE_ON_RECORD:
                site = _kept_site(kind, record)
            block_type = value_types.get(address, value_type)  # as allocated
            key = (kind, name, record.size, site, detail, block_type)
            number = numbers.get(key)
            if number is None:
                number = numbers[key] = len(groups)
                groups.append(
                    EventGroup(kind, name, record.size, site, detail, block_type.__name__)
                )
            rows.append((time_ns, address, generations.get(address, 0), number))
        return groups, rows

    def clear(self) -> None:
        self._raw.clear()


# The logs made while `python -m owned trace` runs a script (one list while it keeps them, none
# otherwise): kept so that the events of an arena the script let go of are still printed.
_KEPT: Final[list[list[EventLog]]] = []


def keep_new_logs(on: bool) -> list[EventLog]:
    """Keep every EventLog created from now on (or stop); return those kept so far."""
    if not _KEPT:
        _KEPT.append([])
    kept = _KEPT[0]
    if not on:
        _KEPT.clear()
    return kept


_SITE_ON_RECORD: Final = frozenset({"alloc", "dealloc"})  # the record knows where these happened


def _kept_site(kind: str, record: Any) -> Site | None:
    """Where an alloc or dealloc happened, read from the record (which keeps it)."""
    return record._naming_site() if kind == "alloc" else record._end_site()  # type: ignore[no-any-return]
