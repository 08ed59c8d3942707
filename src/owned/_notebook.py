"""`%load_ext owned`: ownership in IPython and Jupyter, cell by cell.

- Each cell runs in a scope of its own, named after it (`In[5]`). The scope outlives the cell,
  so later cells use what it made; when the same cell runs again, its previous run's scope
  exits first (its borrows end, its values are dropped), so re-running a cell frees what it
  made before instead of piling it up in the root scope. A cell is "the same" by the id the
  front end sends (JupyterLab, Notebook 7), else by its text.
- Places in error messages read `Cell In[5], line 2`, as IPython's tracebacks do.
- An uncaught ownership error shows the cell's frames (the library's are trimmed) and then the
  rustc drawing once, in colour.
- `%%owned_trace` runs the cell under `python -m owned trace` and shows its source with each
  line's ownership events.

IPython is imported only by the functions that need it: `owned` does not depend on it.
"""

from __future__ import annotations

import atexit
import contextvars
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from ._diagnostics import render
from ._errors import OwnershipError
from ._places import add_namer, remove_namer
from ._scope import Scope, exit_set_aside, set_aside
from ._tracebacks import trimmed

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


class CellScopes:
    """The scopes of a shell's cells: the one entered for the running cell, and the scope each
    cell's last run made, kept until that cell runs again."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.by_cell: dict[str, Scope] = {}
        self.entered: Scope | None = None
        self.trace_files: dict[str, int] = {}  # %%owned_trace's file of each cell -> its number
        self.trace_folder: Path | None = None

    # -- IPython's events --------------------------------------------------------------------

    def exit_all(self) -> None:
        """At the kernel's exit: what the cells still own is dropped, newest cell first."""
        scopes, self.by_cell = list(self.by_cell.values()), {}
        for cell_scope in reversed(scopes):
            if cell_scope.is_active and cell_scope is not self.entered:
                try:
                    exit_set_aside(cell_scope)
                except BaseException:
                    traceback.print_exc(file=sys.stderr)

    def pre_run_cell(self, info: Any) -> None:
        """Exit the scope of this cell's previous run, then enter a new one for this run."""
        key = _cell_key(info)
        previous = self.by_cell.pop(key, None)
        if previous is not None and previous.is_active:
            try:
                exit_set_aside(previous)
            except BaseException as failure:  # a __drop__ raised: show it, run the cell anyway
                self.shell.showtraceback((type(failure), failure, failure.__traceback__))
        cell_scope = Scope(f"In[{self.shell.execution_count}]")
        cell_scope.__enter__()
        self.entered = self.by_cell[key] = cell_scope

    def post_run_cell(self, result: Any) -> None:
        """Set the cell's scope aside: no longer current, still alive for later cells."""
        entered, self.entered = self.entered, None
        if entered is not None and entered.is_active:
            set_aside(entered)

    # -- places and errors -------------------------------------------------------------------

    def name_place(self, filename: str, line: int, column: int | None) -> str | None:
        """`Cell In[5], line 2`, for a cell's code (or its `%%owned_trace` copy)."""
        number = self.trace_files.get(filename)
        if number is not None:
            label, name = "Cell", f"In[{number}]"
        else:
            named = self.shell.compile.format_code_name(filename)
            if named is None:
                return None
            label, name = named
        where = f"{label} {name}, line {line}"
        return where if column is None else f"{where}, column {column}"

    def show_ownership_error(
        self,
        shell: Any,
        kind: type[BaseException],
        error: BaseException,
        tb: TracebackType | None,
        tb_offset: int | None = None,
    ) -> list[str]:
        """IPython's traceback of the cell's frames, ending in the rustc drawing, in colour."""
        frames = shell.InteractiveTB.structured_traceback(
            kind, error, trimmed(tb), tb_offset=tb_offset
        )
        ending = f"{type(error).__qualname__}: "
        drawing = render(error, color=True) if isinstance(error, OwnershipError) else str(error)
        last = _index_of_exception_line(frames, ending)
        shown = [*frames[:last], f"\x1b[0;31m{ending}\x1b[0m{drawing}"]
        shell._showtraceback(kind, error, shown)  # how IPython (and ipykernel) shows a traceback
        return shown

    # -- %%owned_trace -----------------------------------------------------------------------

    def owned_trace(self, line: str, cell: str) -> None:
        """Run the cell with event recording on; show the permissions view of it (the plain
        text: its source with each line's events)."""
        from ._trace_annotate import annotate
        from ._trace_html import styled_fragment
        from ._trace_permissions import permissions_view
        from ._trace_run import run_traced

        if self.trace_folder is None:
            self.trace_folder = Path(tempfile.mkdtemp(prefix="owned_trace_"))
            atexit.register(shutil.rmtree, self.trace_folder, True)
        number = self.shell.execution_count
        script = self.trace_folder / f"cell_{number}.py"
        script.write_text(cell, encoding="utf-8")
        self.trace_files[str(script)] = number
        # A new context: the traced cell runs in the root scope, as a script would, not in
        # this cell's scope, so the trace ends with the drops of what it left.
        trace = contextvars.Context().run(run_traced, str(script))
        header = f"# owned trace of Cell In[{number}]"
        plain = header + "\n" + annotate(trace).split("\n", 1)[1]
        if trace.error is not None:  # the place is in the drawing: no frames of a temporary file
            plain += "\n" + _error_line(trace.error, color=False)
        html = styled_fragment(permissions_view(trace), title=f"Cell In[{number}]")
        if trace.error is not None and not isinstance(trace.error, OwnershipError):
            html += f"<pre>{_escaped(_error_line(trace.error, color=False))}</pre>"
        bundle = {"text/plain": plain, "text/html": html}
        self.shell.display_pub.publish(data=bundle)  # what IPython.display.display() calls


def _cell_key(info: Any) -> str:
    cell_id = getattr(info, "cell_id", None)
    return f"id:{cell_id}" if cell_id else f"text:{info.raw_cell}"


def _index_of_exception_line(frames: list[str], ending: str) -> int:
    """Where IPython's traceback shows `Type: message` (after its frames)."""
    for index in range(len(frames) - 1, -1, -1):
        plain = _without_colours(frames[index]).lstrip()
        if plain.startswith(ending):
            return index
    return len(frames)


def _without_colours(text: str) -> str:
    from ._display import _SGR

    return _SGR.sub("", text)


def _escaped(text: str) -> str:
    import html

    return html.escape(text)


def _error_line(error: BaseException, *, color: bool) -> str:
    """`Type: message` of the error that ended a traced cell; an ownership error drawn."""
    if isinstance(error, OwnershipError):
        return f"owned.{type(error).__name__}: {render(error, color=color)}\n"
    return "".join(traceback.format_exception_only(type(error), error))


_LOADED: dict[int, CellScopes] = {}  # id(shell) -> its cell scopes


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext owned`: a scope per cell (re-running a cell frees what its last run made),
    places named `Cell In[n], line k`, ownership errors drawn once, and `%%owned_trace`."""
    if id(ipython) in _LOADED:
        return
    cells = _LOADED[id(ipython)] = CellScopes(ipython)
    ipython.events.register("pre_run_cell", cells.pre_run_cell)
    ipython.events.register("post_run_cell", cells.post_run_cell)
    add_namer(cells.name_place)
    ipython.set_custom_exc((OwnershipError,), cells.show_ownership_error)
    ipython.register_magic_function(cells.owned_trace, magic_kind="cell", magic_name="owned_trace")
    atexit.register(cells.exit_all)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext owned`: new cells run in the root scope again. The scopes of earlier cells
    keep their values (names still refer to them) until the kernel exits."""
    cells = _LOADED.pop(id(ipython), None)
    if cells is None:
        return
    ipython.events.unregister("pre_run_cell", cells.pre_run_cell)
    ipython.events.unregister("post_run_cell", cells.post_run_cell)
    remove_namer(cells.name_place)
    ipython.set_custom_exc((), None)
