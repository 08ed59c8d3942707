"""The pytest plugin (entry point `owned`): a fresh arena per test, and leak checks.

- fixture `owned_scope`: the test runs in a new scope over a new `Arena`; values made in it
  live in that arena and are dropped when the test ends. `owned_arena` is its arena.
- marker `@pytest.mark.owned_leak_check` (or `--owned-leak-check` / the ini setting
  `owned_leak_check = true` for every test): the test gets `owned_scope` and, if it passed,
  fails at teardown when its arena still holds blocks or a `__drop__` raised, or when
  `arena.leaks()`, asked at the test's return (while its variables still name their values),
  found a value no program can use any more, with a report naming each block, its type, size
  and allocation site. `owned_leak_check(False)` exempts
  one test from a run-wide check.

`pytest -p no:owned` disables all of it. The plugin does nothing per test unless a test
asks for it, and imports hypothesis never.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Generator, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

from . import _build

if TYPE_CHECKING:  # the core loads once the build is chosen (pytest_load_initial_conftests)
    from ._arena import Arena
    from ._scope import Scope

__all__ = ["owned_arena", "owned_scope"]

_MARKER = "owned_leak_check"
_FIXTURE = "owned_scope"
_OUTCOMES_PLUGIN = "owned-call-outcomes"

# Set on the items whose leaks are checked, and, for those, whether their call phase passed.
_CHECKED = pytest.StashKey[bool]()
_CALL_PASSED = pytest.StashKey[bool]()
# For those: what `arena.leaks()` found when the test function returned.
_LEAKS_AT_RETURN = pytest.StashKey[list[Any]]()  # owned.Leak objects


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("owned", "owned: ownership checks")
    group.addoption(
        "--owned-leak-check",
        action="store_true",
        default=None,
        dest="owned_leak_check",
        help="run every test in a fresh owned arena and fail it if it leaves live blocks "
        "(ini: owned_leak_check)",
    )
    group.addoption(
        "--owned-build",
        choices=("c", "python"),
        default=None,
        dest="owned_build",
        help="run against the compiled core (c) or the interpreted one (python); default: "
        "the compiled one where it was built (OWNED_PURE_PYTHON=1 also picks python)",
    )
    parser.addini(
        "owned_leak_check",
        type="bool",
        default=False,
        help="run every test in a fresh owned arena and fail it if it leaves live blocks",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Choose the core's build before any conftest (or test) imports it."""
    wanted = getattr(early_config.known_args_namespace, "owned_build", None)
    if wanted is not None:
        _build.select(wanted)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(enabled=True): run the test in a fresh owned arena and scope, and fail it "
        "if blocks are still live when that scope has exited or a __drop__ raised; "
        f"{_MARKER}(False) exempts a test from --owned-leak-check",
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"owned: {_build.build()} core"]
    if _run_wide(config):
        lines.append("owned: leak check on every test (owned_leak_check)")
    return lines


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run_wide = _run_wide(config)
    checked_any = False
    for item in items:
        marker = item.get_closest_marker(_MARKER)
        if marker is None:
            if not run_wide:
                continue
        elif not _marker_enabled(marker, item):
            continue
        fixturenames = getattr(item, "fixturenames", None)
        if not isinstance(fixturenames, list):  # not a test function (e.g. a YAML case)
            continue
        item.stash[_CHECKED] = True
        _set_up_fixture_first(item, fixturenames)
        checked_any = True
    if checked_any and not config.pluginmanager.has_plugin(_OUTCOMES_PLUGIN):
        config.pluginmanager.register(_CallOutcomes(), _OUTCOMES_PLUGIN)


@pytest.fixture
def owned_scope(request: pytest.FixtureRequest) -> Iterator[Scope]:
    """A fresh arena and scope for this test; what the test makes is dropped when it ends.

    With the `owned_leak_check` marker (or option), a passing test then fails if its arena
    still holds blocks or a `__drop__` raised.
    """
    from ._arena import Arena
    from ._scope import Scope
    from .testing import LeakError, close_checked

    item = request.node
    scope = Scope(item.name, arena=Arena())
    scope.__enter__()
    yield scope
    if item.stash.get(_CHECKED, False) and item.stash.get(_CALL_PASSED, False):
        try:
            close_checked(scope, item.name, item.stash.get(_LEAKS_AT_RETURN, None))
        except LeakError as error:
            leak = error
        else:
            return
        pytest.fail(f"owned: {leak}", pytrace=False)
    else:
        # No check: a test that failed has said what went wrong, and leaks after a failure
        # are mostly its consequence. A __drop__ that raises still surfaces, as an error.
        scope.__exit__(None, None, None)


@pytest.fixture
def owned_arena(owned_scope: Scope) -> Arena:
    """The fresh arena of `owned_scope`: every value the test makes lives in it."""
    return owned_scope.arena


class _CallOutcomes:
    """Registered only when some test is checked: remembers whether its call phase passed,
    and what `arena.leaks()` found as the test function returned."""

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, object, object]:
        scope = pyfuncitem.funcargs.get(_FIXTURE) if pyfuncitem.stash.get(_CHECKED, False) else None
        code = getattr(inspect.unwrap(pyfuncitem.obj), "__code__", None)
        if scope is None or code is None:
            return (yield)
        arena = scope.arena  # type: ignore[attr-defined]
        stash = pyfuncitem.stash
        previous = sys.getprofile()

        def at_return(frame: FrameType, event: Any, arg: Any) -> None:
            # A handle only the test's variables name is still named here; once the frame
            # is gone it would look forgotten.
            if event == "return" and frame.f_code is code:
                stash[_LEAKS_AT_RETURN] = arena.leaks()
            if previous is not None:
                previous(frame, event, arg)

        sys.setprofile(at_return)
        try:
            return (yield)
        finally:
            sys.setprofile(previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call" and item.stash.get(_CHECKED, False):
            item.stash[_CALL_PASSED] = report.passed
        return report


def _run_wide(config: pytest.Config) -> bool:
    option = config.getoption("owned_leak_check")
    if option is not None:
        return bool(option)
    return bool(config.getini("owned_leak_check"))


def _marker_enabled(marker: pytest.Mark, item: pytest.Item) -> bool:
    args = dict(marker.kwargs)
    if marker.args:
        args.setdefault("enabled", marker.args[0])
    enabled = args.pop("enabled", True)
    if args or len(marker.args) > 1 or not isinstance(enabled, bool):
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.{_MARKER} takes one optional bool, `enabled` "
            f"(got args={marker.args!r}, kwargs={marker.kwargs!r})"
        )
    return enabled


def _set_up_fixture_first(item: pytest.Item, fixturenames: list[str]) -> None:
    """Make `owned_scope` the first function-scoped fixture the test sets up.

    Its scope then holds what the test's other function fixtures allocate, while fixtures of
    wider scope (set up once for many tests) stay outside it, in the default arena.
    """
    if _FIXTURE in fixturenames:
        fixturenames.remove(_FIXTURE)
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {})
    position = len(fixturenames)
    for index, name in enumerate(fixturenames):
        fixturedefs = definitions.get(name)
        if not fixturedefs or fixturedefs[-1].scope == "function":
            position = index
            break
    fixturenames.insert(position, _FIXTURE)
