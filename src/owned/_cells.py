"""How many cells a value occupies: `size` if given, else `max(1, len(value))` for sized values."""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_CELLS", "cells_for", "has_len"]

MAX_CELLS: Final = 2**62

# Whether values of a type have a length, asked once per type (a type gains `__len__` almost
# never, and asking with hasattr() formats and discards an AttributeError every time).
_SIZED: Final[dict[type, bool]] = {}


def has_len(cls: type) -> bool:
    sized = _SIZED.get(cls)
    if sized is None:
        sized = _SIZED[cls] = hasattr(cls, "__len__")
    return sized


def cells_for(value: object, size: object, what: str) -> int:
    """The cells a value occupies; a clear `TypeError`/`ValueError` for what cannot say."""
    if size is None:
        if not has_len(type(value)):
            return 1
        try:
            length = len(value)  # type: ignore[arg-type]
        except (TypeError, OverflowError, ValueError) as failure:
            raise TypeError(
                f"{what}() measures a value with len() unless size= is given, and len() of "
                f"this {type(value).__name__} failed ({type(failure).__name__}: {failure}): "
                f"pass {what}(value, size=N) with the number of cells it occupies"
            ) from None
        return _checked(length or 1, what)
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(
            f"{what}(size=...) expects a number of cells (int), got {type(size).__name__}"
        )
    if size <= 0:
        raise ValueError(f"{what}(size=...) expects a number of cells >= 1, got {size}")
    return _checked(size, what)


def _checked(cells: int, what: str) -> int:
    if cells > MAX_CELLS:
        raise ValueError(
            f"{what}() cannot place a block of {cells} cells (at most 2**62): pass "
            f"{what}(value, size=N) with a smaller number of cells"
        )
    return cells
