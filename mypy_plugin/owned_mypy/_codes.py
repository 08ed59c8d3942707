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
