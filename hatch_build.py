"""Builds the optional C accelerator `owned._speedups` into the wheel (or next to the sources
for an editable install). Without a C compiler, or on Python 3.10, the install goes on and
`@owned.function` runs its pure-Python wrapper, which the test suite also checks.

After editing `src/owned/_speedups.c`, reinstall (`pip install -e .`) to rebuild it.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src") / "owned" / "_speedups.c"


class SpeedupsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or not _supported():
            return
        root = Path(self.root)
        try:
            built = _compile(root, root / "build" / "speedups")
        except Exception as error:  # any failure leaves the pure-Python path
            self.app.display_warning(f"owned: C accelerator not built ({error}); pure Python")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version == "editable":
            place(built, root / "src" / "owned" / built.name)
        else:
            build_data["force_include"][str(built)] = f"owned/{built.name}"


def place(built: Path, target: Path) -> None:
    """Put `built` at `target` as a new file, never by writing into the existing one.

    A running interpreter maps the library it loaded: rewriting that file in place (as a copy
    does) changes its code under it, and it crashes. A rename leaves it the old file. This
    happens for real: the test suite reinstalls the project into a second environment.
    """
    if target.exists() and filecmp.cmp(built, target, shallow=False):
        return
    incoming = target.with_name(f".{target.name}.incoming")
    shutil.copy2(built, incoming)
    os.replace(incoming, target)


def _supported() -> bool:
    return (
        sys.implementation.name == "cpython"
        and sys.version_info >= (3, 11)
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
    )


def _compile(root: Path, folder: Path) -> Path:
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension("owned._speedups", [str(root / SOURCE)])
    command = build_ext(Distribution({"name": "pyowned", "ext_modules": [extension]}))
    command.build_lib = str(folder)
    command.build_temp = str(folder / "objects")
    command.ensure_finalized()
    command.run()
    return folder / command.get_ext_filename("owned._speedups")
