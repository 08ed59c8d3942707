"""`python -m owned trace`: the annotated source, JSON, the plot, and event recording."""

# The expected trace holds its long summary line verbatim.
# ruff: noqa: E501

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

import owned
from owned.__main__ import main

YEARS = """
    import owned
    from owned import Owned


    @owned.function
    def print_years(years: Owned[list[int]]) -> None:
        for year in years.borrow():
            print(year)


    def main() -> None:
        years = Owned([2001, 2002, 2003, 2004])
        with owned.scope():
            label = Owned("years")
            print(label.value)
        print_years(years)


    main()
    total = Owned([1, 2])
"""


def _script(tmp_path: Path, source: str, name: str = "years.py") -> Path:
    script = tmp_path / name
    script.write_text(textwrap.dedent(source).lstrip())
    return script


def _trace(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "owned", "trace", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "", "NO_COLOR": "1"},
    )


def test_trace_prints_the_source_with_each_lines_events_as_comments(tmp_path: Path) -> None:
    _script(tmp_path, YEARS)
    result = _trace(tmp_path, "years.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == textwrap.dedent("""\
        years
        2001
        2002
        2003
        2004
        # owned trace of years.py
        import owned
        from owned import Owned


        @owned.function
        def print_years(years: Owned[list[int]]) -> None:
            for year in years.borrow():              # borrow years
                print(year)                          # dealloc years


        def main() -> None:
            years = Owned([2001, 2002, 2003, 2004])  # alloc years [4 cells @0x0]
            with owned.scope():
                label = Owned("years")               # alloc label [5 cells @0x4]
                print(label.value)                   # dealloc label
            print_years(years)                       # move years -> print_years


        main()
        total = Owned([1, 2])                        # alloc total [2 cells @0x0]; dealloc total

        # the default arena: 3 allocs, 3 deallocs, 1 move, 1 borrow, peak 9 cells, 0 cells live at exit
    """)


def test_a_script_that_raises_gets_its_trace_then_the_error(tmp_path: Path) -> None:
    _script(
        tmp_path,
        """
        from owned import Owned, drop

        years = Owned([2001])
        drop(years)
        drop(years)
    """,
    )
    result = _trace(tmp_path, "years.py")
    assert result.returncode == 1
    assert "years = Owned([2001])  # alloc years [1 cell @0x0]" in result.stdout
    assert "drop(years)            # dealloc years\n" in result.stdout
    assert "drop(years)            # error: double drop of `years`\n" in result.stdout
    assert result.stderr.startswith("Traceback (most recent call last):\n  File ")
    assert "runpy" not in result.stderr
    column = 1 if sys.version_info < (3, 11) else 6  # 3.10: the whole line, no columns
    assert (
        f"\nowned.DoubleDropError: error: double drop of `years`\n --> years.py:5:{column}\n"
        in (result.stderr)
    )
    assert result.stderr.count("double drop of `years`") == 1  # drawn once, not also compact


def test_events_in_other_files_are_listed_after_the_source_by_file(tmp_path: Path) -> None:
    _script(
        tmp_path,
        """
        def make():
            from owned import Owned
            return Owned("abc", name="made")
    """,
        name="helper.py",
    )
    _script(
        tmp_path,
        """
        import helper

        value = helper.make()
        value.drop()
    """,
    )
    result = _trace(tmp_path, "years.py")
    assert result.returncode == 0, result.stderr
    assert "value.drop()  # dealloc made\n" in result.stdout
    assert '\n# events in helper.py\n    3:     return Owned("abc", name="made")  # alloc made' in (
        result.stdout
    )


def test_arguments_after_the_script_are_the_scripts_own(tmp_path: Path) -> None:
    _script(tmp_path, "import sys\nprint(sys.argv[1:])\n")
    result = _trace(tmp_path, "years.py", "--json", "x")
    assert result.stdout.startswith("['--json', 'x']\n")


def test_json_lists_every_event_with_its_block_and_place(tmp_path: Path) -> None:
    _script(tmp_path, YEARS)
    result = _trace(tmp_path, "--json", "events.json", "years.py")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "events.json").read_text())
    assert data["script"] == str(tmp_path / "years.py")
    kinds = [(e["kind"], e["name"], e["line"]) for e in data["events"]]
    assert kinds[:3] == [("alloc", "years", 12), ("alloc", "label", 14), ("dealloc", "label", 15)]
    first = data["events"][0]
    assert {k: first[k] for k in ("address", "size", "generation", "function", "arena")} == {
        "address": 0,
        "size": 4,
        "generation": 1,
        "function": "main",
        "arena": 0,
    }
    times = [e["time"] for e in data["events"]]
    assert times == sorted(times)
    assert data["error"] is None


def test_json_names_the_error_that_ended_the_script_and_where(tmp_path: Path) -> None:
    _script(tmp_path, "from owned import Owned\n\ns = Owned([1])\nt = s.move()\nprint(s.value)\n")
    result = _trace(tmp_path, "--json", "events.json", "years.py")
    assert result.returncode == 1
    data = json.loads((tmp_path / "events.json").read_text())
    assert data["error"] == {
        "type": "owned.UseAfterMoveError",
        "code": "E0382",
        "message": "use of moved value: `s`",
        "file": str(tmp_path / "years.py"),
        "line": 5,
    }
    _script(tmp_path, "x = 1\n\nraise KeyError('k')\n")
    _trace(tmp_path, "--json", "events.json", "years.py")
    error = json.loads((tmp_path / "events.json").read_text())["error"]
    assert error == {
        "type": "KeyError",
        "code": None,
        "message": "'k'",
        "file": str(tmp_path / "years.py"),
        "line": 3,
    }


def test_plot_draws_the_arena_to_a_png(tmp_path: Path) -> None:
    _script(tmp_path, YEARS)
    result = _trace(tmp_path, "--plot", "arena.png", "years.py")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "arena.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plot_has_a_legend_line_numbers_and_no_labels_over_each_other(tmp_path: Path) -> None:
    """Mutation caught: the old per-event labels (rotated text over each event) overlap the
    title and each other, and a name not clipped to its bar runs into the next one."""
    from matplotlib import pyplot

    from owned._trace_plot import figure_of
    from owned._trace_run import run_traced

    script = _script(tmp_path, YEARS)
    figure = figure_of(run_traced(str(script)))
    try:
        (ax,) = figure.axes
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert sorted(legend) == ["a block, alloc to dealloc", "borrow", "move", "release"]
        ticks = [label.get_text() for label in ax.get_xticklabels()]
        assert ticks[:3] == ["12", "14", "15"]  # alloc years, alloc label, dealloc label
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        free = [ax.title, *ax.get_legend().get_texts()]
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            free += [
                tick.label1 for tick in axis.get_major_ticks() if low <= tick.get_loc() <= high
            ]
        shown = [t for t in free if t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in shown]
        for i, box in enumerate(boxes):
            over = [shown[j].get_text() for j in range(i + 1, len(boxes)) if box.overlaps(boxes[j])]
            assert not over, (shown[i].get_text(), over)
        names = [t for t in ax.texts if t not in free]
        assert names and all(t.get_clip_on() and t.get_clip_box() for t in names)  # in bars
    finally:
        pyplot.close(figure)


def test_plot_without_matplotlib_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main(["trace", "--plot", "a.png", str(_script(tmp_path, "x = 1\n"))]) == 2
    assert "pip install 'pyowned[plot]'" in capsys.readouterr().err


def test_an_arena_records_typed_events_only_while_asked_to() -> None:
    arena = owned.Arena(record_events=True)
    with owned.scope(arena=arena):
        years = owned.Owned([2001, 2002])
        with years.borrow():
            pass
        moved = years.move()
        moved.drop()
    arena.record_events(False)
    owned.Owned([1], arena=arena).drop()
    assert [(e.kind, e.name, e.size) for e in arena.events()] == []
    arena.record_events(True)
    with owned.scope(arena=arena):
        owned.Owned("ab", arena=arena)
    events = arena.events()
    assert [(e.kind, e.name, e.size, e.value_type) for e in events] == [
        ("alloc", None, 2, "str"),
        ("dealloc", None, 2, "str"),
    ]
    assert all(isinstance(e, owned.Event) for e in events)


LOOP = """
    import owned
    from owned import Owned

    x = Owned([1, 2, 3])
    for _ in range(1000):
        x = x.move()
        with x.borrow():
            pass
    arena = owned.Arena()
    with owned.scope(arena=arena):
        for n in range(3):
            y = Owned([n] * (n + 1), arena=arena)
            y.drop()
        z = Owned("abc", arena=arena)
        x = x.move()
    left = Owned(7)
"""


def test_a_loops_events_are_counted_on_their_line_and_each_one_is_in_the_json(
    tmp_path: Path,
) -> None:
    _script(tmp_path, LOOP)
    result = _trace(tmp_path, "--json", "events.json", "years.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == textwrap.dedent("""\
        # owned trace of years.py
        import owned
        from owned import Owned

        x = Owned([1, 2, 3])                           # alloc x [3 cells @0x0]
        for _ in range(1000):
            x = x.move()                               # move x -> x (x1000)
            with x.borrow():                           # borrow x (x1000)
                pass
        arena = owned.Arena()
        with owned.scope(arena=arena):
            for n in range(3):
                y = Owned([n] * (n + 1), arena=arena)  # alloc y [1 cell @0x0]; alloc y [2 cells @0x0]; alloc y [3 cells @0x0]
                y.drop()                               # dealloc y (x3)
            z = Owned("abc", arena=arena)              # alloc z [3 cells @0x0]
            x = x.move()                               # move x -> x; dealloc x; dealloc z
        left = Owned(7)                                # alloc left [1 cell @0x0]; dealloc left

        # the default arena: 2 allocs, 2 deallocs, 1001 moves, 1000 borrows, peak 3 cells, 0 cells live at exit
        # arena #1: 4 allocs, 4 deallocs, 0 moves, 0 borrows, peak 3 cells, 0 cells live at exit
    """)
    events = json.loads((tmp_path / "events.json").read_text())["events"]
    counts = Counter((e["kind"], e["line"], e["arena"]) for e in events)
    assert counts == {
        ("alloc", 4, 0): 1,
        ("move", 6, 0): 1000,
        ("borrow", 7, 0): 1000,
        ("release", None, 0): 1000,
        ("alloc", 12, 1): 3,
        ("dealloc", 13, 1): 3,
        ("alloc", 14, 1): 1,
        ("move", 15, 0): 1,
        ("dealloc", 15, 0): 1,
        ("dealloc", 15, 1): 1,
        ("alloc", 16, 0): 1,
        ("dealloc", None, 0): 1,
    }
    assert [e["size"] for e in events if e["kind"] == "alloc" and e["arena"] == 1] == [1, 2, 3, 3]
    assert {e["generation"] for e in events if e["name"] == "x"} == {1}  # the block's, each event
    times = [e["time_ns"] for e in events]
    assert times == sorted(times)
