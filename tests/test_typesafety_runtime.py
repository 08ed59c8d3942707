"""The plugin's reports against the runtime: every reported bug raises there, on that line.

The YAML cases listed in `_RUNNABLE` are runnable programs (each function takes no required
argument, and holds at most one expected error: the runtime stops at the first). Each case's
`main` is run with the real runtime and each of its functions is called:

- a function with an expected error (`# E: ... [code]`) must raise the `OwnershipError`
  that the code stands for, at that line (in the traceback, or as the error's `used_at` site
  for an error raised when a call returns, E0515);
- a function without one must run without any `OwnershipError`, unless it calls a function
  or method of the case (one that takes arguments) which has one: then it must raise that.

So a report that the runtime would not raise (a false positive) fails here, and so does a
case that does not exercise what it claims. Mutation caught: put an expected error on a
clean function (`# E: ... [move-while-borrowed]` on the `x.drop()` of
`a_temporary_borrow_ends_with_its_statement`): the runtime runs it, and this test fails.
"""

from __future__ import annotations

import inspect
import re
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

import owned

_CASES = Path(__file__).with_name("typesafety")
_RUNNABLE = ("test_borrows.yml", "test_missed_moves.yml", "test_v2_names.yml")
_EXPECTED = re.compile(r"# E: .*?\[([a-z-]+)\]")

_RAISED_FOR: dict[str, tuple[type[owned.OwnershipError], frozenset[str | None]]] = {
    "use-after-move": (owned.UseAfterMoveError, frozenset({"E0382"})),
    "use-after-drop": (owned.UseAfterDropError, frozenset({None})),
    "double-drop": (owned.DoubleDropError, frozenset({None})),
    "move-while-borrowed": (owned.MoveWhileBorrowedError, frozenset({"E0505"})),
    "borrow-conflict": (owned.OwnershipError, frozenset({"E0499", "E0502"})),
    "assign-while-borrowed": (owned.BorrowMutError, frozenset({"E0506"})),
    "dangling-borrow": (owned.DanglingRefError, frozenset({"E0597", "E0515"})),
}
"""What the runtime raises for each of the plugin's codes: the class and `code`."""


def _cases() -> list[Any]:
    params = []
    for file_name in _RUNNABLE:
        for case in yaml.safe_load((_CASES / file_name).read_text()):
            params.append(pytest.param(case["main"], id=f"{file_name}::{case['case']}"))
    return params


def _functions(module: types.ModuleType, path: str) -> list[types.FunctionType]:
    found = []
    for value in vars(module).values():
        function = inspect.unwrap(value) if callable(value) else value
        if isinstance(function, types.FunctionType) and function.__code__.co_filename == path:
            parameters = inspect.signature(function).parameters.values()
            if all(parameter.default is not parameter.empty for parameter in parameters):
                found.append(value)
    return found


def _expected_errors(lines: list[str], function: types.FunctionType) -> list[tuple[int, str]]:
    source, first = inspect.getsourcelines(inspect.unwrap(function))
    found = []
    for offset in range(len(source)):
        number = first + offset
        match = _EXPECTED.search(lines[number - 1])
        if match:
            found.append((number, match.group(1)))
    return found


def _expected_in_callees(
    lines: list[str], function: types.FunctionType, module: types.ModuleType, path: str
) -> list[tuple[int, str]]:
    called = set(inspect.unwrap(function).__code__.co_names)
    candidates: list[object] = [getattr(module, name, None) for name in sorted(called)]
    for name in sorted(called):
        value = getattr(module, name, None)
        if isinstance(value, type):  # `Buffer().close()`: the methods it names
            candidates.extend(vars(value).get(method) for method in sorted(called))
    found = []
    for callee in candidates:
        target = inspect.unwrap(callee) if callable(callee) else None
        if isinstance(target, types.FunctionType) and target.__code__.co_filename == path:
            found.extend(_expected_errors(lines, target))
    return found


@pytest.mark.parametrize("main", _cases())
def test_every_report_is_raised_by_the_runtime_and_clean_code_runs(
    main: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "main.py"
    path.write_text(main)
    module = types.ModuleType("main")
    module.__file__ = str(path)
    lines = main.splitlines()
    code = compile(main, str(path), "exec")
    monkeypatch.setitem(sys.modules, "main", module)  # dataclasses look their module up
    with owned.scope():
        exec(code, module.__dict__)  # module-level code: a case with a bug there raises here
        functions = _functions(module, str(path))
        assert functions, "a runnable case defines functions to call"
        for function in functions:
            expected = _expected_errors(lines, function) or _expected_in_callees(
                lines, function, module, str(path)
            )
            assert len(expected) <= 1, f"{function.__name__}: one expected error per function"
            if not expected:
                with owned.scope():
                    function()
                continue
            line, mypy_code = expected[0]
            error_class, codes = _RAISED_FOR[mypy_code]
            with pytest.raises(error_class) as raised, owned.scope():
                function()
                pytest.fail(f"{function.__name__} ran without raising")
            assert raised.value.code in codes, (function.__name__, raised.value)
            raised_lines = {
                frame.lineno
                for frame in traceback.extract_tb(raised.value.__traceback__)
                if frame.filename == str(path)
            }
            used_at = raised.value.used_at
            if used_at is not None and used_at.filename == str(path):
                raised_lines.add(used_at.line)
            assert line in raised_lines, (function.__name__, line, raised_lines, raised.value)
