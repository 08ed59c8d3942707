"""Every file in examples/ runs as a user would run it, and prints what we promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
EXPECTED = Path(__file__).parent


def test_every_example_has_an_expected_output() -> None:
    assert {path.stem for path in EXAMPLES} == {path.stem for path in EXPECTED.glob("*.out")}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_prints_its_expected_output(example: Path) -> None:
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [sys.executable, str(example.relative_to(ROOT))],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == (EXPECTED / f"{example.stem}.out").read_text()
