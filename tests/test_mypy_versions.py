"""The plugin is tested against both ends of the mypy range that pyproject.toml pins.

The suite itself runs on the newest mypy the pin allows (what `pip install -e '.[test]'`
picks); this test builds a second environment with the oldest supported release and runs the
plugin's tests there, so that `.ci/run` stays the README's single test command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mypy.version

ROOT = Path(__file__).resolve().parents[1]
LOWEST = "1.11.2"  # the newest patch release of the lowest minor version the pin admits
ENVIRONMENT = ROOT / ".venv-mypy-lowest"
_TEST_TOOLS = (f"mypy=={LOWEST}", "pytest", "pytest-mypy-plugins", "hypothesis")
_PLUGIN_TESTS = ("tests/typesafety", "tests/test_mypy_plugin.py")


def _pinned_range() -> tuple[str, str]:
    pin = re.search(r'"mypy>=([\d.]+),<([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin is not None, "pyproject.toml pins mypy as >=LOW,<HIGH"
    return pin.group(1), pin.group(2)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_the_suite_runs_on_the_newest_mypy_the_pin_allows() -> None:
    low, high = _pinned_range()
    assert _version(low) <= _version(mypy.version.__version__) < _version(high)
    assert _version(LOWEST)[:2] == _version(low)[:2]


def test_the_plugin_tests_pass_on_the_oldest_supported_mypy() -> None:
    python = ENVIRONMENT / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ENVIRONMENT)], check=True)
    installed = subprocess.run(
        [str(python), "-c", "import mypy.version; print(mypy.version.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.stdout.strip() != LOWEST:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", str(ROOT), *_TEST_TOOLS],
            check=True,
            timeout=600,
        )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *_PLUGIN_TESTS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]
