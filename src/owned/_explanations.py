"""`python -m owned explain E0382`: a short paragraph per error, as `rustc --explain` has.

Every rendered error ends with the command that explains it. The texts live here (so that an
installed package can print them) and `docs/errors.md` is made from them
(`python -m owned explain --markdown > docs/errors.md`; a test keeps the two equal). Each
example of version 1 runs in the test suite: the wrong one raises the error it explains, the
right one runs cleanly.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final

__all__ = ["EXPLANATIONS", "Explanation", "as_text", "explain", "markdown"]


@dataclass(frozen=True)
class Explanation:
    """One error's explanation: what it means, a program that makes it, the same one fixed."""

    key: str  # the rustc code, or the error's class name where Rust has no code
    error: str  # the class that is raised
    title: str
    text: str
    wrong: str
    right: str
    version: int = 1  # 2: the error comes with the version 2 runtime; the examples wait for it


_PRELUDE: Final = "import owned\nfrom owned import Owned\n\n"

EXPLANATIONS: Final = (
    Explanation(
        "E0382",
        "UseAfterMoveError",
        "use of moved value",
        "A value was used after it was moved to a new owner. `s1.move()` (also `owned.move(s1)`,"
        " `s1.into_inner()`, or passing `s1` to a parameter annotated `Owned[...]`) hands the"
        " block to a new handle and leaves `s1` dead, as `let s2 = s1;` does in Rust: a value"
        " has exactly one owner. Borrow it instead (`s1.borrow()`, a `Ref[...]` parameter) when"
        " the other side only reads it, or `clone()` it when two owners are really needed.",
        "with owned.scope():\n    s1 = Owned(['hello'])\n    s2 = s1.move()\n    print(s1.value)\n",
        "with owned.scope():\n    s1 = Owned(['hello'])\n    s2 = s1.clone()\n"
        "    print(s1.value, s2.value)\n",
    ),
    Explanation(
        "E0499",
        "BorrowMutError",
        "cannot borrow as mutable more than once at a time",
        "A value was borrowed mutably (`borrow_mut()`) while another mutable borrow of it was"
        " still active. A `RefMut` is exclusive: while it lives, nothing else may read or write"
        " the value, so that no one sees it half-changed. End the first borrow (leave its"
        " `with` block, or call `release()`) before taking the next.",
        "with owned.scope():\n    s = Owned(['hello'])\n    first = s.borrow_mut()\n"
        "    second = s.borrow_mut()\n",
        "with owned.scope():\n    s = Owned(['hello'])\n    with s.borrow_mut() as first:\n"
        "        first.value.append('world')\n    second = s.borrow_mut()\n",
    ),
    Explanation(
        "E0502",
        "BorrowMutError",
        "cannot borrow as mutable because it is also borrowed as immutable",
        "A value was borrowed mutably while a shared borrow (`borrow()`) was active, or read or"
        " borrowed shared while a mutable borrow was (then the error is a `BorrowError`). Any"
        " number of `Ref`s, or exactly one `RefMut`, never both: a reader must not see the value"
        " change under it. End the shared borrows before borrowing mutably.",
        "with owned.scope():\n    v = Owned([1, 2, 3])\n    first = v.borrow()\n"
        "    v.borrow_mut().value.append(4)\n",
        "with owned.scope():\n    v = Owned([1, 2, 3])\n    first = v.borrow()\n"
        "    print(first[0])\n    first.release()\n    v.borrow_mut().value.append(4)\n",
    ),
    Explanation(
        "E0505",
        "MoveWhileBorrowedError",
        "cannot move out of a value because it is borrowed",
        "A value was moved, dropped or taken out (`into_inner()`) while a borrow of it was"
        " active. The borrow would be left pointing at a value that is somewhere else, or gone."
        " End the borrow first, or borrow the value again after the move, from its new owner.",
        "with owned.scope():\n    x = Owned([1, 2])\n    r = x.borrow()\n    y = x.move()\n",
        "with owned.scope():\n    x = Owned([1, 2])\n    with x.borrow() as r:\n"
        "        print(len(r))\n    y = x.move()\n",
    ),
    Explanation(
        "E0506",
        "BorrowMutError",
        "cannot assign to a value because it is borrowed",
        "`x.value = v` replaced a value while a borrow of it was active. The borrow would see"
        " the value change (or, for a `RefMut`, lose its changes). Assign after the borrow ends,"
        " or assign through the `RefMut` itself (`m.value = v`).",
        "with owned.scope():\n    x = Owned(1)\n    r = x.borrow()\n    x.value = 2\n",
        "with owned.scope():\n    x = Owned(1)\n    with x.borrow_mut() as m:\n"
        "        m.value = 2\n    print(x.value)\n",
    ),
    Explanation(
        "E0597",
        "DanglingRefError",
        "borrowed value does not live long enough",
        "A borrow was used after its owner was dropped, at the end of the scope that owned it:"
        " the borrow outlived the value. The same code, `DanglingRefError`, is raised for a"
        " borrow used after it ended (`release()`, its `with` block, or its own scope's end)."
        " Keep the owner in an outer scope for as long as the borrow is used, or take the"
        " borrow where it is needed.",
        "with owned.scope():\n    with owned.scope():\n        x = Owned([5])\n"
        "        r = x.borrow()\n    print(r.value)\n",
        "with owned.scope():\n    x = Owned([5])\n    with owned.scope():\n"
        "        r = x.borrow()\n        print(r.value)\n",
    ),
    Explanation(
        "UseAfterDropError",
        "UseAfterDropError",
        "use of a dropped value (Rust has no code: it would not compile)",
        "A value was used after `drop(x)` (or `x.drop()`), or a raw pointer after"
        " `arena.free(p)`: AddressSanitizer's heap-use-after-free. Its block is free, and may"
        " already hold another value. Drop a value when you no longer need it, or `clone()` it"
        " first. Rust rejects this use at compile time, as E0382, since `drop` takes its value.",
        "with owned.scope():\n    x = Owned([1])\n    x.drop()\n    print(x.value)\n",
        "with owned.scope():\n    x = Owned([1])\n    print(x.value)\n    x.drop()\n",
    ),
    Explanation(
        "DoubleDropError",
        "DoubleDropError",
        "a value dropped twice (Rust has no code: it would not compile)",
        "A value was dropped (or a pointer freed) a second time: C's double free. Every value is"
        " dropped exactly once; a scope drops what it still owns for you, so a value you do not"
        " need early needs no `drop` at all.",
        "with owned.scope():\n    x = Owned([1])\n    x.drop()\n    x.drop()\n",
        "with owned.scope():\n    x = Owned([1])\n    x.drop()\n",
    ),
    Explanation(
        "OutOfMemoryError",
        "OutOfMemoryError",
        "an arena has no free extent large enough",
        "An allocation asked a fixed-capacity `Arena` for more consecutive cells than any free"
        " extent has (it is also a `MemoryError`). Values that are no longer needed still hold"
        " their cells: drop them, or let a scope end sooner, or create the arena larger.",
        "heap = owned.Arena(capacity=4)\nwith owned.scope(arena=heap):\n"
        "    first = Owned([1, 2, 3])\n    second = Owned([4, 5])\n",
        "heap = owned.Arena(capacity=4)\nwith owned.scope(arena=heap):\n"
        "    first = Owned([1, 2, 3])\n    first.drop()\n    second = Owned([4, 5])\n",
    ),
    Explanation(
        "E0507",
        "MoveOutOfBorrowError",
        "cannot move out of a value which is behind a shared reference",
        "A part of a value (an `Owned` inside a list, a field) was moved or dropped while its"
        " owner was borrowed shared. The reader holds the whole value, parts included. Clone"
        " the part, or move it out through a mutable borrow of the owner once the shared"
        " borrows end.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "E0596",
        "BorrowMutError",
        "cannot borrow as mutable",
        "A part of a value was borrowed mutably, or written, while its owner was borrowed"
        " shared; or an `Rc`/`Arc`'s value was written: shared ownership is read-only. Put a"
        " `RefCell` inside an `Rc` (a `Mutex` inside an `Arc`) to change a shared value.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "E0515",
        "DanglingRefError",
        "cannot return a reference to a value owned by the current function",
        "An `@owned.function` returned a borrow of a value that the call itself owns: the value"
        " is dropped when the call returns, so the borrow could never be used. Return the value"
        " (`Owned[...]`) instead, or borrow from an argument, as `longest(x, y)` does.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "E0373",
        "DanglingRefError",
        "closure may outlive the current function, but it borrows a value",
        "A `Ref`/`RefMut` was handed to `owned.spawn`: the thread may still run when the owner"
        " is gone. Move the value into the thread instead, or use `owned.thread_scope()`, whose"
        " threads are joined before its block ends.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "E0277",
        "NotSendError",
        "`Rc` cannot be sent between threads safely",
        "An `Rc` (or a `Weak`, or a borrow of one) was used in, or handed to, a thread other"
        " than the one that made it. Its counts are not thread-safe. Use `owned.Arc`, whose"
        " counts are.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "PoisonError",
        "PoisonError",
        "a mutex whose holder raised",
        "`lock()` of a `Mutex` whose guard was held by a block that raised: the value may be"
        " half-changed. `error.into_inner()` returns the guard anyway, for code that can check"
        " or repair the value; `mutex.clear_poison()` marks it sound again.",
        "",
        "",
        version=2,
    ),
    Explanation(
        "RefCell",
        "BorrowError",
        "RefCell already borrowed (a BorrowError or BorrowMutError without a code)",
        "A `RefCell`'s `borrow()` met an active `borrow_mut()`, or its `borrow_mut()` met any"
        " active borrow. The rules are those of E0499 and E0502, checked when the program runs"
        " (Rust panics; `owned` raises, naming the borrow it conflicts with). End that borrow"
        " first.",
        "",
        "",
        version=2,
    ),
)

_BY_KEY: Final = {entry.key.lower(): entry for entry in EXPLANATIONS}
_ALIASES: Final = {"borrowerror": "refcell", "borrowmuterror": "refcell"}  # code-less ones


def explain(key: str) -> Explanation | None:
    """The explanation of a code (`E0382`) or of a code-less error's class name."""
    found = key.strip().lower()
    return _BY_KEY.get(found) or _BY_KEY.get(_ALIASES.get(found, ""))


def as_text(entry: Explanation) -> str:
    """The explanation as `rustc --explain` prints one: text, then the examples."""
    out = [f"{entry.key}: {entry.title} (owned.{entry.error})", "", textwrap.fill(entry.text, 80)]
    if entry.version == 2:
        out += ["", "This error comes with ownership version 2 (not in this release yet)."]
    else:
        out += ["", "Erroneous code example:", "", _indented(_PRELUDE + entry.wrong)]
        out += ["Fixed:", "", _indented(_PRELUDE + entry.right)]
    return "\n".join(out).rstrip() + "\n"


def _indented(code: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in code.splitlines(True))


def markdown() -> str:
    """`docs/errors.md`: every explanation, with its examples as code blocks."""
    out = [
        "# Errors and what they mean",
        "",
        "Every error `owned` raises ends with the command that explains it, as rustc's do:",
        "`python -m owned explain E0382` prints the paragraph below. Errors with a rustc code",
        "use rustc's; the others are named by their class. This page is made by",
        "`python -m owned explain --markdown`; its version 1 examples run in the test suite.",
    ]
    for entry in EXPLANATIONS:
        paragraph = textwrap.fill(f"`owned.{entry.error}`. {entry.text}", 96)
        out += ["", f"## {entry.key}: {entry.title}", "", paragraph]
        if entry.version == 2:
            out += ["", "*This error comes with ownership version 2.*"]
            continue
        out += ["", "Erroneous code example:", "", "```python", _PRELUDE + entry.wrong + "```"]
        out += ["", "Fixed:", "", "```python", _PRELUDE + entry.right + "```"]
    return "\n".join(out) + "\n"
