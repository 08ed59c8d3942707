"""Builds the optional C accelerator `owned._speedups` into the wheel (or next to the sources
for an editable install). Without a C compiler, or on Python 3.10, the install goes on and
`@owned.function` runs its pure-Python wrapper, which the test suite also checks.

After editing `src/owned/_speedups.c`, reinstall (`pip install -e .`) to rebuild it.
"""

from __future__ import annotations

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
            shutil.copy2(built, root / "src" / "owned" / built.name)
        else:
            build_data["force_include"][str(built)] = f"owned/{built.name}"


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
