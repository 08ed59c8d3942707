"""The benchmark table runs (at a tiny size) so that it never rots; no timing is asserted here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_table_runs_every_operation_and_prints_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = load("run").main(scale=0.0001, repeats=1)
    printed = capsys.readouterr().out
    operations = [row.operation for row in rows]
    assert len(operations) >= 18
    for operation in operations:
        assert operation in printed
    assert all(row.ours >= 0 for row in rows)
    assert all(row.baseline is None or row.baseline >= 0 for row in rows)  # 0 at this size
    assert printed.startswith("owned ")
