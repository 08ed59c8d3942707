# What type checkers see of `_borrows.py`: that module is compiled by Cython, which needs its
# classes non-generic, so the generic types of the public API live here. Keep in step with
# `_borrows.py` (every name another module imports from it must be here: this stub hides it).

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, Generic, NoReturn, TypeVar, final

from typing_extensions import Self

from ._handles import Owned
from ._owners import Family, Handle, Owner
from ._refusals import BorrowFacts
from ._sites import Site

__all__ = [
    "ENDED_BY_FREE",
    "ENDED_BY_RELEASE",
    "ENDED_BY_SCOPE",
    "ENDED_BY_WITH",
    "Loan",
    "Ref",
    "RefMut",
    "end_loan",
    "end_loans",
    "lend",
    "newest_loan_site",
    "read_only_view",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")

ACTIVE_LOAN: Final[int]
ENDED_BY_RELEASE: Final[int]
ENDED_BY_WITH: Final[int]
ENDED_BY_SCOPE: Final[int]
ENDED_BY_FREE: Final[int]
ENDED_BY_KEEPER: Final[int]

class Loan:
    """One borrow of one place, listed by the scope it was made in (newest first)."""

    _active: bool
    _ended_at: Any
    _frozen: Loan | None
    _keeps: list[Loan] | None
    _mut: bool
    _next: Loan | None
    _place: Handle
    _prev: Loan | None
    _scope: Owner
    _site: Site
    _why: int

    def _facts(self) -> BorrowFacts: ...

class _Borrow:
    """What Ref and RefMut share: the loan, and the place it reads."""

    _loan: Loan
    _place: Handle

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def is_active(self) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None: ...
    def __del__(self) -> None: ...
    def _dangling(self, site: Site) -> Exception: ...
    def __len__(self) -> int: ...
    def __contains__(self, item: object) -> bool: ...
    def __bool__(self) -> bool: ...
    def __copy__(self) -> NoReturn: ...
    def __reduce_ex__(self, protocol: object) -> NoReturn: ...
    @property
    def owner(self) -> Owned[Any]: ...
    def _repr_html_(self) -> str | None: ...

@final
class Ref(_Borrow, Generic[T_co]):
    """A shared borrow (`&T`): reads only; any number may be active at once."""

    @property
    def value(self) -> T_co: ...
    def __iter__(self: Ref[Iterable[U]]) -> Iterator[U]: ...
    def __getitem__(self, key: Any) -> Any: ...

@final
class RefMut(_Borrow, Generic[T]):
    """An exclusive borrow (`&mut T`): reads and writes; no other borrow while it is active."""

    @property
    def value(self) -> T: ...
    @value.setter
    def value(self, value: T) -> None: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __getitem__(self, key: Any) -> Any: ...
    def __setitem__(self, key: Any, item: Any) -> None: ...
    def __delitem__(self, key: Any) -> None: ...

def write(place: Handle, new: object, site: Site) -> None: ...
def set_drop_replaced(dropper: Callable[[Family, object, Site], None]) -> None: ...
def lend(place: Handle, mut: bool, site: Site, scope: Owner) -> _Borrow: ...
def end_loan(loan: Loan, why: int, at: object) -> None: ...
def end_loans(scope: Owner) -> None: ...
def move_loan(loan: Loan, scope: Owner) -> None: ...
def read_only_view(borrow: _Borrow, site: Site, scope: Owner) -> _Borrow: ...
def loan_of(borrow: _Borrow) -> Loan: ...
def newest_loan_site(place: Handle) -> Site | None: ...
