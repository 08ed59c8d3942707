"""The handle-type registry: which types are handles, so a plain value is never one.

The modules that define handle types register them here at import; the parts walk, the raw
layer and the refusals ask. A handle inside a block that is not one of its parts would make two
owners of one value.
"""

from __future__ import annotations

from typing import Final

__all__ = ["HANDLE_TYPES", "OWNING_TYPES", "is_handle", "reject_handle", "seal"]

HANDLE_TYPES: Final[set[type]] = set()  # every handle and borrow type, and Pointer
OWNING_TYPES: Final[set[type]] = set()  # the handles that can be a part of a value


def is_handle(value: object) -> bool:
    return type(value) in HANDLE_TYPES


def reject_handle(value: object, what: str) -> None:
    """Refuse a handle where a plain value belongs."""
    if type(value) in HANDLE_TYPES:
        raise TypeError(
            f"{what} expects a plain value, got a handle ({value!r}): "
            "move it with x.move(), or own its value with Owned(x.into_inner())"
        )


def seal(cls: type) -> None:
    """Refuse subclasses of a public class, saying why (the runtime checks exact types)."""

    def refuse(subclass: type, **kwargs: object) -> None:
        raise TypeError(
            f"owned.{cls.__name__} cannot be subclassed (the runtime checks its objects by "
            "exact type): put your behaviour in the value, or wrap it in a class of your own"
        )

    # arg-type: classmethod passes the subclass positionally, so its parameter's name is moot.
    cls.__init_subclass__ = classmethod(refuse)  # type: ignore[assignment,method-assign,arg-type]
