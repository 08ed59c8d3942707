"""pytest-mypy-plugins settings for the plugin's YAML cases (`tests/typesafety/*.yml`)."""

from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not hasattr(option, "mypy_ini_file"):
        return  # pytest-mypy-plugins is not installed: there are no YAML cases to configure
    if option.mypy_ini_file is None and option.mypy_pyproject_toml_file is None:
        option.mypy_ini_file = str(Path(__file__).with_name("mypy.ini"))
