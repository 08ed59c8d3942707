"""The layering of docs/architecture.md, held by import-linter (`[tool.importlinter]`).

Mutation: add `from . import _scope` inside a function of `_sites.py`; `lint-imports` reports
"owned._sites is not allowed to import owned._scope" and both tests here fail (the layer order
and, since `_scope` imports `_sites`, the cycle).
"""

import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # import-linter and mypy bring tomli to 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent


def test_imports_follow_the_layers() -> None:
    """Every import points down the layers and no two modules import each other in a ring."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        # No config argument: newer import-linter takes it positionally, 2.15 (the last for
        # 3.10) only as `--config`; both read the pyproject.toml of `cwd`.
        [str(lint), "--no-cache", "--no-logo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_architecture_page_names_every_layered_module() -> None:
    """A module placed in the contract is described in docs/architecture.md's layers."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (layers,) = (
        contract["layers"]
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    )
    page = (ROOT / "docs" / "architecture.md").read_text()
    section = page.split("## Layers", 1)[1].split("\n## ", 1)[0]
    mentioned = re.findall(r"`(\w+)`", section)
    placed = [
        module.strip()
        for layer in reversed(layers)  # the page lists the layers bottom first
        for module in re.split(r"[:|]", layer)
        if not module.strip().startswith("(")  # optional: not landed yet
    ]
    missing = [module for module in placed if module not in mentioned]
    assert not missing, f"docs/architecture.md's layers do not mention {missing}"
