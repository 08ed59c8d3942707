"""The borrow rules: what a borrow, a read, an assignment or a move of a handle conflicts
with, and the diagnostics, worded like rustc's (and the runtime's) messages.

Each check reports only against loans held on every path (`Tracker.held_loans`): the
runtime raises there whatever path was taken. A refused operation changes nothing at run
time, so a reported move or borrow is not applied to the state either.
"""

from __future__ import annotations

from mypy.nodes import Context, Expression, NameExpr, Var

from . import _codes
from ._report import Note, spelled
from ._state import Ending, Kind, Loan, Tracker


def _borrow_note(loan: Loan, text: str | None = None) -> Note:
    return Note(loan.site, text or f'Borrow of "{loan.owner_name}" occurs here')


def borrow(tracker: Tracker, owner: Var, name: NameExpr, *, mutable: bool) -> bool:
    """Check `x.borrow()` (also a read of `x.value`) or `x.borrow_mut()`; True if refused."""
    for loan in tracker.held_loans(owner):
        if not (mutable or loan.mutable):
            continue
        if mutable and loan.mutable:
            message = f'Cannot borrow "{name.name}" as mutable more than once at a time'
            note = "First mutable borrow occurs here"
        elif mutable:
            message = (
                f'Cannot borrow "{name.name}" as mutable because it is also borrowed as immutable'
            )
            note = "Immutable borrow occurs here"
        else:
            message = (
                f'Cannot borrow "{name.name}" as immutable because it is also borrowed as mutable'
            )
            note = "Mutable borrow occurs here"
        tracker.reporter.add(name, message, _codes.BORROW_CONFLICT, [_borrow_note(loan, note)])
        return True
    return False


def assign(tracker: Tracker, owner: Var, name: NameExpr) -> bool:
    """Check `x.value = v`; True if refused."""
    loans = tracker.held_loans(owner)
    if not loans:
        return False
    tracker.reporter.add(
        name,
        f'Cannot assign to "{name.name}" because it is borrowed',
        _codes.ASSIGN_WHILE_BORROWED,
        [_borrow_note(loans[0], f'"{name.name}" is borrowed here')],
    )
    return True


def move(tracker: Tracker, owner: Var, name: Expression, kind: Kind) -> bool:
    """Check a move or drop of `x`; True if refused."""
    loans = tracker.held_loans(owner)
    if not loans:
        return False
    verb = "drop" if kind is Kind.DROP else "move out of"
    tracker.reporter.add(
        name,
        f'Cannot {verb} "{spelled(name)}" because it is borrowed',
        _codes.MOVE_WHILE_BORROWED,
        [_borrow_note(loans[0])],
    )
    return True


def use_borrow(tracker: Tracker, holder: Var, use: Context) -> None:
    """Check a use of the borrow bound to `holder` (`r.value`, `r[i]`, `len(r)`, `for y in r`)."""
    ended = [loan for loan in tracker.loans_of(holder) if loan.ending is not Ending.HELD]
    if not ended:
        return
    loan = ended[0]
    notes = [_borrow_note(loan)]
    if loan.ended_at is not None:
        notes.append(Note(loan.ended_at, "Borrow ended here"))
    tracker.reporter.add(
        use,
        f'Borrow of "{loan.owner_name}" used after {loan.ending.value}',
        _codes.DANGLING_BORROW,
        notes,
    )
    tracker.forget_loans(holder)  # reported once; the runtime raised already


def returned(tracker: Tracker, use: Context, loans: tuple[Loan, ...], parameters: set[Var]) -> None:
    """Report an `@owned.function` returning a borrow of `loans`, owners the call owns."""
    for loan in loans:
        if loan.ending is not Ending.HELD:
            continue
        if loan.owner in parameters:
            message = f'Cannot return value referencing function parameter "{loan.owner_name}"'
        else:
            message = f'Cannot return reference to local variable "{loan.owner_name}"'
        tracker.reporter.add(use, message, _codes.DANGLING_BORROW, [_borrow_note(loan)])
        return
