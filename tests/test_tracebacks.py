"""Uncaught errors in real subprocesses: the user's frames, then one rustc drawing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import owned

PACKAGE = str(Path(owned.__file__).parent)


def _stderr(tmp_path: Path, source: str, *args: str, status: int = 1) -> str:
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(source).lstrip())
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    result = subprocess.run(
        [sys.executable, *args, script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_an_error_inside_an_owned_function_shows_the_users_frames_only(tmp_path: Path) -> None:
    stderr = _stderr(
        tmp_path,
        """
        import owned
        from owned import Owned, Ref

        @owned.function
        def total(years: Ref[list[int]]) -> int:
            years.release()
            return sum(years.value)

        years = Owned([1, 2])
        total(years)
        """,
    )
    frames = [line for line in stderr.splitlines() if line.startswith("  File ")]
    assert frames == [
        f'  File "{tmp_path / "case.py"}", line 10, in <module>',
        f'  File "{tmp_path / "case.py"}", line 7, in total',
    ]
    assert stderr.count("borrow of `years` used after it was released") == 1
    assert PACKAGE not in stderr


def test_a_chained_error_is_drawn_once_above_the_error_it_caused(tmp_path: Path) -> None:
    stderr = _stderr(
        tmp_path,
        """
        import owned
        x = owned.Owned([1])
        x.drop()
        try:
            x.value
        except owned.OwnershipError as error:
            raise RuntimeError("wrapped") from error
        """,
    )
    assert stderr.count("use of dropped value") == 1
    assert "owned.UseAfterDropError: error: use of dropped value: `x`\n" in stderr
    assert "direct cause of the following exception" in stderr
    assert stderr.endswith("RuntimeError: wrapped\n")


def test_an_uncaught_error_in_a_thread_is_drawn_once(tmp_path: Path) -> None:
    stderr = _stderr(
        tmp_path,
        """
        import threading
        import owned
        x = owned.Owned([1])
        x.drop()
        thread = threading.Thread(target=lambda: x.value, name="reader")
        thread.start()
        thread.join()
        """,
        status=0,
    )
    assert stderr.startswith("Exception in thread reader:\nTraceback (most recent call last):")
    assert stderr.count("use of dropped value") == 1
    assert PACKAGE not in stderr


def test_other_errors_and_a_programs_own_excepthook_are_left_as_they_were(
    tmp_path: Path,
) -> None:
    plain = _stderr(tmp_path, "import owned\n1 / 0\n")
    assert plain.endswith("ZeroDivisionError: division by zero\n")
    hooked = _stderr(
        tmp_path,
        """
        import sys
        sys.excepthook = lambda kind, error, tb: print("the program's hook:", kind.__name__)
        import owned
        owned.Owned(1).drop() or owned.drop(owned.Owned(2)) or owned.Owned(3).move().value
        x = owned.Owned(4)
        x.drop()
        x.drop()
        """,
    )
    assert hooked == "the program's hook: DoubleDropError\n"


def test_pytest_hides_the_library_frames_of_an_ownership_error(tmp_path: Path) -> None:
    output = _stderr(
        tmp_path,
        """
        import owned

        def test_reads_a_moved_value():
            x = owned.Owned([1])
            y = x.move()
            assert x.value == [1]
        """,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--tb=long",
    )
    assert "case.py:6: UseAfterMoveError" in output
    assert PACKAGE not in output
