"""`%load_ext owned` in a real Jupyter kernel, executed with nbclient, and the example notebook.

One kernel runs one notebook for the whole module (starting a kernel is the slow part); each
test reads the outputs of the cells it is about.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import owned
from owned._notebook import CellScopes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ownership_in_a_notebook.ipynb"
_SGR = re.compile(r"\x1b\[[0-9;]*m")

CELLS = {
    "load": "%load_ext owned",
    "setup": "import owned\nfrom owned import Owned\nheap = owned.Arena(capacity=16)",
    "make": "years = Owned([2001, 2002, 2003, 2004], arena=heap)\nyears",
    "scope": "owned.current_scope()",
    "awaits": "import asyncio\nawait asyncio.sleep(0)\nowned.current_scope()",
    "count": "heap.stats().live_cells",
    "arena": "heap",
    "borrow": "first = years.borrow()\nfirst",
    "refused": (
        "try:\n    years.value = []\nexcept owned.BorrowMutError as error:\n"
        "    refused = error\nrefused"
    ),
    "uncaught": "first.release()\nmoved = years.move()\nyears.value",
    "later": "moved.value",
    "leaks": "lost = [Owned([9], arena=heap)]\ndel lost\nheap.leaks()",
    "trace": ("%%owned_trace\nimport owned\nv = owned.Owned([1, 2])\nw = v.move()\nprint(v.value)"),
}
RERUNS = 5  # the "make" cell runs this many times: 5 x 4 cells would not fit in 16 without drops


@pytest.fixture(scope="module")
def outputs() -> dict[str, list[list[dict[str, Any]]]]:
    """Each cell's outputs, per run, from one kernel."""
    cells = {key: nbformat.v4.new_code_cell(source) for key, source in CELLS.items()}
    notebook = nbformat.v4.new_notebook(cells=list(cells.values()))
    client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True)
    runs: dict[str, list[list[dict[str, Any]]]] = {key: [] for key in CELLS}
    order = ["load", "setup", *["make", "count"] * RERUNS, "scope", "awaits", "arena", "borrow"]
    order += ["refused", "uncaught", "later", "trace", "leaks"]
    with client.setup_kernel():
        for key in order:
            cell = cells[key]
            client.execute_cell(cell, list(cells).index(key))
            runs[key].append([dict(output) for output in cell.outputs])
    return runs


def _data(output: dict[str, Any]) -> dict[str, str]:
    data: dict[str, str] = output.get("data", {})
    return data


def test_rerunning_a_cell_frees_what_its_previous_run_made(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    counts = [_data(run[0])["text/plain"] for run in outputs["count"]]
    assert counts == ["4"] * RERUNS
    addresses = [_data(run[0])["text/plain"] for run in outputs["make"]]
    assert addresses == ["<owned.Owned[list] 4 cells @0x0 (alive)>"] * RERUNS


def test_each_cell_runs_in_a_scope_named_after_it(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    for key in ("scope", "awaits"):  # a cell with a top-level await too
        (run,) = outputs[key]
        shown = _data(run[0])["text/plain"]
        assert re.fullmatch(r"<owned\.Scope 'In\[\d+\]' \(active\)>", shown), key


def test_handles_and_arenas_display_as_html_with_names_and_owners(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    handle = _data(outputs["make"][-1][0])
    assert set(handle) == {"text/plain", "text/html"}
    assert "owned.Owned `years`" in handle["text/html"]
    assert "[2001, 2002, 2003, 2004]" in handle["text/html"]
    assert "4 cells @0x0" in handle["text/html"]
    arena = _data(outputs["arena"][0][0])
    assert set(arena) == {"text/plain", "text/html"}
    assert "grid-column: 1 / span 4" in arena["text/html"]
    assert "<b>years</b><br><small>scope In[" in arena["text/html"]
    borrow = _data(outputs["borrow"][0][0])
    assert "owned.Ref &amp;years" in borrow["text/html"]
    assert ">active<" in borrow["text/html"]


def test_a_caught_error_displays_as_the_coloured_rustc_drawing(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    shown = _data(outputs["refused"][0][0])
    assert set(shown) == {"text/plain", "text/html"}
    red = '<span style="font-weight: bold; color: #d32f2f">'
    assert f"{red}error[E0506]</span>" in shown["text/html"]
    assert "Cell In[" in shown["text/html"]


def test_an_uncaught_error_names_the_cell_and_is_drawn_once(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    (error,) = outputs["uncaught"][0]
    assert error["output_type"] == "error"
    assert error["ename"] == "UseAfterMoveError"
    text = _SGR.sub("", "\n".join(error["traceback"]))
    assert text.count("use of moved value") == 1
    assert "UseAfterMoveError: error[E0382]: use of moved value: `years`" in text
    assert re.search(r" --> Cell In\[\d+\], line 3, column 1\n", text)
    assert "ipykernel_" not in text
    assert "_handles.py" not in text


def test_values_made_by_earlier_cells_stay_usable_in_later_cells(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    (result,) = outputs["later"][0]
    assert _data(result)["text/plain"] == "[2001, 2002, 2003, 2004]"


def test_owned_trace_shows_the_cell_with_its_events_and_its_error(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    (shown,) = outputs["trace"][0]
    data = _data(shown)
    assert set(data) == {"text/plain", "text/html"}
    lines = data["text/plain"].splitlines()
    assert re.fullmatch(r"# owned trace of Cell In\[\d+\]", lines[0])
    assert "v = owned.Owned([1, 2])  # alloc v [2 cells @0x0]" in lines
    assert "w = v.move()             # move v -> w" in lines
    assert "owned.UseAfterMoveError: error[E0382]: use of moved value: `v`" in lines
    html = data["text/html"]  # the permissions view: `v` loses R, W and O to `w`, then fails
    assert re.search(r'data-script="Cell In\[\d+\]"', html)
    assert html.count('data-place="v"') == 3  # its alloc, its move and the failing read
    assert '<span class="p missing" data-perm="R" data-change="missing">R</span>' in html
    assert "use of moved value: <span" in html or "use of moved value: `v`" in html


def test_arena_leaks_display_as_a_table_naming_the_cell(
    outputs: dict[str, list[list[dict[str, Any]]]],
) -> None:
    (result,) = outputs["leaks"][0]
    data = _data(result)
    assert set(data) == {"text/plain", "text/html"}
    assert "reason='forgotten'" in data["text/plain"]
    assert "1 leaked block" in data["text/html"]
    assert re.search(r"Cell In\[\d+\], line 1", data["text/html"])


def test_the_example_notebook_is_stored_without_outputs_and_runs() -> None:
    notebook = nbformat.read(EXAMPLE, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    errors = [o for cell in code for o in cell.outputs if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["UseAfterMoveError"]  # the cell tagged to raise
    html = [o for cell in code for o in cell.outputs if "text/html" in o.get("data", {})]
    assert len(html) >= 5
    shown = [o["data"]["text/html"] for o in html]
    assert sum('data-change="lost"' in h for h in shown) == 1  # the %%owned_trace cell's view
    assert sum("1 leaked block" in h for h in shown) == 1  # the last cell's `heap.leaks()`


# -- the cell scopes without a kernel ------------------------------------------------------------


def _shell() -> Any:
    return SimpleNamespace(
        execution_count=1, compile=SimpleNamespace(format_code_name=lambda _: None)
    )


def _active(scope: owned.Scope) -> bool:
    return scope.is_active  # a call: mypy would narrow the property across the re-run


def _run(cells: CellScopes, source: str, cell_id: str | None = None) -> owned.Scope:
    cells.pre_run_cell(SimpleNamespace(raw_cell=source, cell_id=cell_id))
    made = owned.current_scope()
    cells.shell.execution_count += 1
    cells.post_run_cell(None)
    return made


def test_a_cell_is_the_same_cell_by_its_id_when_the_front_end_sends_one() -> None:
    cells = CellScopes(_shell())
    first = _run(cells, "x = 1", cell_id="a")
    _run(cells, "x = 1", cell_id="b")
    assert _active(first)  # same text, another cell
    _run(cells, "x = 2", cell_id="a")
    assert not _active(first)  # edited, but the same cell
    assert owned.current_scope().name == "root"
    cells.exit_all()


def test_a_cell_scope_is_set_aside_after_the_cell_and_exited_when_it_runs_again() -> None:
    cells = CellScopes(_shell())
    cells.pre_run_cell(SimpleNamespace(raw_cell="x = Owned(1)", cell_id=None))
    value = owned.Owned([1, 2])
    cells.post_run_cell(None)
    assert owned.current_scope().name == "root"
    assert repr(value).endswith("(alive)>") and value.scope.name == "In[1]"
    _run(cells, "x = Owned(1)")
    assert not value.is_alive
    cells.exit_all()
