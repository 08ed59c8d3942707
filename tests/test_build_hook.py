"""The build hook puts a rebuilt core in place without touching the file a running interpreter
has loaded (a test environment reinstalls the project while another one runs, and a library
rewritten under a process crashes that process), and a core built from older sources is
noticed and not run."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import types
from pathlib import Path

import pytest

import owned

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(sys.argv[2], sys.argv[1])
library = importlib.util.module_from_spec(spec)
spec.loader.exec_module(library)
functions = [f for f in vars(library).values() if type(f).__name__ == "builtin_function_or_method"]

def run_its_code():
    for function in functions:  # each one runs the library's own code
        assert function(41) == 42

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


_STAND_IN = r"""
#include <Python.h>
static PyObject *check(PyObject *self, PyObject *arg) {
    return PyLong_FromLong(PyLong_AsLong(arg) + 1);
}
static PyMethodDef methods[] = {{"check", check, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "standin", NULL, -1, methods};
PyMODINIT_FUNC PyInit_standin(void) { return PyModule_Create(&module); }
"""


def _stand_in_library(folder: Path) -> Path:
    """A C extension of the test's own (any loaded one may have no functions to run)."""
    source = folder / "standin.c"
    source.write_text(_STAND_IN)
    library = folder / f"standin{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["cc", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(library)], check=True
    )
    return library


def test_a_rebuilt_library_replaces_the_file_a_running_process_has_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _stand_in_library(tmp_path)
    installed = tmp_path / "package" / library.name
    installed.parent.mkdir()
    shutil.copy2(library, installed)
    name = "package.standin"
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


def test_a_core_built_from_older_sources_is_not_run(tmp_path: Path) -> None:
    package = Path(owned.__file__).parent
    copy = tmp_path / "owned"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    built = (copy / "_compiled.sha256").exists()
    with (copy / "_handles.py").open("a") as source:
        source.write("\n# edited after the build\n")
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import owned; owned.Owned; print(owned.__file__, owned._build.BUILD)",
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path), "OWNED_PURE_PYTHON": ""},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert child.stdout.split() == [str(copy / "__init__.py"), "interpreted"]
    if built:  # the compiled core is installed here: the edit is what stops it
        assert (
            "owned: the compiled _handles was built from an older _handles.py; running the "
            "interpreted core (reinstall, or `python hatch_build.py`, to rebuild it)"
        ) in child.stderr
