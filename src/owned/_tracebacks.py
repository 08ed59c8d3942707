"""What a learner reads of an uncaught ownership error: their own frames, then one rustc drawing.

Python shows an uncaught exception as its frames, `Type: str(error)`, then its notes. For an
`OwnershipError` that would read the error twice (the compact `str()` and the rendering in its
note) below the library's own frames. So, as trio did for its MultiError, `owned` installs a
`sys.excepthook` (and a `threading.excepthook`) when the interpreter's default is in place:
for an error chain that holds an `OwnershipError` it trims the library's frames from each
such error's `__traceback__` (as hypothesis trims its own) and prints the rendering where the
compact form would be. Everything else goes to the hook that was there before, unchanged.

pytest trims frames itself, by `__tracebackhide__`: `hide_library_frames()` sets it in the
library's modules, to `hide_frame`, which hides them for ownership errors only.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from types import ModuleType, TracebackType
from typing import Any, Final

from ._diagnostics import render, should_color
from ._errors import OwnershipError, hide_frame

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - Python 3.10
    from exceptiongroup import BaseExceptionGroup

__all__ = [
    "format_uncaught",
    "hide_library_frames",
    "install_excepthooks",
    "involves_ownership",
    "trimmed",
]

_PACKAGE: Final = "owned"
_ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


def hide_library_frames() -> None:
    """Give every loaded module of the package its `__tracebackhide__` (pytest reads it from a
    frame's globals); the modules imported later set it themselves."""
    for name, module in list(sys.modules.items()):
        if _is_library(name) and isinstance(module, ModuleType):
            module.__tracebackhide__ = hide_frame  # type: ignore[attr-defined]


def _is_library(module_name: object) -> bool:
    return isinstance(module_name, str) and (
        module_name == _PACKAGE or module_name.startswith(_PACKAGE + ".")
    )


def trimmed(tb: TracebackType | None) -> TracebackType | None:
    """`tb` without the library's frames; unchanged if that would leave nothing."""
    kept: list[TracebackType] = []
    entry = tb
    while entry is not None:
        if not _is_library(entry.tb_frame.f_globals.get("__name__")):  # generated code too
            kept.append(entry)
        entry = entry.tb_next
    if not kept or len(kept) == _length(tb):
        return tb
    rebuilt: TracebackType | None = None
    for entry in reversed(kept):
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def _length(tb: TracebackType | None) -> int:
    count = 0
    while tb is not None:
        count, tb = count + 1, tb.tb_next
    return count


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception printed with it: causes, contexts, group members."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)


def involves_ownership(error: BaseException) -> bool:
    """Whether an `OwnershipError` is printed as part of `error`'s traceback."""
    return any(isinstance(e, OwnershipError) for e in _chain(error))


def format_uncaught(error: BaseException, *, color: bool = False) -> str:
    """`error` as Python prints an uncaught exception, with each ownership error in its chain
    trimmed of the library's frames and shown once, as rustc draws it."""
    for member in _chain(error):
        if isinstance(member, OwnershipError):
            member.__traceback__ = trimmed(member.__traceback__)
    shown = traceback.TracebackException(type(error), error, error.__traceback__, compact=True)
    if not hasattr(shown, "_str"):  # pragma: no cover - a Python that formats otherwise
        return "".join(shown.format())
    _draw_ownership_errors(shown, error, color, set())
    return "".join(shown.format())


def _draw_ownership_errors(
    shown: traceback.TracebackException | None,
    error: BaseException | None,
    color: bool,
    seen: set[int],
) -> None:
    """Walk the formatted chain beside the errors it was made from; draw the ownership ones."""
    if shown is None or error is None or id(shown) in seen:
        return
    seen.add(id(shown))
    if isinstance(error, OwnershipError):
        shown._str = render(error, color=color)  # type: ignore[attr-defined]
        shown.__notes__ = error._others_notes() or None
    _draw_ownership_errors(shown.__cause__, error.__cause__, color, seen)
    _draw_ownership_errors(shown.__context__, error.__context__, color, seen)
    members = getattr(shown, "exceptions", None) or []
    if isinstance(error, BaseExceptionGroup):
        # strict=False: a group wider than traceback's max_group_width is shown cut short.
        for member_shown, member in zip(members, error.exceptions, strict=False):
            _draw_ownership_errors(member_shown, member, color, seen)


_previous_excepthook: _ExceptHook = sys.__excepthook__
_previous_threading_hook: Callable[[Any], object] = threading.__excepthook__


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if not involves_ownership(error):
        _previous_excepthook(kind, error, tb)
        return
    error.__traceback__ = tb
    sys.stderr.write(format_uncaught(error, color=should_color(sys.stderr)))
    sys.stderr.flush()


def _threading_excepthook(args: Any) -> None:
    error = args.exc_value
    if error is None or args.exc_type is SystemExit or not involves_ownership(error):
        _previous_threading_hook(args)
        return
    name = args.thread.name if args.thread is not None else threading.get_ident()
    error.__traceback__ = args.exc_traceback
    stream = sys.stderr
    stream.write(f"Exception in thread {name}:\n")
    stream.write(format_uncaught(error, color=should_color(stream)))
    stream.flush()


def _is_default(hook: object, default: object) -> bool:
    # On Python 3.10 the exceptiongroup backport puts its own hook in place of the default.
    return hook is default or getattr(hook, "__module__", None) == "exceptiongroup._formatting"


def install_excepthooks() -> None:
    """Show uncaught ownership errors once, trimmed; only where the default hooks are in place
    (a hook the program or a tool set stays), and only once."""
    global _previous_excepthook, _previous_threading_hook
    if _is_default(sys.excepthook, sys.__excepthook__):
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    if _is_default(threading.excepthook, threading.__excepthook__):
        _previous_threading_hook = threading.excepthook
        threading.excepthook = _threading_excepthook
