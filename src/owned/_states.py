"""The states of a handle's `_state`, and of a scope's.

A handle's state is one int: >= 0 means alive with that many shared borrows, `MUT` alive with
one exclusive borrow; `MOVED` and `DROPPED` are dead. Every change of it happens inside an
operation that no other thread can interleave (see `_atomic`).
"""

from typing import Final

MUT: Final = -1  # alive, with one exclusive borrow active
MOVED: Final = -2  # moved to another handle or owner, or out of the arena with into_inner()
DROPPED: Final = -3  # deallocated by drop(), a scope's exit or a call's return

# Scopes (and the families that own parts).
FRESH: Final = 0
ACTIVE: Final = 1
EXITED: Final = 2
