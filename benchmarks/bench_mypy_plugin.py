"""mypy time with the `owned_mypy` plugin ÷ without it, measured in one run and printed.

    python benchmarks/bench_mypy_plugin.py [--lines 10000] [--repeat 3] [--no-mypy-source]
    python benchmarks/bench_mypy_plugin.py --callgrind [--lines 3000]

Two workloads, each checked cold (`--no-incremental`), runs with and without the plugin
interleaved, timed in CPU seconds of the mypy process, and the fastest of `--repeat` kept
(with `--callgrind`: instructions counted by `valgrind --tool=callgrind`, one run each, since
timings on a shared machine swing more than the goals):

* a generated owned-heavy module of about `--lines` lines (goal: ≤ 1.10x);
* mypy's own source tree, plus one module that imports `owned` so that the plugin's hooks
  are active on every call (goal: ≤ 1.03x, and identical output).

Measured for the plugin's version 2 (mypy 2.4.1, Python 3.11.7, instructions by callgrind):
`python benchmarks/bench_mypy_plugin.py --callgrind --lines 3000 --no-mypy-source` gives
5.26G without, 5.59G with, 1.062x. The whole source tree under callgrind takes too long on
the shared machine, so mypy's source was measured on a slice: `checkexpr.py` and
`semanal.py` (15,692 lines) of a copy of the installed package and the module above, with
`follow_imports = skip` (and `silent` for `owned.*`), each run as
`valgrind --tool=callgrind python -m mypy --config-file {with,without}.ini --no-incremental
source/mypy/checkexpr.py source/mypy/semanal.py uses_owned.py`: 6.240G without, 6.359G
with, 1.019x.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mypy
import mypy.version
from owned_heavy import generate_source

_USES_OWNED = "from owned import Owned\n\nprint(Owned([1]).borrow().value)\n"


def _config(directory: Path, *, plugin: bool, extra: str = "") -> Path:
    config = directory / ("with.ini" if plugin else "without.ini")
    plugins = "plugins = owned_mypy\n" if plugin else ""
    config.write_text(f"[mypy]\n{plugins}{extra}")
    return config


_CALLGRIND = False


def _timed_run(config: Path, targets: list[str], cwd: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental"]
    if _CALLGRIND:
        return _counted_run(command, targets, cwd)
    # CPU time of the child, not wall time: waiting for a core on a shared machine is no cost.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [*command, *targets], cwd=cwd, capture_output=True, text=True, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1) or "INTERNAL ERROR" in completed.stderr:
        raise SystemExit(f"mypy failed:\n{completed.stdout}{completed.stderr}")
    return elapsed, completed.stdout


def _counted_run(command: list[str], targets: list[str], cwd: Path) -> tuple[float, str]:
    """Run under callgrind; return the instructions executed (in units of 10^9) and output."""
    out = cwd / "callgrind.out"
    completed = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command, *targets],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode not in (0, 1) or "INTERNAL ERROR" in completed.stderr:
        raise SystemExit(f"mypy failed:\n{completed.stdout}{completed.stderr}")
    totals = [line for line in out.read_text().splitlines() if line.startswith("summary:")]
    out.unlink()
    return int(totals[0].split()[1]) / 1e9, completed.stdout


def _compare(
    name: str, directory: Path, targets: list[str], repeat: int, extra: str = ""
) -> tuple[float, float, bool]:
    without, with_plugin = (
        _config(directory, plugin=False, extra=extra),
        _config(directory, plugin=True, extra=extra),
    )
    times: dict[bool, list[float]] = {False: [], True: []}
    outputs: dict[bool, str] = {}
    for _ in range(repeat):
        for plugin, config in ((False, without), (True, with_plugin)):
            elapsed, output = _timed_run(config, targets, directory)
            times[plugin].append(elapsed)
            outputs[plugin] = output
    best_without, best_with = min(times[False]), min(times[True])
    identical = outputs[False] == outputs[True]
    unit = "G instructions" if _CALLGRIND else "s"
    print(
        f"{name}: without {best_without:.2f}{unit}, with {best_with:.2f}{unit}, "
        f"ratio {best_with / best_without:.3f}x, identical output: {identical}"
    )
    return best_without, best_with, identical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mypy-source", action="store_true")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    arguments = parser.parse_args()
    global _CALLGRIND
    _CALLGRIND = arguments.callgrind
    if _CALLGRIND:
        arguments.repeat = 1  # the count does not vary between runs
    print(f"mypy {mypy.version.__version__}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        heavy = directory / "owned_heavy_module.py"
        heavy.write_text(generate_source(arguments.lines))
        lines = heavy.read_text().count("\n")
        _compare(f"owned-heavy module ({lines} lines)", directory, [heavy.name], arguments.repeat)
        if not arguments.no_mypy_source:
            # A copy of the package's Python files: checked in place, site-packages would
            # become a source root and shadow the libraries mypy imports; one level down, so
            # that `python -m mypy` run here still imports the installed mypy.
            shutil.copytree(
                Path(mypy.__file__).parent,
                directory / "source" / "mypy",
                ignore=shutil.ignore_patterns("*.so", "__pycache__", "typeshed", "test", "xml"),
            )
            (directory / "uses_owned.py").write_text(_USES_OWNED)
            _compare(
                "mypy's source tree",
                directory,
                ["source/mypy", "uses_owned.py"],
                arguments.repeat,
                extra="follow_imports = silent\n",
            )


if __name__ == "__main__":
    main()
