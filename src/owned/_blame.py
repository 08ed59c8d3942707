"""Building the errors of handles and borrows: the cold path, run only when a check fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ._errors import (
    BorrowError,
    BorrowMutError,
    DanglingRefError,
    DoubleDropError,
    MoveWhileBorrowedError,
    OwnershipError,
    UseAfterDropError,
    UseAfterMoveError,
)
from ._sites import Site, assigned_name, used_name
from ._states import DROPPED, MOVED, MUT

if TYPE_CHECKING:
    from ._borrows import _Borrow
    from ._handles import Owned


def _clone_help(name: str | None) -> str:
    x = name or "x"
    return (
        f"consider borrowing instead of moving (`{x}.borrow()`, or a `Ref[...]` parameter), "
        f"or cloning the value if the performance cost is acceptable (`{x}.clone()`)"
    )


_RELEASE_HELP = "end the borrow first: leave its `with` block, or call release() on it"


def name_of(handle: Owned[Any], used_at: Site | None = None) -> str | None:
    """The handle's variable name: given, or the target of the assignment that made it."""
    name = assigned_name(handle._site)
    if name is None and used_at is not None:
        return used_name(used_at)
    return name


def _quoted(handle: Owned[Any], used_at: Site | None) -> str:
    name = name_of(handle, used_at)
    return f"`{name}`" if name else "value"


def end_site(handle: Owned[Any]) -> Site | None:
    """Where a dead handle was moved or dropped (a scope's exit, when its scope dropped it)."""
    end = handle._aux
    if isinstance(end, Site):
        return end
    exited_at = getattr(end, "_exited_at", None)  # dropped by its scope's exit
    return exited_at if isinstance(exited_at, Site) else None


def _loan_site(handle: Owned[Any]) -> Site | None:
    loan = handle._aux
    return getattr(loan, "_site", None)


def dead_use(handle: Owned[Any], site: Site) -> OwnershipError:
    """The error for any use of a moved or dropped handle."""
    name = name_of(handle, site)
    what = _quoted(handle, site)
    if handle._flag == MOVED:
        return UseAfterMoveError(
            f"use of moved value {what}",
            name=name,
            labels=(("value moved here", end_site(handle)), ("value used here after move", site)),
            help=_clone_help(name),
            moved_at=end_site(handle),
            allocated_at=handle._allocated_at,
            used_at=site,
        )
    return UseAfterDropError(
        f"use of dropped value {what}",
        name=name,
        labels=(("value dropped here", end_site(handle)), ("value used here after drop", site)),
        help="a dropped value is gone; clone it before dropping if you still need it",
        dropped_at=end_site(handle),
        allocated_at=handle._allocated_at,
        used_at=site,
    )


def read_error(handle: Owned[Any], site: Site) -> OwnershipError:
    """Reading (or cloning) failed: the value is dead or mutably borrowed."""
    if handle._flag < MUT:
        return dead_use(handle, site)
    return borrow_error(handle, site)


def borrow_error(handle: Owned[Any], site: Site) -> OwnershipError:
    """A shared borrow failed: the value is dead or mutably borrowed."""
    if handle._flag < MUT:
        return dead_use(handle, site)
    what = _quoted(handle, site)
    return BorrowError(
        f"cannot borrow {what} as immutable because it is also borrowed as mutable",
        name=name_of(handle, site),
        labels=(
            ("mutable borrow occurs here", _loan_site(handle)),
            ("immutable borrow occurs here", site),
        ),
        help=_RELEASE_HELP,
        borrowed_at=_loan_site(handle),
        used_at=site,
    )


def borrow_mut_error(handle: Owned[Any], site: Site) -> OwnershipError:
    """An exclusive borrow failed: the value is dead or borrowed already."""
    if handle._flag < MUT:
        return dead_use(handle, site)
    what = _quoted(handle, site)
    loan = _loan_site(handle)
    if handle._flag == MUT:
        return BorrowMutError(
            f"cannot borrow {what} as mutable more than once at a time",
            code="E0499",
            name=name_of(handle, site),
            labels=(
                ("first mutable borrow occurs here", loan),
                ("second mutable borrow occurs here", site),
            ),
            help=_RELEASE_HELP,
            borrowed_at=loan,
            used_at=site,
        )
    return BorrowMutError(
        f"cannot borrow {what} as mutable because it is also borrowed as immutable",
        code="E0502",
        name=name_of(handle, site),
        labels=(("immutable borrow occurs here", loan), ("mutable borrow occurs here", site)),
        help=_RELEASE_HELP,
        borrowed_at=loan,
        used_at=site,
    )


def assign_error(handle: Owned[Any], site: Site) -> OwnershipError:
    """`x.value = v` failed: the value is dead or borrowed."""
    if handle._flag < MUT:
        return dead_use(handle, site)
    what = _quoted(handle, site)
    loan = _loan_site(handle)
    return BorrowMutError(
        f"cannot assign to {what} because it is borrowed",
        code="E0506",
        name=name_of(handle, site),
        labels=(
            (f"{what} is borrowed here", loan),
            (f"{what} is assigned to here but it was already borrowed", site),
        ),
        help=_RELEASE_HELP,
        borrowed_at=loan,
        used_at=site,
    )


def move_error(handle: Owned[Any], site: Site, verb: str) -> OwnershipError:
    """A move, drop or into_inner failed: the value is dead or borrowed."""
    if handle._flag < MUT:
        return dead_use(handle, site)
    what = _quoted(handle, site)
    loan = _loan_site(handle)
    return MoveWhileBorrowedError(
        f"cannot {verb} {what} because it is borrowed",
        name=name_of(handle, site),
        labels=((f"borrow of {what} occurs here", loan), (f"{verb} {what} occurs here", site)),
        help=_RELEASE_HELP,
        borrowed_at=loan,
        used_at=site,
    )


def double_drop(handle: Owned[Any], site: Site) -> OwnershipError:
    what = _quoted(handle, site)
    return DoubleDropError(
        f"double drop of {what}",
        name=name_of(handle, site),
        labels=(
            ("value first dropped here", end_site(handle)),
            ("value dropped again here", site),
        ),
        help="a value is dropped exactly once; its scope drops it for you if you do not",
        dropped_at=end_site(handle),
        used_at=site,
    )


def dangling(borrow: _Borrow, site: Site) -> DanglingRefError:
    """A borrow was used after it ended, or after its owner was dropped from under it."""
    from ._scope import Scope

    owner = borrow._owner
    name = name_of(owner)
    what = f"`{name}`" if name else "the value"
    ended = borrow._ended_at
    owner_gone = owner._flag == DROPPED and (borrow._active or isinstance(ended, Scope))
    if owner_gone:  # the owner was dropped while (or as) the borrow ended: rustc's E0597
        return DanglingRefError(
            f"{what} does not live long enough",
            name=name,
            labels=(
                ("borrowed value does not live long enough", borrow._site),
                (f"{what} dropped here while still borrowed", end_site(owner)),
                ("borrow later used here", site),
            ),
            help="keep the owner alive (in an outer scope) for as long as its borrows are used",
            borrowed_at=borrow._site,
            dropped_at=end_site(owner),
            used_at=site,
        )
    if isinstance(ended, Scope):
        headline = f"borrow of {what} used after its scope ended"
        end_label, ended_at = "borrow ended here, at the end of its scope", ended._exited_at
    elif isinstance(ended, Site):
        headline = f"borrow of {what} used after it was released"
        end_label, ended_at = "borrow released here", ended
    else:
        headline = f"borrow of {what} used after its `with` block ended"
        end_label, ended_at = "borrow ended with the `with` block opened here", borrow._site
    return DanglingRefError(
        headline,
        name=name,
        labels=(
            (f"{what} borrowed here", borrow._site),
            (end_label, ended_at),
            ("borrow later used here", site),
        ),
        help="take a new borrow where you need it, or keep this one active while you use it",
        borrowed_at=borrow._site,
        used_at=site,
    )


# The handle classes (registered by the modules that define them): a handle inside a block
# would make two owners of one value.
HANDLE_TYPES: Final[set[type]] = set()


def reject_handle(value: object, what: str) -> None:
    """Refuse a handle where a plain value belongs."""
    if type(value) in HANDLE_TYPES:
        raise TypeError(
            f"{what} expects a plain value, got a handle ({value!r}): "
            "move it with x.move(), or own its value with Owned(x.into_inner())"
        )


def not_owned(value: object, function: str) -> TypeError:
    return TypeError(
        f"{function}() expects an owned.Owned, got {type(value).__name__}"
        + (": free a Pointer with arena.free(pointer)" if type(value).__name__ == "Pointer" else "")
    )


__all__ = [
    "HANDLE_TYPES",
    "assign_error",
    "borrow_error",
    "borrow_mut_error",
    "dangling",
    "dead_use",
    "double_drop",
    "end_site",
    "move_error",
    "name_of",
    "not_owned",
    "read_error",
    "reject_handle",
]
