"""rustc-style rendering of ownership errors: `err.render()` and the note under a traceback."""

# The expected renderings hold rustc's long lines verbatim.
# ruff: noqa: E501

from __future__ import annotations

import os
import pty
import re
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import owned

if TYPE_CHECKING:
    from tests.conftest import Golden

# Python 3.10 records no columns: its snippets underline whole lines (see tests/golden/py310).
WHOLE_LINES = sys.version_info < (3, 11)


def _error_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> owned.OwnershipError:
    """Run `source` as `case.py` in `tmp_path` (the working directory) and return its error."""
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "case.py"
    script.write_text(textwrap.dedent(source).lstrip())
    with pytest.raises(owned.OwnershipError) as caught:
        runpy.run_path(str(script))
    return caught.value


def _expected(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _drawn(error: owned.OwnershipError) -> str:
    """The rendering up to rustc's last line, which it checks: the command that explains it."""
    rendering = error.render()
    key = error.code or type(error).__name__
    ending = f"\n\nFor more information about this error, try `python -m owned explain {key}`."
    assert rendering.endswith(ending)
    return rendering.removesuffix(ending)


PRINT_YEARS_TWICE = """
    import owned
    from owned import Owned


    @owned.function
    def print_years(years: Owned[list[int]]) -> None:
        for year in years.borrow():
            print(year)


    with owned.scope():
        years = Owned([2001, 2002, 2003, 2004])
        print_years(years)
        print_years(years)
"""


def test_use_after_move_renders_like_rustc_with_the_parameter_note_and_clone_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(tmp_path, monkeypatch, PRINT_YEARS_TWICE)
    golden.check(
        _drawn(error),
        _expected("""
        error[E0382]: use of moved value: `years`
          --> case.py:14:17
           |
        13 |     print_years(years)
           |                 ----- value moved here
        14 |     print_years(years)
           |                 ^^^^^ value used here after move
           |
        note: consider changing this parameter type in function `print_years` to borrow instead if owning the value isn't necessary
          --> case.py:6:24
           |
         6 | def print_years(years: Owned[list[int]]) -> None:
           |     -----------        ^^^^^^^^^^^^^^^^ this parameter takes ownership of the value
           |     |
           |     in this function
        help: consider cloning the value if the performance cost is acceptable
           |
        13 |     print_years(years.clone())
           |                      ++++++++
    """),
    )


def test_a_move_in_a_loop_is_labelled_as_moved_in_a_previous_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(
        tmp_path,
        monkeypatch,
        """
        import owned
        from owned import Owned


        @owned.function
        def consume(v: Owned[list[int]]) -> None:
            pass


        with owned.scope():
            v = Owned([1])
            for _ in range(3):
                consume(v)
    """,
    )
    rendered = error.render()
    golden.check(
        rendered,
        _expected("""
        error[E0382]: use of moved value: `v`
          --> case.py:13:17
           |
        13 |         consume(v)
           |                 ^ value moved here, in previous iteration of loop
           |
    """),
        prefix=True,
    )


def test_a_move_by_method_keeps_the_whole_call_and_falls_back_to_the_runtime_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(
        tmp_path,
        monkeypatch,
        """
        from owned import Owned, scope

        with scope():
            s = Owned("hello")
            t = s.move()
            print(s.value)
    """,
    )
    golden.check(
        _drawn(error),
        _expected(f"""
        error[E0382]: use of moved value: `s`
         --> case.py:6:11
          |
        5 |     t = s.move()
          |         -------- value moved here
        6 |     print(s.value)
          |           ^^^^^^^ value used here after move
          |
          = help: {error.help}
    """),
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                r1 = s.borrow_mut()
                r2 = s.borrow_mut()
            """,
            """
            error[E0499]: cannot borrow `s` as mutable more than once at a time
             --> case.py:6:10
              |
            5 |     r1 = s.borrow_mut()
              |          -------------- first mutable borrow occurs here
            6 |     r2 = s.borrow_mut()
              |          ^^^^^^^^^^^^^^ second mutable borrow occurs here
            """,
            id="E0499",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                r1 = s.borrow()
                r3 = s.borrow_mut()
            """,
            """
            error[E0502]: cannot borrow `s` as mutable because it is also borrowed as immutable
             --> case.py:6:10
              |
            5 |     r1 = s.borrow()
              |          ---------- immutable borrow occurs here
            6 |     r3 = s.borrow_mut()
              |          ^^^^^^^^^^^^^^ mutable borrow occurs here
            """,
            id="E0502-mutable",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                r1 = s.borrow_mut()
                print(s.value)
            """,
            """
            error[E0502]: cannot borrow `s` as immutable because it is also borrowed as mutable
             --> case.py:6:11
              |
            5 |     r1 = s.borrow_mut()
              |          -------------- mutable borrow occurs here
            6 |     print(s.value)
              |           ^^^^^^^ immutable borrow occurs here
            """,
            id="E0502-immutable",
        ),
        pytest.param(
            """
            from owned import Owned, drop, scope

            with scope():
                s = Owned("hello")
                r = s.borrow()
                drop(s)
            """,
            """
            error[E0505]: cannot drop `s` because it is borrowed
             --> case.py:6:10
              |
            5 |     r = s.borrow()
              |         ---------- borrow of `s` occurs here
            6 |     drop(s)
              |          ^ drop `s` occurs here
            """,
            id="E0505",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                r = s.borrow()
                s.value = "world"
            """,
            """
            error[E0506]: cannot assign to `s` because it is borrowed
             --> case.py:6:5
              |
            5 |     r = s.borrow()
              |         ---------- `s` is borrowed here
            6 |     s.value = "world"
              |     ^^^^^^^ `s` is assigned to here but it was already borrowed
            """,
            id="E0506",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                x = Owned("hello")
                with scope():
                    r = x.borrow()
                    n = len(r)
                print(r.value)
            """,
            """
            error[E0597]: borrow of `x` used after its scope ended
             --> case.py:8:11
              |
            5 |     with scope():
              |     ------------ borrow ended here, at the end of its scope (the `with` block ending on line 7)
            6 |         r = x.borrow()
              |             ---------- `x` borrowed here
            7 |         n = len(r)
            8 |     print(r.value)
              |           ^^^^^^^ borrow later used here
            """,
            id="E0597",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                s.drop()
                s.drop()
            """,
            """
            error: double drop of `s`
             --> case.py:6:5
              |
            5 |     s.drop()
              |     -------- value first dropped here
            6 |     s.drop()
              |     ^^^^^^^^ value dropped again here
            """,
            id="double-drop",
        ),
        pytest.param(
            """
            from owned import Owned, scope

            with scope():
                s = Owned("hello")
                s.drop()
                print(s.value)
            """,
            """
            error: use of dropped value: `s`
             --> case.py:6:11
              |
            5 |     s.drop()
              |     -------- value dropped here
            6 |     print(s.value)
              |           ^^^^^^^ value used here after drop
            """,
            id="use-after-drop",
        ),
    ],
)
def test_each_borrow_checker_error_renders_its_labels_on_the_exact_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden, source: str, expected: str
) -> None:
    error = _error_of(tmp_path, monkeypatch, source)
    golden.check(_drawn(error), _expected(expected) + f"\n  |\n  = help: {error.help}")


def test_a_use_after_free_names_the_use_the_free_and_the_allocation_like_asan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(
        tmp_path,
        monkeypatch,
        """
        import owned

        arena = owned.Arena()
        years = arena.alloc([0] * 4)
        years[0] = 2001
        arena.free(years)
        print(years[0])
    """,
    )
    golden.check(
        _drawn(error),
        _expected("""
        error: heap-use-after-free: READ of `years` (4 cells @0x0 gen 1) after it was freed
         --> case.py:7:7
          |
        4 | years = arena.alloc([0] * 4)
          |         -------------------- previously allocated here
        5 | years[0] = 2001
        6 | arena.free(years)
          |            ----- freed here
        7 | print(years[0])
          |       ^^^^^^^^ used here
    """),
    )


def test_a_double_free_points_at_both_frees_and_the_allocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(
        tmp_path,
        monkeypatch,
        """
        import owned

        arena = owned.Arena()
        years = arena.alloc([0] * 4)
        arena.free(years)
        arena.free(years)
    """,
    )
    golden.check(
        error.render(),
        _expected("""
        error: attempting double-free on `years` (4 cells @0x0 gen 1)
         --> case.py:6:12
          |
        4 | years = arena.alloc([0] * 4)
          |         -------------------- previously allocated here
        5 | arena.free(years)
          |            ----- first freed here
        6 | arena.free(years)
          |            ^^^^^ freed again here
    """),
        prefix=True,
    )


def test_two_labels_on_one_line_hang_the_left_one_below_as_rustc_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Golden
) -> None:
    error = _error_of(
        tmp_path,
        monkeypatch,
        """
        from owned import Owned, scope

        with scope():
            s = Owned("hello")
            a = s.borrow_mut(); b = s.borrow_mut()
    """,
    )
    golden.check(
        error.render(),
        _expected("""
        error[E0499]: cannot borrow `s` as mutable more than once at a time
         --> case.py:5:29
          |
        5 |     a = s.borrow_mut(); b = s.borrow_mut()
          |         --------------      ^^^^^^^^^^^^^^ second mutable borrow occurs here
          |         |
          |         first mutable borrow occurs here
    """),
        prefix=True,
    )


def test_an_error_without_sites_renders_its_headline_and_help() -> None:
    arena = owned.Arena(capacity=2)
    with pytest.raises(owned.OutOfMemoryError) as caught:
        arena.alloc([1, 2, 3])
    assert _drawn(caught.value) == (
        f"error: {caught.value.headline}\n  |\n  = help: {caught.value.help}"
    )


def test_render_in_colour_paints_the_headline_and_the_primary_span_red(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = _error_of(tmp_path, monkeypatch, PRINT_YEARS_TWICE)
    coloured = error.render(color=True)
    assert coloured.startswith("\x1b[1;31merror[E0382]\x1b[0m")
    carets, dashes = ("^" * 18, "-" * 18) if WHOLE_LINES else ("^" * 5, "-" * 5)
    assert f"\x1b[1;31m{carets}\x1b[0m" in coloured
    assert f"\x1b[1;34m{dashes}\x1b[0m" in coloured
    assert "\x1b" not in error.render()


def test_str_stays_the_contract_compact_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = _error_of(tmp_path, monkeypatch, PRINT_YEARS_TWICE)
    where = error.used_at.display_filename if error.used_at else ""
    assert str(error).splitlines()[:3] == [
        "[E0382] use of moved value `years`",
        f"  --> value moved here: {where}:13 (<module>)",
        f"  --> value used here after move: {where}:14 (<module>)",
    ]


def test_the_rendering_is_a_note_that_other_notes_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = _error_of(tmp_path, monkeypatch, PRINT_YEARS_TWICE)
    if sys.version_info >= (3, 11):
        error.add_note("a note of the caller")
    else:  # what add_note does, which 3.10's exceptions lack
        error.__notes__.append("a note of the caller")
    assert error.__notes__ == ["\n" + error.render(), "a note of the caller"]


def _run(script: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, script.name],
        cwd=script.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    return result.stderr


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


@pytest.fixture
def years_script(tmp_path: Path) -> Path:
    script = tmp_path / "print_years_twice.py"
    script.write_text(textwrap.dedent(PRINT_YEARS_TWICE).lstrip())
    return script


def test_an_uncaught_error_prints_the_users_frames_then_the_rustc_drawing_once(
    years_script: Path, golden: Golden
) -> None:
    stderr = _run(years_script, _env())
    # CPython 3.13+ underlines the call in its own part of the traceback (`~~~~^^^^`), 3.11
    # and 3.12 do not when it is the whole line: that part is CPython's, not ours.
    python_part, _, ours = stderr.partition("owned.UseAfterMoveError")
    python_part = re.sub(r"(?m)^ +[~^]+\n", "", python_part)
    golden.check(
        (python_part + "owned.UseAfterMoveError" + ours).replace(str(years_script), "<script>"),
        _expected("""
        Traceback (most recent call last):
          File "<script>", line 14, in <module>
            print_years(years)
        owned.UseAfterMoveError: error[E0382]: use of moved value: `years`
          --> print_years_twice.py:14:17
           |
        13 |     print_years(years)
           |                 ----- value moved here
        14 |     print_years(years)
           |                 ^^^^^ value used here after move
           |
        note: consider changing this parameter type in function `print_years` to borrow instead if owning the value isn't necessary
          --> print_years_twice.py:6:24
           |
         6 | def print_years(years: Owned[list[int]]) -> None:
           |     -----------        ^^^^^^^^^^^^^^^^ this parameter takes ownership of the value
           |     |
           |     in this function
        help: consider cloning the value if the performance cost is acceptable
           |
        13 |     print_years(years.clone())
           |                      ++++++++

        For more information about this error, try `python -m owned explain E0382`.
    """)
        + "\n",
    )


def _stderr_on_a_terminal(script: Path, env: dict[str, str]) -> str:
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, script.name],
            cwd=script.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            timeout=60,
            check=False,
        )
        assert process.returncode == 1
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal side is closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(controller)
    return b"".join(chunks).decode()


def test_the_note_is_coloured_on_a_terminal(years_script: Path) -> None:
    stderr = _stderr_on_a_terminal(years_script, _env(TERM="xterm"))
    assert "\x1b[1;31merror[E0382]\x1b[0m" in stderr


def test_no_color_turns_colours_off_even_on_a_terminal(years_script: Path) -> None:
    stderr = _stderr_on_a_terminal(years_script, _env(TERM="xterm", NO_COLOR="1"))
    assert "error[E0382]: use of moved value: `years`" in stderr
    assert "\x1b[" not in stderr


def test_force_color_colours_the_rendering_in_a_pipe(years_script: Path) -> None:
    stderr = _run(years_script, _env(FORCE_COLOR="1"))
    assert "\x1b[1;31merror[E0382]\x1b[0m" in stderr


def test_no_color_wins_over_force_color(years_script: Path) -> None:
    stderr = _run(years_script, _env(FORCE_COLOR="1", NO_COLOR="1"))
    assert "error[E0382]: use of moved value: `years`" in stderr
    assert "\x1b[" not in stderr
