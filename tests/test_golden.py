"""The same observable output on every Python: each error's text and a trace, byte for byte.

Each script in `tests/golden/cases/` raises one ownership error; `str(error)` and
`error.render()` must equal `tests/golden/render-NAME.txt` on every interpreter (3.10, which
records no columns, underlines whole lines: `tests/golden/py310/`, where that differs). A trace
of `tests/golden/trace_scopes_and_calls.py` must equal `tests/golden/trace-...txt`.
`OWNED_UPDATE_GOLDEN=1 pytest tests/test_golden.py` writes the running version's files.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import owned

if TYPE_CHECKING:
    from tests.conftest import Golden

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted((GOLDEN / "cases").glob("*.py"))


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_each_error_renders_the_same_on_every_python(
    case: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    monkeypatch.chdir(case.parent)  # files are shown relative to the working directory
    monkeypatch.setenv("NO_COLOR", "1")
    with pytest.raises(owned.OwnershipError) as caught:
        runpy.run_path(str(case), run_name="__main__")
    golden.check(f"{caught.value}\n\n{caught.value.render()}\n", name=f"render-{case.stem}")


def test_a_trace_shows_the_same_events_on_the_same_lines_on_every_python(golden: Golden) -> None:
    script = GOLDEN / "trace_scopes_and_calls.py"
    result = subprocess.run(
        [sys.executable, "-m", "owned", "trace", script.name],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    golden.check(result.stdout, name=f"trace-{script.stem}")


def test_every_golden_text_belongs_to_a_case() -> None:
    stems = {f"render-{case.stem}" for case in CASES} | {"trace-trace_scopes_and_calls"}
    written = {path.stem for path in GOLDEN.glob("*.txt")}
    assert written == stems
    older = {path.stem for path in (GOLDEN / "py310").glob("render-*.txt")}
    assert older <= stems
