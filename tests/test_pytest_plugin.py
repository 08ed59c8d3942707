"""The pytest plugin, run through pytest's own `pytester`: fixtures, leak checks, opting out."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

LEAKY_TEST = """
    import pytest
    import owned
    from owned import Owned

    def test_leaky(owned_arena):
        cache = Owned({"a": 1})
        kept = cache.move(into=owned._scope.ROOT)
        buffer = owned_arena.alloc(bytearray(16))
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_owned_scope_gives_each_test_a_fresh_arena_and_scope(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import owned
        from owned import Owned

        arenas = []

        def test_first(owned_scope, owned_arena):
            assert owned.current_scope() is owned_scope
            assert owned_scope.arena is owned_arena
            assert owned_arena.stats().allocs == 0
            assert Owned([1, 2]).arena is owned_arena
            arenas.append(owned_arena)

        def test_second(owned_arena):
            assert owned_arena.stats().allocs == 0
            assert owned_arena is not arenas[0]
            assert arenas[0].stats().live_blocks == 0
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_values_a_test_makes_are_dropped_newest_first_when_it_ends(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from owned import Owned

        dropped = []

        class Noisy:
            def __init__(self, name):
                self.name = name
            def __drop__(self):
                dropped.append(self.name)

        def test_makes_values(owned_scope):
            first = Owned(Noisy("first"))
            second = Owned(Noisy("second"))

        def test_sees_them_dropped():
            assert dropped == ["second", "first"]
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_marker_fails_a_passing_test_that_leaks_with_name_type_size_and_site(
    pytester: pytest.Pytester,
) -> None:
    marked = "@pytest.mark.owned_leak_check\n    def test_leaky"
    pytester.makepyfile(LEAKY_TEST.replace("def test_leaky", marked))
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaky*",
            "owned: test_leaky leaked 2 blocks (17 cells) that nothing will free:",
            "  `kept`: dict, 1 cell @0x0, allocated at test_marker_fails_*.py:7 (test_leaky);"
            " owned by the root scope, which drops it only when the interpreter exits",
            "  `buffer`: raw pointer to bytearray, 16 cells @0x1, allocated at"
            " test_marker_fails_*.py:9 (test_leaky); never freed: call arena.free(pointer)",
        ]
    )
    result.stdout.no_fnmatch_line("*During handling*")


def test_leak_report_names_a_scope_that_never_exited_and_a_user_type(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        import owned
        from owned import Owned

        class Cache:
            pass

        @pytest.mark.owned_leak_check
        def test_forgets_to_exit():
            worker = owned.scope("worker")
            worker.__enter__()
            entry = Owned(Cache(), size=3)
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "  `entry`: test_leak_report_*.Cache, 3 cells @0x0, allocated at *:12"
            " (test_forgets_to_exit); owned by 'worker', which has not exited"
        ]
    )


def test_marker_catches_a_drop_hook_that_raised_even_when_the_test_caught_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from owned import Owned

        class Connection:
            def __drop__(self):
                raise RuntimeError("socket already closed")

        @pytest.mark.owned_leak_check
        def test_caught():
            connection = Owned(Connection())
            with pytest.raises(RuntimeError):
                connection.drop()

        @pytest.mark.owned_leak_check
        def test_at_scope_exit():
            other = Owned(Connection())
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        [
            "owned: test_caught dropped 1 value whose __drop__ raised:",
            "  `connection`: 1 cell @0x0, allocated at *:10 (test_caught);"
            " Connection.__drop__ raised RuntimeError: socket already closed",
            "owned: test_at_scope_exit dropped 1 value whose __drop__ raised:",
            "  `other`: 1 cell @0x0, allocated at *:16 (test_at_scope_exit);"
            " Connection.__drop__ raised RuntimeError: socket already closed",
        ]
    )


def test_leak_check_leaves_a_failing_test_to_report_its_own_failure(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.owned_leak_check
        def test_fails_and_leaks(owned_arena):
            buffer = owned_arena.alloc(bytearray(16))
            assert 1 + 1 == 3
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert (1 + 1) == 3*"])
    result.stdout.no_fnmatch_line("*leaked*")


def test_an_unchecked_test_may_leave_blocks_live(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LEAKY_TEST)
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("ini", "args"),
    [("", ("--owned-leak-check",)), ("[pytest]\nowned_leak_check = true\n", ())],
    ids=["option", "ini"],
)
def test_option_and_ini_setting_check_every_test(
    pytester: pytest.Pytester, ini: str, args: tuple[str, ...]
) -> None:
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(
        LEAKY_TEST
        + """
    def test_clean():
        value = Owned([1, 2, 3])

    @pytest.mark.owned_leak_check(False)
    def test_exempt(owned_arena):
        owned_arena.alloc(bytearray(4))

    @pytest.mark.owned_leak_check(enabled=False)
    def test_exempt_by_keyword():
        Owned(1).move(into=owned._scope.ROOT)
    """
    )
    result = run(pytester, "-v", *args)
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["owned: leak check on every test (owned_leak_check)"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaky*"])


def test_checked_test_fixtures_allocate_in_its_arena_but_module_fixtures_do_not(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        import owned
        from owned import Owned

        @pytest.fixture(scope="module")
        def shared():
            return Owned([1, 2, 3])

        @pytest.fixture
        def per_test():
            return Owned("fresh")

        @pytest.mark.owned_leak_check
        def test_one(shared, per_test):
            assert per_test.arena is owned.current_scope().arena
            assert shared.arena is not per_test.arena

        @pytest.mark.owned_leak_check
        def test_two(per_test, shared):
            assert shared.value == [1, 2, 3]
            assert per_test.arena is owned.current_scope().arena
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_marker_with_a_non_bool_argument_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.owned_leak_check("yes")
        def test_it():
            pass
        """
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*owned_leak_check takes one optional bool, `enabled`*"])


def test_p_no_owned_disables_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_uses_fixture(owned_scope):
            pass
        """
    )
    result = run(pytester, "-p", "no:owned", "--strict-markers")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'owned_scope' not found*"])
    assert "--owned-leak-check" not in run(pytester, "-p", "no:owned", "--help").stdout.str()


def test_plugin_is_registered_as_owned_through_the_pytest11_entry_point() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "owned"]
    assert entry.value == "owned.pytest_plugin"


def test_importing_the_plugin_does_not_import_hypothesis() -> None:
    check = "import sys, owned.pytest_plugin; print('hypothesis' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False"


def test_the_leak_check_reports_a_cycle_of_rcs_with_the_allocation_sites(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from owned import Rc, RefCell

        @pytest.mark.owned_leak_check
        def test_cycle(owned_scope):
            a = Rc([RefCell(None)])
            b = Rc([RefCell(a.clone())])
            a.value[0].borrow_mut().value = b.clone()
        """
    )
    cycle = "held only by the reference cycle a -> b -> a: make one link a Weak"
    expected = [
        "owned: test_cycle leaked 2 blocks (2 cells) that nothing will free:",
        f"  `a`: list, 1 cell @0x0, allocated at test_the_leak_check_*.py:6 (test_cycle); {cycle}",
        f"  `b`: list, 1 cell @0x1, allocated at test_the_leak_check_*.py:7 (test_cycle); {cycle}",
    ]
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(expected)
