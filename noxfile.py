"""The test matrix: every supported CPython, each in both builds, and the oldest supported mypy.

    nox                      # every session this machine has the interpreters for
    nox -s tests-3.12        # one interpreter: the suite compiled, then OWNED_PURE_PYTHON=1
    nox -s mypy-lowest       # the plugin's tests on the oldest mypy the pin admits
    nox -s thorough          # the state machines with HYPOTHESIS_PROFILE=thorough
    nox -s tests-3.12 -- -k trace    # arguments after -- go to pytest

CPython 3.14 and 3.15 run the same sessions inside a Debian sid root: `.ci/sid`. Interpreters
are found on PATH (`python3.X`), else in pyenv's versions folder. A missing interpreter is an
error, never a skipped session.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "tests-3.10",
    "tests-3.11",
    "tests-3.12",
    "tests-3.13",
    "mypy-lowest",
    "thorough",
]

ROOT = Path(__file__).parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
# The newest patch release of the lowest minor version that pyproject.toml's mypy pin admits.
MYPY_LOWEST = "1.11.2"
# The oldest CPython the compiled build supports; on older ones the interpreted build is the only.
COMPILED_FROM = (3, 10)
BUILD_PROBE = "import owned._build as b; print(b.BUILD)"


def _find_pyenv_interpreters() -> None:
    """Put pyenv's `python3.X` on PATH for each version that PATH lacks (nox looks on PATH).

    pyenv's shims do not count: a shim for a version that is not selected fails when run.
    """
    try:
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return
    path = os.environ.get("PATH", "").split(os.pathsep)
    shims = str(Path(root, "shims"))
    for version in PYTHONS:
        found_on_path = shutil.which(f"python{version}")
        if found_on_path and not found_on_path.startswith(shims):  # a shim may not run
            continue
        found = sorted(Path(root, "versions").glob(f"{version}.*/bin/python{version}"))
        if found:
            path.insert(0, str(found[-1].parent))
    os.environ["PATH"] = os.pathsep.join(path)


_find_pyenv_interpreters()


def _build(session: nox.Session, **env: str) -> str:
    output = session.run("python", "-c", BUILD_PROBE, silent=True, env=env)
    return str(output).strip().splitlines()[-1]


def _compiled_expected(session: nox.Session) -> bool:
    """CPython with a C compiler at hand builds the compiled core; anything else interprets."""
    probe = "import platform, sys; print(platform.python_implementation(), *sys.version_info[:2])"
    implementation, major, minor = str(session.run("python", "-c", probe, silent=True)).split()
    has_compiler = any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))
    return (
        implementation == "CPython"
        and (int(major), int(minor)) >= COMPILED_FROM
        and has_compiler
        and platform.system() != "Windows"
    )


def _pytest(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *args, env=env)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite twice: the compiled build, then the interpreted one (OWNED_PURE_PYTHON=1)."""
    session.install("-e", ".[test]")
    expected = "compiled" if _compiled_expected(session) else "interpreted"
    build = _build(session)
    if build != expected:
        session.error(f"owned._build.BUILD is {build!r} on this interpreter, expected {expected!r}")
    pure = {"OWNED_PURE_PYTHON": "1"}
    build = _build(session, **pure)
    if build != "interpreted":
        session.error(f"OWNED_PURE_PYTHON=1 left owned._build.BUILD at {build!r}")
    failed = []
    for name, env in ((expected, {}), ("interpreted (OWNED_PURE_PYTHON=1)", pure)):
        try:  # both builds run, also when the first fails: each result is worth seeing
            _pytest(session, *session.posargs, env=env)
        except CommandFailed:
            failed.append(name)
    if failed:
        session.error(f"the suite failed in the {' and the '.join(failed)} build")


@nox.session(name="mypy-lowest", python="3.11")
def mypy_lowest(session: nox.Session) -> None:
    """The mypy plugin's tests on the oldest mypy release that pyproject.toml's pin admits."""
    pin = re.search(r'"mypy>=([\d.]+),<[\d.]+"', (ROOT / "pyproject.toml").read_text())
    if pin is None or MYPY_LOWEST.split(".")[:2] != pin.group(1).split(".")[:2]:
        session.error(f"MYPY_LOWEST {MYPY_LOWEST} is not in pyproject.toml's mypy pin")
    tools = [f"mypy=={MYPY_LOWEST}", "pytest", "pytest-mypy-plugins", "hypothesis"]
    session.install("-e", ".", *tools)
    _pytest(session, "tests/typesafety", "tests/test_mypy_plugin.py", *session.posargs)


@nox.session(python="3.11")
def thorough(session: nox.Session) -> None:
    """The state machines and property tests of the heap with many more examples."""
    session.install("-e", ".[test]")
    machines = [
        "tests/test_runtime_against_model.py",
        "tests/test_arena_state_machine.py",
        "tests/test_extents.py",
        "tests/test_differential.py",
    ]
    _pytest(session, *machines, *session.posargs, env={"HYPOTHESIS_PROFILE": "thorough"})
