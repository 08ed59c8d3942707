"""The plugin is tested against both ends of the mypy range that pyproject.toml pins.

The suite runs on the newest mypy the pin allows (what `pip install -e '.[test]'` picks); the
`mypy-lowest` nox session runs the plugin's tests on the oldest (`noxfile.MYPY_LOWEST`).
"""

from __future__ import annotations

import re
from pathlib import Path

import mypy.version

ROOT = Path(__file__).resolve().parents[1]


def _pinned_range() -> tuple[str, str]:
    pin = re.search(r'"mypy>=([\d.]+),<([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin is not None, "pyproject.toml pins mypy as >=LOW,<HIGH"
    return pin.group(1), pin.group(2)


def _lowest_tested() -> str:
    lowest = re.search(r'^MYPY_LOWEST = "([\d.]+)"', (ROOT / "noxfile.py").read_text(), re.M)
    assert lowest is not None, "noxfile.py names the oldest mypy it tests as MYPY_LOWEST"
    return lowest.group(1)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_the_suite_runs_on_the_newest_mypy_the_pin_allows() -> None:
    low, high = _pinned_range()
    assert _version(low) <= _version(mypy.version.__version__) < _version(high)


def test_the_oldest_mypy_session_tests_the_lowest_minor_version_the_pin_admits() -> None:
    low, _ = _pinned_range()
    assert _version(_lowest_tested())[:2] == _version(low)[:2]
