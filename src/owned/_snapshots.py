"""Plain snapshots of sites, so that errors pickle (across `multiprocessing`, `concurrent.futures`).

A `Site` holds a code object, which does not pickle; its snapshot holds what an error shows of
it: the file, the line and its text, the columns, the function and the name found there.
"""

from __future__ import annotations

import linecache
from typing import Any, final

from ._bytecode import display_filename

__all__ = ["SiteSnapshot"]


@final
class SiteSnapshot:
    """What a `Site` shows, without its code object: made when a site is pickled."""

    __slots__ = (
        "column",
        "end_column",
        "filename",
        "function",
        "line",
        "name",
        "text",
    )
    code = None  # no bytecode to read: renderings underline the recorded columns
    offset = -1
    is_named_by_hand = False

    def __init__(
        self,
        filename: str,
        line: int,
        column: int | None,
        end_column: int | None,
        function: str,
        name: str | None,
        text: str,
    ) -> None:
        self.filename = filename
        self.line = line
        self.column = column
        self.end_column = end_column
        self.function = function
        self.name = name
        self.text = text

    @classmethod
    def of(cls, site: Any) -> SiteSnapshot:
        """The snapshot of a live site (what `pickle` stores for it)."""
        return cls(
            site.filename,
            site.line,
            site.column,
            site.end_column,
            site.function,
            site.assigned_name(),
            linecache.getline(site.filename, site.line).rstrip("\r\n"),
        )

    @property
    def display_filename(self) -> str:
        return display_filename(self.filename)

    def assigned_name(self) -> str | None:
        return self.name

    def used_name(self, value: object) -> str | None:
        return None  # the program that ran is gone

    def source_line(self) -> str:
        """The line's text: from the file if it is here, else as it was when pickled."""
        return linecache.getline(self.filename, self.line).rstrip("\r\n") or self.text

    def __str__(self) -> str:
        return f"{self.display_filename}:{self.line} ({self.function})"

    def __repr__(self) -> str:
        return f"<owned.Site snapshot {self}>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (
            SiteSnapshot,
            (
                self.filename,
                self.line,
                self.column,
                self.end_column,
                self.function,
                self.name,
                self.text,
            ),
        )
