"""Which build of the core runs in this process: `compiled` or `interpreted`."""

from __future__ import annotations

from typing import Final, Literal

from ._accelerator import ACCELERATOR

__all__ = ["BUILD"]

BUILD: Final[Literal["compiled", "interpreted"]] = (
    "interpreted" if ACCELERATOR is None else "compiled"
)
