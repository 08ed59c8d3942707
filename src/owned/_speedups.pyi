"""The C accelerator of @owned.function's generated wrapper (src/owned/_speedups.c)."""

from typing import Any

from ._scope import Scope
from ._sites import Site

def configure(*runtime: object) -> None: ...
def enter(spec: tuple[str, tuple[Site | None, ...]], /, *arguments: object) -> Scope | None: ...
def leave(scope: Scope, result: Any, end: Site | None, /) -> Any: ...
