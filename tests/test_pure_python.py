"""The pure-Python runtime is the tested fallback of the C accelerator (`owned._speedups`):
the runtime's own tests run again, in a fresh interpreter, with OWNED_PURE_PYTHON=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from owned import Owned, Ref, RefMut

ROOT = Path(__file__).resolve().parents[1]
ACCELERATED = sys.implementation.name == "cpython" and sys.version_info >= (3, 11)
# Every test file of the runtime whose behaviour the accelerator could change.
RUNTIME_TESTS = [
    "tests/test_handles.py",
    "tests/test_errors.py",
    "tests/test_scopes.py",
    "tests/test_function.py",
    "tests/test_threads.py",
    "tests/test_diagnostics.py",
    "tests/test_trace.py",
    "tests/test_stateful.py",
    "tests/examples",
]


def _pure(*command: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OWNED_PURE_PYTHON": "1"}
    return subprocess.run(
        [sys.executable, *command],
        check=False,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_install_puts_the_accelerated_members_in_place() -> None:
    kinds = {type(vars(Ref)["value"]), type(vars(RefMut)["value"]), type(vars(Owned)["borrow"])}
    expected = (
        {"getset_descriptor", "method_descriptor"} if ACCELERATED else {"property", "function"}
    )
    assert {kind.__name__ for kind in kinds} == expected


def test_owned_pure_python_turns_the_accelerator_off() -> None:
    probe = (
        "import owned, owned._fastcall as f; print(f.ACCELERATOR, type(vars(owned.Ref)['value']))"
    )
    assert _pure("-c", probe).stdout.split() == ["None", "<class", "'property'>"]


def test_the_runtime_tests_pass_in_pure_python() -> None:
    result = _pure("-m", "pytest", "-q", "-p", "no:cacheprovider", *RUNTIME_TESTS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
