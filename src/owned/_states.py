"""The states of an `Owned` handle, shared by the modules that read its `_flag`.

Every change of `_flag` is a test and a store with no call in between (`if h._flag == 0:
h._flag = MOVED`). CPython's GIL hands over to another thread only at calls and backward
jumps, so each such transition is atomic without a lock, and a handle raced by two threads is
claimed by exactly one of them. The arena's lock guards what the arena shares: its free
extents, its map of live blocks and its counters.
"""

from typing import Final

# `_flag` >= 0: alive, with that many shared borrows active.
MUT: Final = -1  # alive, with one exclusive borrow active
MOVED: Final = -2  # moved to another handle, or out of the arena with into_inner()
DROPPED: Final = -3  # deallocated by drop(), a scope's exit or a call's return
