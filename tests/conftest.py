"""Shared test settings: hypothesis profiles sized for a 2-core CI machine.

`default` for a contributor's run, `ci` when CI is set, `thorough` (HYPOTHESIS_PROFILE=thorough,
the `nox -s thorough` session) for the long search of the property and stateful tests.
"""

import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


# -- golden texts ------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden"
# Python 3.10 records no columns: its renderings underline whole lines, pinned in files of
# their own.
WHOLE_LINES = sys.version_info < (3, 11)


class Golden:
    """Checks a text byte for byte against its golden copy for the running Python.

    `tests/golden/NAME.txt` (or the `expected` text given inline) holds the output of every
    version; `tests/golden/py310/NAME.txt`, where it exists, the whole-line fallback of 3.10.
    OWNED_UPDATE_GOLDEN=1 writes the running version's file instead of comparing.
    """

    def __init__(self, test_name: str) -> None:
        self.test_name = test_name

    def path(self, name: str | None = None) -> Path:
        stem = re.sub(r"[^\w.-]+", "_", name or self.test_name).strip("_")
        default = GOLDEN / f"{stem}.txt"
        older = GOLDEN / "py310" / f"{stem}.txt"
        if WHOLE_LINES and (older.exists() or os.environ.get("OWNED_UPDATE_GOLDEN")):
            return older
        return default

    def check(
        self,
        actual: str,
        expected: str | None = None,
        *,
        name: str | None = None,
        prefix: bool = False,
    ) -> None:
        path = self.path(name)
        stem = path.stem
        default = GOLDEN / f"{stem}.txt"
        if os.environ.get("OWNED_UPDATE_GOLDEN"):
            self._update(path, default, actual, expected, prefix)
            return
        if expected is None or path.parent.name == "py310":
            assert path.exists(), f"no golden text at {path} (OWNED_UPDATE_GOLDEN=1 writes it)"
            expected = path.read_text()
        if prefix:
            assert actual.startswith(expected), f"{path}:\n{actual}"
        else:
            assert actual == expected, f"{path}:\n{actual}"

    @staticmethod
    def _update(path: Path, default: Path, actual: str, expected: str | None, prefix: bool) -> None:
        """Write the running version's golden text; 3.10 keeps a file only where it differs."""
        if path.parent.name == "py310":
            shared = expected if expected is not None else default.read_text()
            same = actual.startswith(shared) if prefix else actual == shared
            if same:
                path.unlink(missing_ok=True)
                return
        elif expected is not None:
            return  # the inline text is the golden copy: edit the test
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """The golden-text checker of this test (see `Golden`)."""
    return Golden(request.node.name)
