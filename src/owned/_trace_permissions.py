"""The permissions view's facts: per line, what each place may do, worked out from a trace.

Aquascope's vocabulary: a place (a variable holding an owned value, or a borrow) has up to
three permissions -- **R**ead, **W**rite, **O**wn (move or drop it). An owner has all three;
a shared borrow takes W and O from it while it lasts and has R itself; a mutable borrow takes
all three and has R and W; a move takes all three from the old name and gives them to the new
one; a drop takes them for good. A borrow never has O: it owns nothing.

The trace is dynamic (a loop's line runs many times): a line shows what its first run gained
and lost, and how many times it ran. Drops and borrow ends that happen where a block ends
(a `with` block, an `@owned.function`'s body, the script) are shown on a row of their own
after the block, not on its last line, which did not do them.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field
from typing import Final

from ._bytecode import is_function_end, last_line, positions, with_exit, with_statement_at
from ._errors import OwnershipError
from ._events import EventGroup
from ._sites import Site
from ._trace_run import Trace

__all__ = ["BlockEnd", "Loan", "Row", "View", "permissions_view"]

PERMISSIONS: Final = ("R", "W", "O")
_OWNER: Final = frozenset(PERMISSIONS)
_NONE: Final = frozenset[str]()
# What the access that failed needed, by rustc code (E0502 is either way: see `_needed`).
_NEEDED: Final = {
    "E0382": "R",
    "E0499": "W",
    "E0502": "W",
    "E0505": "O",
    "E0506": "W",
    "E0597": "R",
    "E0716": "R",
}


@dataclass(frozen=True, order=True)
class BlockEnd:
    """Where a block's scope ends: after its last line, before the next one."""

    end_line: int  # the block's last line (the script's end: its last line + 1)
    depth: int  # inner blocks end first: minus the header's line
    header_line: int
    kind: str  # "with", "function" or "script"


@dataclass
class Row:
    """One row of the view: a source line, or the end of a block."""

    line: int | None  # None: a block end
    text: str
    end: BlockEnd | None = None
    # place -> (permissions before the row's first run, after it), in order of first change
    changes: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    # place -> (every permission it held at some point of the row, every one it lacked at some
    # point): a temporary borrow gives and takes back within one line
    moments: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)  # in words, in order, each once
    runs: int = 0
    fails: tuple[str, str] | None = None  # (place, the permission it lacked)


@dataclass
class Loan:
    """A borrow as a range of rows: taken on one, ended on another (or still on at the end)."""

    place: str  # the borrow's own name (`r`), or `&s` / `&mut s`
    owner: str
    mutable: bool
    start: int  # row indexes
    end: int
    lane: int = 0
    temporary: bool = False  # ended with the statement that made it


@dataclass
class View:
    script: str
    rows: list[Row]
    loans: list[Loan]
    places: list[str]  # in order of first appearance
    error: BaseException | None

    @property
    def lanes(self) -> int:
        return 1 + max((loan.lane for loan in self.loans), default=-1)


@dataclass
class _Block:
    owner: str
    shared: int = 0
    mutable: int = 0
    alive: bool = True

    def permissions(self) -> frozenset[str]:
        if not self.alive:
            return _NONE
        if self.mutable:
            return _NONE
        return frozenset({"R"}) if self.shared else _OWNER


@dataclass
class _Open:
    loan: Loan
    block: tuple[int, int, int]
    row: int  # where it was taken
    with_end: BlockEnd | None  # taken by a `with` header: ends where that block ends


class _Builder:
    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.script = trace.script
        lines = linecache.getlines(self.script)
        self.rows = [Row(n, text.rstrip("\n")) for n, text in enumerate(lines, 1)]
        self.ends: dict[BlockEnd, int] = {}
        self.blocks: dict[tuple[int, int, int], _Block] = {}
        self.places: dict[str, None] = {}
        self.loans: list[Loan] = []
        self.open: list[_Open] = []
        self.held: dict[str, frozenset[str]] = {}  # place -> its permissions now
        self.last_row: int | None = None
        self.seen: set[int] = set()  # rows whose first run is over

    # -- rows ----------------------------------------------------------------------------------

    def end_row(self, end: BlockEnd) -> int:
        index = self.ends.get(end)
        if index is None:
            index = self.ends[end] = len(self.rows)
            header = linecache.getline(self.script, end.header_line) if end.header_line else ""
            indent = header[: len(header) - len(header.lstrip())]
            self.rows.append(Row(None, f"{indent}└ {_end_text(end)}", end))
        return index

    def line_row(self, line: int) -> int | None:
        return line - 1 if 0 < line <= len(self.rows) and self.rows[line - 1].end is None else None

    def row_of(self, kind: str, placed_line: int | None, site: object) -> int | None:
        """The row an event is shown on; None: not in the script (its effect still counts)."""
        if site is None:
            if kind == "dealloc":  # what the root scope still owned at the script's end
                return self.end_row(BlockEnd(len(self.rows) + 1, 0, 0, "script"))
            return None
        code, offset = site.code, site.offset  # type: ignore[attr-defined]
        if self.script not in (code.co_filename, site.filename):  # type: ignore[attr-defined]
            return None
        if kind in ("dealloc", "release"):
            exit_ = with_exit(code, offset)
            if exit_ is not None:
                return self.end_row(BlockEnd(exit_.end_line, -exit_.line, exit_.line, "with"))
            if is_function_end(code, offset):
                first = code.co_firstlineno
                return self.end_row(BlockEnd(last_line(code), -first, first, "function"))
        return self.line_row(placed_line if placed_line is not None else positions(code, offset)[0])

    # -- permissions ---------------------------------------------------------------------------

    def change(self, row: int | None, place: str, after: frozenset[str]) -> None:
        before = self.held.get(place, _NONE)
        self.held[place] = after
        if row is None or row in self.seen:
            return
        self.places.setdefault(place, None)
        known = self.rows[row].changes.get(place)
        self.rows[row].changes[place] = (before if known is None else known[0], after)
        ever, lacked = self.rows[row].moments.get(place, (before, _OWNER - before))
        self.rows[row].moments[place] = (ever | after, lacked | (_OWNER - after))

    def visit(self, row: int | None, words: str | None) -> None:
        if row != self.last_row:
            if self.last_row is not None:
                self.seen.add(self.last_row)
            if row is not None:
                self.rows[row].runs += 1
            self.last_row = row
        if (
            row is not None
            and row not in self.seen
            and words
            and words not in self.rows[row].events
        ):
            self.rows[row].events.append(words)

    def event(self, group: EventGroup, block: tuple[int, int, int], row: int | None) -> None:
        state = self.blocks.get(block)
        if group.kind == "alloc" or state is None:
            state = self.blocks[block] = _Block(group.name or f"<{group.value_type}>")
        owner = state.owner
        if group.kind == "alloc":
            self.visit(row, f"alloc {owner}")
            self.change(row, owner, state.permissions())
        elif group.kind == "move":
            new = group.name or owner
            if new == owner and group.detail not in (None, "root"):  # a parameter of that name
                new = f"{new} (in {group.detail})"
            self.visit(row, f"move {owner} -> {new}")
            self.change(row, owner, _NONE)
            state.owner = new
            self.change(row, new, state.permissions())
        elif group.kind in ("borrow", "borrow_mut"):
            self.borrow(group, block, row, state)
        elif group.kind == "release":
            self.release(group.site, block, row, state)
        elif group.kind == "dealloc":
            self.visit(row, f"drop {owner}")
            state.alive = False
            self.change(row, owner, _NONE)

    def borrow(
        self, group: EventGroup, block: tuple[int, int, int], row: int | None, state: _Block
    ) -> None:
        owner, mutable = state.owner, group.kind == "borrow_mut"
        kind = "&mut" if mutable else "&"
        named = _borrow_name(group.site)
        borrower = named or f"{kind} {owner}"
        self.visit(row, f"{kind} {owner} -> {named}" if named else f"borrow {borrower}")
        if mutable:
            state.mutable += 1
        else:
            state.shared += 1
        self.change(row, owner, state.permissions())
        self.change(row, borrower, frozenset({"R", "W"}) if mutable else frozenset({"R"}))
        start = row if row is not None else (self.last_row or 0)
        loan = Loan(borrower, owner, mutable, start, start)
        self.open.append(_Open(loan, block, start, _header_of(group.site, self.script)))
        self.loans.append(loan)

    def release(
        self, site: Site | None, block: tuple[int, int, int], row: int | None, state: _Block
    ) -> None:
        opened = self.ended_loan(block, site)
        if opened is None:
            return
        loan = opened.loan
        if row is None:  # the guard went away: a `with` block's end, or its statement's
            if opened.with_end is not None:
                row = self.end_row(opened.with_end)
            else:
                row = opened.row
                loan.temporary = True
        self.visit(row, f"end {loan.place}")
        loan.end = row
        if loan.mutable:
            state.mutable -= 1
        else:
            state.shared -= 1
        self.change(row, loan.place, _NONE)
        self.change(row, state.owner, state.permissions())

    def ended_loan(self, block: tuple[int, int, int], site: object) -> _Open | None:
        """The open borrow a release ends: the one named on the release's line, else the newest."""
        candidates = [opened for opened in self.open if opened.block == block]
        if not candidates:
            return None
        chosen = candidates[-1]
        if site is not None:
            text = linecache.getline(site.filename, site.line)  # type: ignore[attr-defined]
            for opened in candidates:
                if re.search(rf"\b{re.escape(opened.loan.place)}\s*\.\s*release\s*\(", text):
                    chosen = opened
        self.open.remove(chosen)
        return chosen

    def fail(self, error: BaseException | None) -> None:
        if not isinstance(error, OwnershipError) or error.used_at is None:
            return
        used_at = error.used_at
        if used_at.filename != self.script:
            return
        row = self.line_row(positions(used_at.code, used_at.offset)[0])
        if row is None:
            return
        place = error.name or "?"
        self.visit(row, None)
        self.rows[row].fails = (place, _needed(error))
        self.places.setdefault(place, None)

    def ordered(self) -> tuple[list[Row], dict[int, int]]:
        """The rows in reading order (a block's end after its last line), and old -> new index."""
        keyed = [
            ((row.line, -1e9, 0) if row.end is None else (row.end.end_line, row.end.depth, 1), i)
            for i, row in enumerate(self.rows)
        ]
        keyed.sort()
        order = [i for _, i in keyed]
        return [self.rows[i] for i in order], {old: new for new, old in enumerate(order)}


def permissions_view(trace: Trace) -> View:
    """The facts the HTML page and the SVG timeline draw, from a finished trace."""
    builder = _Builder(trace)
    groups = trace.groups
    for _, address, generation, index in trace.rows:
        placed = groups[index]
        group = placed.group
        row = builder.row_of(
            group.kind, placed.place[1] if placed.place[0] == trace.script else None, group.site
        )
        builder.event(group, (placed.arena, address, generation), row)
    builder.fail(trace.error)
    for opened in builder.open:  # never released: to the end
        opened.loan.end = len(builder.rows) - 1
    rows, moved = builder.ordered()
    for loan in builder.loans:
        loan.start, loan.end = moved[loan.start], moved[loan.end]
    _lanes(builder.loans)
    return View(trace.script, rows, builder.loans, list(builder.places), trace.error)


def _lanes(loans: list[Loan]) -> None:
    """Give each borrow the first lane free over its rows, so that ranges never overlap."""
    taken: list[int] = []  # each lane's last row
    for loan in sorted(loans, key=lambda loan: (loan.start, loan.end)):
        for lane, last in enumerate(taken):
            if last < loan.start:
                loan.lane, taken[lane] = lane, loan.end
                break
        else:
            loan.lane = len(taken)
            taken.append(loan.end)


def _needed(error: OwnershipError) -> str:
    if error.code == "E0502" and "as immutable because" in error.headline:
        return "R"  # a shared borrow refused while a mutable one lasts
    return _NEEDED.get(error.code or "", "R")


def _borrow_name(site: object) -> str | None:
    if site is None:
        return None
    name = site.assigned_name()  # type: ignore[attr-defined]
    return name if isinstance(name, str) and name.isidentifier() else None


def _header_of(site: object, script: str) -> BlockEnd | None:
    if site is None or site.filename != script:  # type: ignore[attr-defined]
        return None
    statement = with_statement_at(script, site.line)  # type: ignore[attr-defined]
    if statement is None:
        return None
    return BlockEnd(statement.end_line, -statement.line, statement.line, "with")


def _end_text(end: BlockEnd) -> str:
    if end.kind == "script":
        return "end of the script: the root scope drops what it still owns"
    what = "`with` block" if end.kind == "with" else "function body"
    return f"end of the {what} that starts on line {end.header_line}"
