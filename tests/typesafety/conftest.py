"""pytest-mypy-plugins settings for the plugin's YAML cases (`tests/typesafety/*.yml`).

Each case runs mypy in a subprocess (`--mypy-same-process` breaks on the oldest supported
mypy): the `mypy` found on `PATH` must be this interpreter's, also when pytest is started as
`.venv/bin/python -m pytest` without activating the environment.
"""

import os
import sysconfig
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not hasattr(option, "mypy_ini_file"):
        return  # pytest-mypy-plugins is not installed: there are no YAML cases to configure
    if option.mypy_ini_file is None and option.mypy_pyproject_toml_file is None:
        option.mypy_ini_file = str(Path(__file__).with_name("mypy.ini"))
    scripts = sysconfig.get_path("scripts")
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, path]) if path else scripts
