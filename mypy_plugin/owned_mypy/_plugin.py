"""The dispatcher: maps mypy's hook look-ups to the focused hook functions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Final, final

from mypy.nodes import MypyFile
from mypy.options import Options
from mypy.plugin import (
    AttributeContext,
    FunctionContext,
    FunctionSigContext,
    MethodContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import FunctionLike, Type

from . import _names
from ._callees import CalleeIndex, takes_owned
from ._schedule import FlowScheduler
from ._signatures import (
    DELEGATED_METHODS,
    borrowing_decorator,
    delegate_to_value,
    iterate_borrowed,
)


def _source_digest() -> str:
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


_SOURCE_DIGEST: Final = _source_digest()


@final
class OwnedPlugin(Plugin):
    """Precise types for `owned`'s handles and flow-sensitive ownership checks."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._scheduler = FlowScheduler()
        self._borrowing_decorator = borrowing_decorator(self.lookup_fully_qualified)
        self._callees = CalleeIndex(self.lookup_fully_qualified)
        self._known_callees = self._callees.known
        self._build_modules: dict[str, MypyFile] = {}
        self._runtime_seen = False
        self._delegates = {
            f"{borrow}.{method}": delegate_to_value(method)
            for borrow in _names.BORROWS
            for method in DELEGATED_METHODS
        }
        self._function_hooks: dict[str, Callable[[FunctionContext], Type]] = {
            _names.FLOW_MARKER: self._scheduler.run,
            _names.FUNCTION_DECORATOR: self._borrowing_decorator,
            "builtins.iter": iterate_borrowed,
        }

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        # Part of every module's cache key: cached results die with any change to the plugin.
        return _SOURCE_DIGEST

    def set_modules(self, modules: dict[str, MypyFile]) -> None:
        super().set_modules(modules)
        self._build_modules = modules
        self._runtime_seen = False
        self._callees.forget()

    # mypy asks the four hooks below on every call it checks, mostly about callees that
    # have nothing to do with `owned`: the usual question is answered by one dictionary
    # look-up in the method itself, and the rest of the work is done once per name.

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._signature_hook(fullname)

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        if fullname in _names.ANALYSED_METHOD_FULLNAMES:
            return self._mark_always if self._runtime_in_build() else None
        return self._signature_hook(fullname)

    def _signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext | MethodSigContext], FunctionLike] | None:
        known = self._known_callees.get(fullname)
        if known is not None and known[0].type is known[1]:
            return self._mark_if_moving if known[2] else None
        if not self._runtime_in_build() or not self._callees.may_take_owned(fullname):
            return None
        return self._mark_if_moving

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if fullname == _names.VALUE_ATTRIBUTE:
            return self._mark_attribute
        return None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        hook = self._function_hooks.get(fullname)
        if hook is iterate_borrowed and not self._runtime_in_build():
            return None
        return hook

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._delegates.get(fullname)

    def _runtime_in_build(self) -> bool:
        # Without the runtime module no value can be an `Owned`: code that does not use
        # `owned` pays one dict look-up per call and is checked exactly as without the plugin.
        if self._runtime_seen:
            return True
        self._runtime_seen = _names.RUNTIME_MODULE in self._build_modules
        return self._runtime_seen

    def _mark_if_moving(self, ctx: FunctionSigContext | MethodSigContext) -> FunctionLike:
        if any(takes_owned(arg_type) for arg_type in ctx.default_signature.arg_types):
            self._scheduler.mark_current_target(ctx.api)
        return ctx.default_signature

    def _mark_always(self, ctx: MethodSigContext) -> FunctionLike:
        self._scheduler.mark_current_target(ctx.api)
        return ctx.default_signature

    def _mark_attribute(self, ctx: AttributeContext) -> Type:
        # `x.value` (read or written) conflicts with a borrow of `x` that is held.
        self._scheduler.mark_current_target(ctx.api)
        return ctx.default_attr_type
