"""The error codes the plugin reports, one constant each (usable in ``# type: ignore[...]``)."""

from typing import Final

from mypy.errorcodes import ErrorCode

USE_AFTER_MOVE: Final = ErrorCode(
    "use-after-move",
    "A name is used after its Owned value was moved (rustc E0382)",
    "owned",
)
USE_AFTER_DROP: Final = ErrorCode(
    "use-after-drop",
    "A name is used after its Owned value was dropped",
    "owned",
)
DOUBLE_DROP: Final = ErrorCode(
    "double-drop",
    "An Owned value is dropped a second time",
    "owned",
)
MOVE_WHILE_BORROWED: Final = ErrorCode(
    "move-while-borrowed",
    "An Owned value is moved or dropped while a borrow of it is held (rustc E0505)",
    "owned",
)
BORROW_CONFLICT: Final = ErrorCode(
    "borrow-conflict",
    "A borrow conflicts with a borrow that is held (rustc E0499, E0502)",
    "owned",
)
ASSIGN_WHILE_BORROWED: Final = ErrorCode(
    "assign-while-borrowed",
    "An Owned value is assigned to while a borrow of it is held (rustc E0506)",
    "owned",
)
DANGLING_BORROW: Final = ErrorCode(
    "dangling-borrow",
    "A borrow is used after it ended, or returned from the call that owns its value"
    " (rustc E0597, E0515)",
    "owned",
)
OWNED_ALIAS: Final = ErrorCode(
    "owned-alias",
    "`y = x` binds a second name to an Owned handle: Rust would move it (opt-in)",
    "owned",
    default_enabled=False,
)
