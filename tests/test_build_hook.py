"""The build hook puts a rebuilt accelerator in place without touching the file a running
interpreter has loaded: the test suite itself reinstalls the project (for the lowest mypy)
while it runs, and a library rewritten under a process crashes that process."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
import types
from pathlib import Path

import pytest

import owned._accelerator

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(sys.argv[2], sys.argv[1])
library = importlib.util.module_from_spec(spec)
spec.loader.exec_module(library)
functions = [f for f in vars(library).values() if type(f).__name__ == "builtin_function_or_method"]

def run_its_code():
    for function in functions:  # each one checks its arguments in the library's own code
        try:
            function()
        except Exception:
            pass

run_its_code()
print("loaded", flush=True)
sys.stdin.readline()
run_its_code()
print(len(functions) > 0, flush=True)
"""


def _hook(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """hatch_build.py, imported here although hatchling lives only in the build environment."""
    interface = types.ModuleType("hatchling.builders.hooks.plugin.interface")
    interface.BuildHookInterface = type("BuildHookInterface", (), {})  # type: ignore[attr-defined]
    for name in ("hatchling", "hatchling.builders", "hatchling.builders.hooks"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "hatchling.builders.hooks.plugin", types.ModuleType("p"))
    monkeypatch.setitem(sys.modules, interface.__name__, interface)
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _a_loaded_extension() -> types.ModuleType:
    """The accelerator where it is built, else any extension module this interpreter loaded."""
    if owned._accelerator.ACCELERATOR is not None:
        return owned._accelerator.ACCELERATOR
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return next(
        m for m in list(sys.modules.values()) if str(getattr(m, "__file__", "")).endswith(suffix)
    )


def test_a_rebuilt_library_replaces_the_file_a_running_process_has_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extension = _a_loaded_extension()
    library = Path(str(extension.__file__))
    installed = tmp_path / "package" / library.name
    installed.parent.mkdir()
    shutil.copy2(library, installed)
    name = "package." + extension.__name__.rpartition(".")[2]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(installed), name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "loaded"
    rebuilt = tmp_path / "rebuilt.so"
    rebuilt.write_bytes(bytes(installed.stat().st_size))  # another library of the same size
    _hook(monkeypatch).place(rebuilt, installed)
    output, _ = child.communicate("go on\n", timeout=60)
    assert (child.returncode, output.strip()) == (0, "True")  # it still runs its own copy
    assert installed.read_bytes() == rebuilt.read_bytes()  # the next start loads the new one
