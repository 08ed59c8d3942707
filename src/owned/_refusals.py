"""The errors of refused operations, built from plain facts: the cold path.

The core calls these only when a check fails, with what it read off the handle (`Facts`) and
the site of the refused use; nothing here reads a handle, so the rules stay in the core and
the wording stays here. Names come from the assignment that made a handle, else from the
expression at the use; where neither gives one, the message says so without a placeholder.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ._errors import (
    BorrowError,
    BorrowMutError,
    DanglingRefError,
    DoubleDropError,
    MoveOutOfBorrowError,
    MoveWhileBorrowedError,
    OwnershipError,
    UseAfterDropError,
    UseAfterMoveError,
)
from ._sites import Site
from ._states import DROPPED, MOVED, MUT

__all__ = [
    "Facts",
    "assign_error",
    "borrow_error",
    "borrow_mut_error",
    "dangling",
    "dead_use",
    "double_drop",
    "move_error",
    "move_out_of_shared",
    "mutate_behind_shared",
    "name_of",
    "not_owned",
    "read_error",
]


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Facts(NamedTuple):
    """What a refusal needs to know of a handle, read by the core at the moment it refused."""

    handle: object  # the handle itself: the place that holds it at the use names it
    state: int  # the handle's state: >= 0 shared borrows, MUT, MOVED or DROPPED
    naming: Site | None  # the site that names it (its assignment), or None
    ended_at: Site | None  # where it was moved or dropped, if it is dead
    allocated_at: Site | None
    loan_at: Site | None  # where its newest active borrow was taken, if it is borrowed
    first_moved_at: Site | None = None  # where it became a part of another value, if it did


def name_of(facts: Facts, used_at: Site | None = None) -> str | None:
    """The handle's name: the place used at `used_at` that holds it, or where it was made.

    `pair(a, b)` with `a` dead names `a`, `drop(names[0])` names `names[0]`; with no such
    place, the given name or the target of the assignment that made it (`years = Owned(...)`);
    a name given with `Owned(..., name=)` always wins.
    """
    naming = facts.naming
    if (
        used_at is not None
        and not (naming is not None and naming.is_named_by_hand)
        and not used_at.filename.startswith(_PACKAGE)  # the runtime's own variables name nothing
    ):
        used = used_at.used_name(facts.handle)
        if used is not None:
            return used
    return None if naming is None else naming.assigned_name()


def _quoted(name: str | None) -> str:
    """`` `name` `` with a space before it, or nothing: rustc never says "value" for a name."""
    return f" `{name}`" if name else ""


def _subject(what: str, rest: str) -> str:
    """`` `x` <rest>``, or `rest` alone when the value has no name (`borrowed here`)."""
    return f"{what.strip()} {rest}" if what else rest


def _clone_help(name: str | None) -> str:
    x = name if name and name.isidentifier() else "x"  # a path (`names[0]`) is no Python code
    return (
        f"consider borrowing instead of moving (`{x}.borrow()`, or a `Ref[...]` parameter), "
        f"or cloning the value if the performance cost is acceptable (`{x}.clone()`)"
    )


_RELEASE_HELP = "end the borrow first: leave its `with` block, or call release() on it"


def dead_use(facts: Facts, site: Site) -> OwnershipError:
    """The error for any use of a moved or dropped handle."""
    name = name_of(facts, site)
    if facts.state == MOVED:
        return UseAfterMoveError(
            f"use of moved value{_quoted(name)}",
            name=name,
            labels=(("value moved here", facts.ended_at), ("value used here after move", site)),
            help=_clone_help(name),
            moved_at=facts.ended_at,
            allocated_at=facts.allocated_at,
            used_at=site,
        )
    return UseAfterDropError(
        f"use of dropped value{_quoted(name)}",
        name=name,
        labels=(("value dropped here", facts.ended_at), ("value used here after drop", site)),
        help="a dropped value is gone; clone it before dropping if you still need it",
        dropped_at=facts.ended_at,
        allocated_at=facts.allocated_at,
        used_at=site,
    )


def read_error(facts: Facts, site: Site) -> OwnershipError:
    """Reading (or cloning) failed: the value is dead or mutably borrowed."""
    return borrow_error(facts, site)


def _conflict(
    cls: type[OwnershipError],
    facts: Facts,
    site: Site,
    *,
    message: str,
    code: str | None,
    labels: tuple[str, str],
) -> OwnershipError:
    """A borrow refused because of the loan at `facts.loan_at` (rustc's E0499/E0502 shape)."""
    name = name_of(facts, site)
    return cls(
        message.format(what=_quoted(name)),
        code=code,
        name=name,
        labels=((labels[0], facts.loan_at), (labels[1], site)),
        help=_RELEASE_HELP,
        borrowed_at=facts.loan_at,
        used_at=site,
    )


def borrow_error(facts: Facts, site: Site) -> OwnershipError:
    """A shared borrow failed: the value is dead or mutably borrowed."""
    if facts.state < MUT:
        return dead_use(facts, site)
    return _conflict(
        BorrowError,
        facts,
        site,
        message="cannot borrow{what} as immutable because it is also borrowed as mutable",
        code=None,  # the class's own (E0502)
        labels=("mutable borrow occurs here", "immutable borrow occurs here"),
    )


def borrow_mut_error(facts: Facts, site: Site) -> OwnershipError:
    """An exclusive borrow failed: the value is dead or borrowed already."""
    if facts.state < MUT:
        return dead_use(facts, site)
    if facts.state == MUT:
        return _conflict(
            BorrowMutError,
            facts,
            site,
            message="cannot borrow{what} as mutable more than once at a time",
            code="E0499",
            labels=("first mutable borrow occurs here", "second mutable borrow occurs here"),
        )
    return _conflict(
        BorrowMutError,
        facts,
        site,
        message="cannot borrow{what} as mutable because it is also borrowed as immutable",
        code="E0502",
        labels=("immutable borrow occurs here", "mutable borrow occurs here"),
    )


def assign_error(facts: Facts, site: Site) -> OwnershipError:
    """`x.value = v` failed: the value is dead or borrowed."""
    if facts.state < MUT:
        return dead_use(facts, site)
    name = name_of(facts, site)
    what = _quoted(name)
    return BorrowMutError(
        f"cannot assign to{what or ' this'} because it is borrowed",
        code="E0506",
        name=name,
        labels=(
            (_subject(what, "is borrowed here") if what else "borrowed here", facts.loan_at),
            (
                (_subject(what, "is assigned to here") if what else "assigned to here")
                + " but it was already borrowed",
                site,
            ),
        ),
        help=_RELEASE_HELP,
        borrowed_at=facts.loan_at,
        used_at=site,
    )


def move_error(facts: Facts, site: Site, verb: str) -> OwnershipError:
    """A move, drop or into_inner failed: the value is dead, borrowed, or a part moved already."""
    if facts.state < MUT:
        return dead_use(facts, site)
    name = name_of(facts, site)
    what = _quoted(name)
    return MoveWhileBorrowedError(
        f"cannot {verb}{what or ' it'} because it is borrowed",
        name=name,
        labels=(
            (f"borrow{(' of' + what) if what else ''} occurs here", facts.loan_at),
            (f"{verb}{what} occurs here", site),
        ),
        help=_RELEASE_HELP,
        borrowed_at=facts.loan_at,
        used_at=site,
    )


def moved_into_another(facts: Facts, site: Site) -> OwnershipError:
    """A handle that is already a part of a value was put into a second one (E0382)."""
    name = name_of(facts, site)
    return UseAfterMoveError(
        f"use of moved value{_quoted(name)}",
        name=name,
        labels=(("value moved here", facts.first_moved_at), ("value used here after move", site)),
        help=_clone_help(name),
        moved_at=facts.first_moved_at,
        allocated_at=facts.allocated_at,
        used_at=site,
    )


def move_out_of_shared(facts: Facts, site: Site, place: str, owner: str | None) -> OwnershipError:
    """A part was moved or dropped while its owner is borrowed shared (E0507)."""
    name = name_of(facts, site)
    headline = (
        f"cannot move out of {place}"
        if owner is None
        else f"cannot move out of `{place}` which is behind a shared reference"
    )
    return MoveOutOfBorrowError(
        headline,
        name=name,
        labels=(
            (
                f"`{owner}` is borrowed here" if owner else "the owner is borrowed here",
                facts.loan_at,
            ),
            ("move occurs here", site),
        ),
        help="end the borrow of the value that owns it first, or borrow it mutably "
        "(a part can be moved out through a RefMut, as `mem::take` through a `&mut`)",
        borrowed_at=facts.loan_at,
        used_at=site,
    )


def mutate_behind_shared(facts: Facts, site: Site, verb: str) -> OwnershipError:
    """A part was borrowed mutably or written while its owner is borrowed shared (E0596)."""
    name = name_of(facts, site)
    return BorrowMutError(
        f"cannot {verb}{_quoted(name) or ' this part'} as mutable, as it is behind a `&` reference",
        code="E0596",
        name=name,
        labels=(
            ("the value that owns it is borrowed here", facts.loan_at),
            (
                _subject(
                    _quoted(name),
                    "is a part of a value behind a `&` reference, so it "
                    "cannot be borrowed as mutable",
                )
                if name
                else "this part is behind a `&` reference, so it cannot be borrowed as mutable",
                site,
            ),
        ),
        help="end the shared borrow of the value that owns it first",
        borrowed_at=facts.loan_at,
        used_at=site,
    )


def double_drop(facts: Facts, site: Site) -> OwnershipError:
    name = name_of(facts, site)
    what = _quoted(name)
    return DoubleDropError(
        f"double drop{(' of' + what) if what else ''}",
        name=name,
        labels=(
            ("value first dropped here", facts.ended_at),
            ("value dropped again here", site),
        ),
        help="a value is dropped exactly once; its scope drops it for you if you do not",
        dropped_at=facts.ended_at,
        used_at=site,
    )


class BorrowFacts(NamedTuple):
    """What a refused use of a borrow needs to know of it."""

    owner: Facts
    borrowed_at: Site | None  # where the borrow was taken
    ended: str  # why it ended: "released", "with", "scope", "freed", "owner" or "active"
    ended_at: Site | None  # where (the release, the scope's exit...), if known
    dependency: Facts | None = None  # the value a returned borrow kept borrowed, if it died


def dangling(facts: BorrowFacts, site: Site) -> DanglingRefError:
    """A borrow was used after it ended, or after its owner was dropped from under it."""
    owner = facts.dependency if facts.dependency is not None else facts.owner
    name = name_of(owner)
    what = _quoted(name)
    of = f" of{what}" if what else ""
    if owner.state == DROPPED and facts.ended in ("active", "owner", "scope"):
        # The owner was dropped while (or as) the borrow ended: rustc's E0597.
        return DanglingRefError(
            f"{what.strip()} does not live long enough"
            if what
            else "borrowed value does not live long enough",
            name=name,
            labels=(
                ("borrowed value does not live long enough", facts.borrowed_at),
                (_subject(what, "dropped here while still borrowed"), owner.ended_at),
                ("borrow later used here", site),
            ),
            help="keep the owner alive (in an outer scope) for as long as its borrows are used",
            borrowed_at=facts.borrowed_at,
            dropped_at=owner.ended_at,
            used_at=site,
        )
    if facts.ended == "scope":
        headline = f"borrow{of} used after its scope ended"
        end_label = "borrow ended here, at the end of its scope"
    elif facts.ended == "released":
        headline = f"borrow{of} used after it was released"
        end_label = "borrow released here"
    elif facts.ended == "owner":
        headline = f"borrow{of} used after{what or ' its value'} was moved"
        end_label = _subject(what, "moved here while borrowed") if what else "moved here"
    else:
        headline = f"borrow{of} used after its `with` block ended"
        end_label = "borrow ended with the `with` block opened here"
    return DanglingRefError(
        headline,
        name=name,
        labels=(
            (_subject(what, "borrowed here"), facts.borrowed_at),
            (end_label, facts.ended_at if facts.ended != "with" else facts.borrowed_at),
            ("borrow later used here", site),
        ),
        help="take a new borrow where you need it, or keep this one active while you use it",
        borrowed_at=facts.borrowed_at,
        used_at=site,
    )


def not_owned(value: object, function: str) -> TypeError:
    return TypeError(
        f"{function}() expects an owned.Owned, got {type(value).__name__}"
        + (": free a Pointer with arena.free(pointer)" if type(value).__name__ == "Pointer" else "")
    )
