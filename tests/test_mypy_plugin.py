"""The mypy plugin end to end: mypy runs in a subprocess on generated projects.

The rules themselves are covered case by case in `tests/typesafety/*.yml`; here are the
properties of whole runs: no effect on code that does not use `owned`, and the same reports
from a cold run, an incremental run, a parallel run and the daemon.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import mypy.options

import owned_mypy

_REPORT = re.compile(r"^\S+\.py:\d+: (error|note|warning): ")

_STDLIB_SAMPLE = ("textwrap", "shlex", "fractions", "heapq", "difflib", "statistics", "colorsys")
"""Pure-Python standard library modules: real code with and without annotations."""

_USES_OWNED = """\
import owned
from owned import Owned


def total(years: owned.Ref[list[int]]) -> int:
    return sum(years)


print(total(Owned([2001]).borrow()))


def borrows_correctly() -> None:
    # The borrow rules run here (borrows, a release, a with block) and find nothing.
    x = Owned([1])
    r = x.borrow()
    print(r.value, x.value)
    r.release()
    with x.borrow_mut() as m:
        m.value.append(2)
    x.value = [3]
    x.drop()
"""

_BUGGY = """\
import owned
from owned import Owned, drop, move


def consume(handle: Owned[int]) -> None: ...


def loops() -> None:
    v = Owned(1)
    for _ in range(3):
        consume(v)


def branches(flag: bool) -> None:
    x = Owned(1)
    if flag:
        drop(x)
    print(x.value)


class Account:
    def close(self, balance: Owned[int]) -> None:
        balance.drop()
        balance.drop()


def borrows() -> None:
    x = Owned([1])
    r = x.borrow()
    x.drop()
    m = x.borrow_mut()
    x.value = [2]
    r.release()
    print(r.value)


years = Owned([2001])
moved = move(years)
print(years.value, moved)
"""


def _start(command: list[str], cwd: Path) -> subprocess.Popen[str]:
    # Independent runs go in parallel: a cold mypy run is mostly typeshed, and CI has 2 cores.
    return subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process: subprocess.Popen[str]) -> str:
    stdout, stderr = process.communicate()
    assert process.returncode in (0, 1), stdout + stderr
    assert "INTERNAL ERROR" not in stdout + stderr
    return stdout


def _reap(processes: list[subprocess.Popen[str]]) -> None:
    """Stop the runs a failed assertion left unfinished and close their pipes (else each one
    is a `ResourceWarning`, an error under `filterwarnings = error`, in a later test)."""
    for process in processes:
        if process.returncode is None:
            process.kill()
        process.communicate()


def _mypy(*args: str) -> list[str]:
    return [sys.executable, "-m", "mypy", *args]


def _run_mypy(*args: str, cwd: Path) -> list[str]:
    return _reports(_finish(_start(_mypy(*args), cwd)))


def _reports(output: str) -> list[str]:
    # The summary line and the order of files depend on the mode; the reports must not.
    return sorted(line for line in output.splitlines() if _REPORT.match(line))


def _write_config(directory: Path, *, plugin: bool) -> Path:
    config = directory / ("with_plugin.ini" if plugin else "without_plugin.ini")
    plugins = "plugins = owned_mypy\n" if plugin else ""
    config.write_text(f"[mypy]\n{plugins}check_untyped_defs = true\nwarn_unreachable = true\n")
    return config


def test_plugin_module_exposes_only_the_entry_point() -> None:
    assert owned_mypy.__all__ == ["plugin"]
    assert owned_mypy.plugin("2.0.0").__name__ == "OwnedPlugin"


def test_code_without_owned_checks_identically_with_and_without_the_plugin(
    tmp_path: Path,
) -> None:
    stdlib = Path(sysconfig.get_path("stdlib"))
    files = []
    for module in _STDLIB_SAMPLE:
        copy = tmp_path / f"sample_{module}.py"
        shutil.copyfile(stdlib / f"{module}.py", copy)
        files.append(copy.name)
    # With one module importing the runtime, the plugin's hooks run on every call of the sample.
    (tmp_path / "uses_owned.py").write_text(_USES_OWNED)
    files.append("uses_owned.py")

    # Each run keeps its own cache: two processes writing one cache folder can trip mypy up.
    without = _start(
        _mypy(
            "--config-file",
            str(_write_config(tmp_path, plugin=False)),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache-without"),
            *files,
        ),
        tmp_path,
    )
    with_plugin = _start(
        _mypy(
            "--config-file",
            str(_write_config(tmp_path, plugin=True)),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache-with"),
            *files,
        ),
        tmp_path,
    )
    without_reports = _reports(_finish(without))

    assert without_reports, "the sample should produce some reports of mypy's own"
    assert _reports(_finish(with_plugin)) == without_reports


def test_generated_owned_heavy_benchmark_code_produces_no_report(tmp_path: Path) -> None:
    generator = Path(__file__).resolve().parents[1] / "benchmarks" / "owned_heavy.py"
    spec = importlib.util.spec_from_file_location("owned_heavy", generator)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "heavy.py").write_text(module.generate_source(300))
    config = str(_write_config(tmp_path, plugin=True))
    assert _run_mypy("--config-file", config, "--no-incremental", "heavy.py", cwd=tmp_path) == []


def test_incremental_parallel_and_daemon_runs_report_like_a_cold_run(tmp_path: Path) -> None:
    (tmp_path / "buggy.py").write_text(_BUGGY)
    config = str(_write_config(tmp_path, plugin=True))
    cached = ["--config-file", config, "--cache-dir", str(tmp_path / "cache"), "buggy.py"]
    daemon = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(tmp_path / "dmypy.json")]
    check = [*daemon, "run", "--", "--config-file", config, "buggy.py"]
    cold_cache = ["--cache-dir", str(tmp_path / "cold-cache")]  # not the daemon's folder
    cold_run = _start(
        _mypy("--config-file", config, "--no-incremental", *cold_cache, "buggy.py"), tmp_path
    )
    writing_run = _start(_mypy(*cached), tmp_path)
    started = [cold_run, writing_run]
    try:
        daemon_run = _start(check, tmp_path)
        started.append(daemon_run)
        cold = _reports(_finish(cold_run))
        errors = [line for line in cold if ": error: " in line]
        assert len(errors) == 8
        for code in ("move-while-borrowed", "borrow-conflict", "assign-while-borrowed"):
            assert any(f"[{code}]" in line for line in errors)
        assert any("[dangling-borrow]" in line for line in errors)
        assert _reports(_finish(writing_run)) == cold
        assert _reports(_finish(daemon_run)) == cold
        assert _run_mypy(*cached, cwd=tmp_path) == cold  # replays the cache
        if hasattr(mypy.options.Options(), "num_workers"):
            assert _run_mypy("--num-workers", "2", *cached, cwd=tmp_path) == cold

        # A fine-grained update re-checks only the edited function: its reports must follow.
        edited = _BUGGY.replace("        drop(x)\n", "        x = Owned(2)\n")
        buggy = tmp_path / "buggy.py"
        before = buggy.stat().st_mtime
        buggy.write_text(edited)
        os.utime(buggy, (before + 2, before + 2))  # seen as changed even within one second
        (tmp_path / "edited.py").write_text(edited)
        expected = _run_mypy(*cached[:-1], "edited.py", cwd=tmp_path)
        assert len(expected) == len(cold) - 2
        assert _reports(_finish(_start(check, tmp_path))) == [
            line.replace("edited.py", "buggy.py") for line in expected
        ]
    finally:
        subprocess.run([*daemon, "kill"], cwd=tmp_path, capture_output=True, check=False)
        _reap(started)
