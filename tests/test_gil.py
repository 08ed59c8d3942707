"""`import owned` refuses a free-threaded interpreter running without the GIL, saying how to run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from owned import _gil


def test_without_the_gil_the_import_error_says_why_and_how_to_turn_it_on() -> None:
    with pytest.raises(ImportError) as caught:
        _gil.require_gil(lambda: False)
    message = str(caught.value)
    assert "free-threaded" in message
    assert "PYTHON_GIL=1" in message
    assert "-X gil=1" in message
    assert caught.value.name == "owned"


def test_with_the_gil_or_on_a_build_that_always_has_it_nothing_is_raised() -> None:
    _gil.require_gil(lambda: True)
    _gil.require_gil()  # this interpreter: the suite runs with the GIL


def test_importing_owned_where_the_gil_is_off_fails_before_any_runtime_module_loads() -> None:
    probe = (
        "import sys\n"
        "sys._is_gil_enabled = lambda: False\n"  # what a free-threaded build without it says
        "try:\n"
        "    import owned\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, 'PYTHON_GIL=1' in str(error))\n"
        "print(sorted(m for m in sys.modules if m.startswith('owned.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stdout.splitlines() == ["ImportError True", "['owned._gil']"], result.stderr
