"""The states of an `Owned` handle, shared by the modules that read its `_flag`."""

from typing import Final

# `_flag` >= 0: alive, with that many shared borrows active.
MUT: Final = -1  # alive, with one exclusive borrow active
MOVED: Final = -2  # moved to another handle, or out of the arena with into_inner()
DROPPED: Final = -3  # deallocated by drop(), a scope's exit or a call's return
