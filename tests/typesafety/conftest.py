"""pytest-mypy-plugins settings for the plugin's YAML cases (`tests/typesafety/*.yml`).

Each case runs mypy in a subprocess (`--mypy-same-process` breaks on the oldest supported
mypy): the `mypy` found on `PATH` must be this interpreter's, also when pytest is started as
`.venv/bin/python -m pytest` without activating the environment.

Each case also gets a mypy cache of its own, in a folder of this run's: by default every case of
every run shares `$TMPDIR/.mypy_cache`, whose sqlite file a run on 3.13+ may find still open
(`ResourceWarning`, an error under `filterwarnings = error`) or half written by another run.
Each case's cache starts as a copy of one made by a single mypy run over the modules every case
imports (typeshed, `owned`), so that no case pays for a cold start (1.3 s against 0.3 s here).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

_CACHES = pytest.StashKey[Path]()


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
    config.stash[_CACHES] = Path(tempfile.mkdtemp(prefix="owned-mypy-caches-"))


_EVERY_CASE_IMPORTS = """\
import collections.abc
import typing

import typing_extensions

import owned
from owned import Owned, Ref, RefMut
"""


def _warm_cache(caches: Path, ini_file: str) -> Path:
    """A mypy cache of the modules every case imports, made by one run of this mypy."""
    template = caches / "template"
    source = caches / "every_case_imports.py"
    source.write_text(_EVERY_CASE_IMPORTS)
    command = [sys.executable, "-m", "mypy", "--config-file", ini_file]
    subprocess.run(
        [*command, "--cache-dir", str(template), str(source)],
        cwd=caches,
        capture_output=True,
        check=False,  # a failing template only makes the cases cold: they report for themselves
        timeout=300,
    )
    return template


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    caches = config.stash.get(_CACHES, None)
    cases = [item for item in items if hasattr(item, "incremental_cache_dir")]  # YAML cases
    if caches is None or not cases:
        return
    template = _warm_cache(caches, config.option.mypy_ini_file)
    for number, item in enumerate(cases):
        own = caches / f"case-{number}"
        if template.is_dir():
            shutil.copytree(template, own)
        item.incremental_cache_dir = str(own)


def pytest_unconfigure(config: pytest.Config) -> None:
    caches = config.stash.get(_CACHES, None)
    if caches is not None:
        shutil.rmtree(caches, ignore_errors=True)
