"""Which build of the core this process runs: `compiled` (Cython) or `interpreted`.

The core modules in `CORE` are compiled at install from the same `.py` files that run
interpreted where no compiler was found. Which one loads is decided once, at the first import
of a core module: the compiled one if every extension module is present and was built from the
sources beside it, unless `OWNED_PURE_PYTHON=1` or `select("python")` asks for the
interpreted one. A finder on `sys.meta_path` enforces the choice for all of the core at once:
compiled and interpreted modules never mix.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Final, Literal, cast

__all__ = ["BUILD", "CORE", "MANIFEST", "Build", "build", "install", "on_load", "select"]

Build = Literal["compiled", "interpreted"]

# The modules compiled by the build hook (hatch_build.py reads this tuple), bottom layer first.
CORE: Final = (
    "_extents",
    "_sites",
    "_pointer",
    "_arena",
    "_owners",
    "_parts",
    "_borrows",
    "_handles",
    "_scope",
    "_plan",
    "_calls",
)

# Written by the build hook beside the extension modules: `name sha256-of-its-source` per line.
MANIFEST: Final = "_compiled.sha256"

_PACKAGE: Final = __name__.rpartition(".")[0]
_FOLDER: Final = Path(__file__).resolve().parent
_requested: Build | None = None
_decided: Build | None = None
_callbacks: list[Callable[[], None]] = []


def select(wanted: Literal["c", "python"]) -> None:
    """Ask for a build before the core is first imported (`pytest --owned-build` calls this)."""
    global _requested
    requested = cast(Build, {"c": "compiled", "python": "interpreted"}[wanted])
    if _decided is not None and _decided != requested:
        raise RuntimeError(
            f"the {_decided} core of owned is loaded already; choose the build before the "
            "first import of a core module (or set OWNED_PURE_PYTHON=1 in the environment)"
        )
    _requested = requested


def build() -> Build:
    """The build that runs (deciding it now if no core module was imported yet)."""
    global _decided
    if _decided is None:
        _decided = _decide()
    return _decided


def _decide() -> Build:
    if _requested is not None:
        wanted = _requested
    else:
        wanted = "interpreted" if os.environ.get("OWNED_PURE_PYTHON") == "1" else "compiled"
    if wanted == "interpreted":
        return "interpreted"
    if not _in_main_interpreter():
        # Cython's modules load into one interpreter per process: a sub-interpreter (PEP 554,
        # 684) runs the same sources interpreted.
        return "interpreted"
    problem = _compiled_problem()
    if problem is None:
        return "compiled"
    if _requested == "compiled":
        raise ImportError(f"the compiled core of owned was asked for, but {problem}")
    if problem.startswith("stale:"):
        warnings.warn(
            f"owned: {problem.removeprefix('stale: ')}; running the interpreted core "
            "(reinstall, or `python hatch_build.py`, to rebuild it)",
            RuntimeWarning,
            stacklevel=_program_level(),
        )
    return "interpreted"


def _program_level() -> int:
    """The `stacklevel` of the program's line that made the first import of the core.

    That line is the first frame outside this package and `importlib` (the package's lazy
    attributes call `importlib.import_module`); `warnings` does not count the import system's
    own frames (`importlib._bootstrap`), so neither does this.
    """
    frame = sys._getframe(1)  # the caller of `warnings.warn`: stacklevel 1
    level = 1
    inside = (
        str(_FOLDER),
        os.path.dirname(os.path.abspath(__file__)),
        os.path.dirname(importlib.util.__file__),
    )
    while frame.f_back is not None:
        frame = frame.f_back
        filename = frame.f_code.co_filename
        if "importlib" in filename and "_bootstrap" in filename:
            continue
        level += 1
        if not filename.startswith(inside):
            break
    return level


def _in_main_interpreter() -> bool:
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        current, main = module.get_current(), module.get_main()
        return bool(getattr(current, "id", current) == getattr(main, "id", main))
    return True


def _compiled_problem() -> str | None:
    """Why the compiled core cannot run here, or None when it can."""
    manifest = _FOLDER / MANIFEST
    if not manifest.exists():
        return "it was not built (no C compiler at install, or an unsupported interpreter)"
    built = dict(line.split() for line in manifest.read_text().splitlines() if line.strip())
    for name in CORE:
        if _extension(name) is None:
            return f"its module {name} is missing"
        source = (_FOLDER / f"{name}.py").read_bytes()
        if built.get(name) != hashlib.sha256(source).hexdigest():
            return f"stale: the compiled {name} was built from an older {name}.py"
    return None


def _extension(name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = _FOLDER / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def on_load(callback: Callable[[], None]) -> None:
    """Run `callback` once the core is imported (now, if it is): for lazy integrations."""
    if f"{_PACKAGE}._scope" in sys.modules:
        callback()
    else:
        _callbacks.append(callback)


def loaded() -> None:
    """Called by the top of the core once it is imported: runs the `on_load` callbacks."""
    while _callbacks:
        _callbacks.pop(0)()


class _CoreFinder:
    """Loads every core module from the chosen build's file."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in CORE:
            return None
        if build() == "compiled":
            extension = _extension(name)
            assert extension is not None  # checked by _compiled_problem
            loader: importlib.machinery.ExtensionFileLoader | importlib.machinery.SourceFileLoader
            loader = importlib.machinery.ExtensionFileLoader(fullname, str(extension))
            origin = extension
        else:
            origin = _FOLDER / f"{name}.py"
            loader = importlib.machinery.SourceFileLoader(fullname, str(origin))
        return importlib.util.spec_from_file_location(fullname, origin, loader=loader)


def install() -> None:
    """Put the core's finder in front of the import system (once per package)."""
    if _CoreFinder not in sys.meta_path:
        sys.meta_path.insert(0, _CoreFinder)


BUILD: Build  # the build that runs; read it after importing owned (module __getattr__)


def __getattr__(name: str) -> object:
    if name == "BUILD":
        return build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
