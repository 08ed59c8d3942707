"""Compiles the core (`owned._build.CORE`, Cython's pure Python mode) into the wheel, or beside
the sources for an editable install, and writes the manifest of the sources it was built from.

Without a C compiler, or where Cython cannot build (a free-threaded interpreter), the install
goes on with a warning and the same modules run interpreted. After editing a core module,
reinstall (`pip install -e .`) or run `python hatch_build.py` to rebuild it in place: a stale
compiled module is noticed at import and the interpreted core runs instead.
"""

from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = Path("src") / "owned"
DIRECTIVES = {
    "language_level": 3,
    "infer_types": True,  # a local takes the C type of what it is assigned
    "annotation_typing": False,  # the .py annotations are for type checkers; C types: .pxd
    # Indexing stays checked (an IndexError, never a wild read): the hot paths index nothing
    # that a check would slow down.
    "embedsignature": True,
    "freethreading_compatible": False,  # the core's atomicity is the GIL: Py_mod_gil = used
}


def _build_settings(root: Path) -> Any:
    """`owned._build`, loaded on its own: the list of core modules and the manifest's name."""
    spec = importlib.util.spec_from_file_location("_owned_build", root / PACKAGE / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def supported() -> bool:
    return sys.implementation.name == "cpython" and not sysconfig.get_config_var("Py_GIL_DISABLED")


def compile_core(root: Path, folder: Path) -> list[Path]:
    """Build every core module into `folder`; return the files to install (modules, manifest)."""
    from Cython.Build import cythonize
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext

    settings = _build_settings(root)
    sources = [root / PACKAGE / f"{name}.py" for name in settings.CORE]
    extensions = cythonize(
        [str(source) for source in sources],
        compiler_directives=DIRECTIVES,
        build_dir=str(folder / "c"),
        quiet=True,
    )
    for extension in extensions:
        extension.name = "owned." + extension.name.rpartition(".")[2]
        # Heap types, so that the public classes report `__module__ = "owned"` (as trio's do);
        # not for the call wrapper, which needs an instance `__dict__` (functools.wraps).
        if not extension.name.endswith("._calls"):
            extension.define_macros.append(("CYTHON_USE_TYPE_SPECS", "1"))
    distribution = Distribution({"name": "pyowned", "ext_modules": extensions})
    command = build_ext(distribution)
    command.build_lib = str(folder / "lib")
    command.build_temp = str(folder / "objects")
    command.parallel = os.cpu_count() or 1
    command.ensure_finalized()
    command.run()
    built = [folder / "lib" / command.get_ext_filename(e.name) for e in extensions]
    manifest = folder / "lib" / "owned" / settings.MANIFEST
    manifest.write_text(
        "".join(
            f"{source.stem} {hashlib.sha256(source.read_bytes()).hexdigest()}\n"
            for source in sources
        )
    )
    return [*built, manifest]


def place(built: Path, target: Path) -> None:
    """Put `built` at `target` as a new file, never by writing into the existing one.

    A running interpreter maps the library it loaded: rewriting that file in place (as a copy
    does) changes its code under it, and it crashes. A rename leaves it the old file. This
    happens for real: a test environment reinstalls the project while another one runs.
    """
    if target.exists() and filecmp.cmp(built, target, shallow=False):
        return
    incoming = target.with_name(f".{target.name}.incoming")
    shutil.copy2(built, incoming)
    os.replace(incoming, target)


def build_in_place(root: Path) -> list[Path]:
    """Compile the core and put it beside its sources (what an editable install does)."""
    with tempfile.TemporaryDirectory(prefix="owned-build-") as folder:
        built = compile_core(root, Path(folder))
        targets = [root / PACKAGE / path.name for path in built]
        for path, target in zip(built, targets, strict=True):
            place(path, target)
    return targets


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # `python hatch_build.py` in an environment without hatchling
    BuildHookInterface = object  # type: ignore[assignment,misc]


class CoreHook(BuildHookInterface):  # type: ignore[type-arg,misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or not supported():
            if self.target_name == "wheel":
                self.app.display_warning("owned: this interpreter cannot build the compiled core")
            return
        root = Path(self.root)
        try:
            if version == "editable":
                build_in_place(root)
            else:
                folder = root / "build" / "core"
                shutil.rmtree(folder, ignore_errors=True)
                for path in compile_core(root, folder):
                    build_data["force_include"][str(path)] = f"owned/{path.name}"
        except Exception as error:  # no compiler, no Python headers...: the interpreted core
            self.app.display_warning(
                f"owned: the compiled core was not built ({type(error).__name__}: {error}); "
                "owned will run its interpreted core, which is slower"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


if __name__ == "__main__":
    for path in build_in_place(Path(__file__).resolve().parent):
        print(path)
