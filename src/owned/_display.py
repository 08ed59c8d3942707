"""HTML renderings for notebooks: an arena's cell map, handles, borrows, errors and leaks.

Each function takes an object and returns a self-contained HTML fragment (inline styles, no
script, no network), built from plain templates with every piece of program text escaped.
They read only what the public API shows (`Owned.name`, `.address`, `.size`, `.scope`,
`.allocated_at`, `.is_alive`, `repr()`, `Ref.is_active`, `Arena.blocks()` and `.stats()`,
an error's `render(color=True)`), so they do not care how the runtime is built.

Importing this module registers the renderers with `owned._repr`, which the classes'
`_repr_html_` methods consult.
"""

from __future__ import annotations

import html
import re
import reprlib
from collections.abc import Iterable
from string import Template
from typing import Any, Final

from ._arena import Arena
from ._borrows import Ref, RefMut
from ._census import CYCLE, Leak, Leaks
from ._errors import OwnershipError
from ._handles import Owned
from ._places import place
from ._pointer import Pointer
from ._repr import register_html
from ._scope import Scope
from ._sites import Site

__all__ = ["arena_html", "borrow_html", "error_html", "leaks_html", "owned_html"]

_FONT: Final = "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
_BOX: Final = f"{_FONT}; font-size: 13px; line-height: 1.4"
# Colours by state, readable on light and dark notebook themes alike.
_STATE_COLOURS: Final = {
    "alive": "#2e7d32",
    "borrowed": "#b26a00",
    "mutably borrowed": "#c62828",
    "moved": "#757575",
    "dropped": "#757575",
    "active": "#2e7d32",
    "ended": "#757575",
}
_BLOCK_FILL: Final = ("#bbdefb", "#c8e6c9", "#ffe0b2", "#e1bee7", "#b2dfdb", "#f8bbd0")
_FREE_FILL: Final = "repeating-linear-gradient(45deg, #f5f5f5 0 4px, #e0e0e0 4px 6px)"
_MAX_ROWS: Final = 50  # blocks listed in an arena's table before "and N more"
_MAX_MAPPED: Final = 500  # blocks drawn in the map; past that, the one-line text map
_MAX_RULED: Final = 64  # cells numbered under the map; a longer row is left unnumbered
_VALUES: Final = reprlib.Repr()
_VALUES.maxstring = _VALUES.maxother = 80
_VALUES.maxlist = _VALUES.maxtuple = _VALUES.maxdict = _VALUES.maxset = 12


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _state_of(handle: object) -> str:
    """The state a handle's `repr()` ends with: alive, borrowed 2x, moved, dropped, ..."""
    found = re.search(r"\(([^()]*)\)>$", repr(handle))
    return found.group(1) if found else "unknown"


def _badge(state: str) -> str:
    colour = _STATE_COLOURS.get(re.sub(r" \d+x$", "", state), "#455a64")
    return (
        f'<span style="color: #fff; background: {colour}; border-radius: 3px; '
        f'padding: 0 4px">{_e(state)}</span>'
    )


def _owner_of(scope: Scope) -> str:
    if scope.parent is None and scope.is_active:  # only the root is active without a parent
        return "the root scope"
    return f"scope {scope.name or hex(id(scope))}"


def _site_text(site: Site | str | None) -> str:
    if site is None:
        return "unknown"
    if isinstance(site, str):
        return site
    return f"{place(site.filename, site.line)} ({site.function})"


def _block_text(address: int, size: int) -> str:
    return f"{size} cell{'' if size == 1 else 's'} @0x{address:x}"


_CARD: Final = Template(
    '<div style="$box; border: 1px solid #90a4ae; border-radius: 4px; padding: 4px 8px; '
    'display: inline-block">'
    "<div><b>$title</b> $badge</div>"
    '<table style="border-collapse: collapse">$rows</table></div>'
)


def _card(title: str, state: str, rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><td style="padding: 0 8px 0 0; color: #607d8b; text-align: left">{_e(key)}</td>'
        f'<td style="padding: 0; text-align: left">{value}</td></tr>'
        for key, value in rows
    )
    return _CARD.substitute(box=_BOX, title=_e(title), badge=_badge(state), rows=cells)


def _value_text(read: Any) -> str:
    """The value's repr (shortened), or why it cannot be read now."""
    try:
        value = read()
    except OwnershipError as error:
        return f'<i style="color: #757575">not readable: {_e(error.headline)}</i>'
    return f"<code>{_e(_VALUES.repr(value))}</code>"


def owned_html(handle: Owned[Any]) -> str:
    """An `Owned` as a card: its value, state, block, owner and where it was allocated."""
    state = _state_of(handle)
    rows = [
        ("value", _value_text(lambda: handle.value) if handle.is_alive else "<i>gone</i>"),
        ("block", _e(_block_text(handle.address, handle.size))),
        ("owner", _e(_owner_of(handle.scope))),
        ("allocated at", _e(_site_text(handle.allocated_at))),
    ]
    name = handle.name
    return _card(f"owned.Owned `{name}`" if name else "owned.Owned", state, rows)


def borrow_html(borrow: Ref[Any] | RefMut[Any]) -> str:
    """A `Ref`/`RefMut` as a card: what it borrows, its value while active, and its state."""
    owner = borrow.owner
    kind = "&mut" if isinstance(borrow, RefMut) else "&"
    name = owner.name
    rows = [
        ("value", _value_text(lambda: borrow.value) if borrow.is_active else "<i>ended</i>"),
        ("borrows", _e(f"{name or 'a value'} ({_block_text(owner.address, owner.size)})")),
        ("owner", _e(f"{_owner_of(owner.scope)}, {_state_of(owner)}")),
    ]
    title = f"owned.{type(borrow).__name__} {kind}{name or ''}"
    return _card(title, "active" if borrow.is_active else "ended", rows)


# -- the arena ---------------------------------------------------------------------------------

_ARENA: Final = Template(
    '<div style="$box">'
    "<div><b>owned.Arena</b> $summary</div>"
    '<div style="display: grid; grid-template-columns: repeat($columns, minmax(4px, 1fr)); '
    'gap: 1px; max-width: 100%; width: ${width}em; margin: 4px 0">$map</div>'
    '<table style="border-collapse: collapse">$table</table></div>'
)


def _extent(first: int, size: int, body: str, style: str, title: str) -> str:
    return (
        f'<div title="{_e(title)}" style="grid-column: {first + 1} / span {size}; {style}; '
        "overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding: 1px 3px; "
        f'border-radius: 2px; min-height: 2.6em">{body}</div>'
    )


def _describe_record(record: object) -> tuple[str, str, str, str]:
    """A block's name, value type, owner and state, from its handle or pointer (its value is
    not read: a mutably borrowed one refuses)."""
    if isinstance(record, Owned):
        found = re.match(r"<owned\.Owned\[([^\]]*)\]", repr(record))
        value_type = found.group(1) if found else "-"
        return record.name or "<unnamed>", value_type, _owner_of(record.scope), _state_of(record)
    if isinstance(record, Pointer):
        return "raw pointer", _state_of(record), "nobody: arena.free() it", "allocated"
    return type(record).__name__, "-", "unknown", "unknown"


def arena_html(arena: Arena) -> str:
    """The arena as a row of cells: each block with its name and owner, the free extents
    hatched, then a table of the blocks and the arena's counters."""
    stats = arena.stats()
    blocks = sorted(arena.blocks(), key=lambda block: block[0])
    end = max((address + size for address, size, _ in blocks), default=0)
    cells = stats.capacity if stats.capacity is not None else max(end, 1)
    capacity = "growing" if stats.capacity is None else f"{stats.capacity} cells"
    summary = _e(
        f"({capacity}): {stats.live_blocks} live block{'' if stats.live_blocks == 1 else 's'}, "
        f"{stats.live_cells} live cells, peak {stats.peak_cells}, "
        f"largest free extent {stats.largest_free}"
    )
    parts: list[str] = []
    table = [
        "<tr>"
        + "".join(
            f'<th style="text-align: left; padding: 0 8px 0 0">{h}</th>'
            for h in ("address", "cells", "name", "type", "owner", "state")
        )
        + "</tr>"
    ]
    free_from = 0
    for index, (address, size, record) in enumerate(blocks):
        if address > free_from:
            gap = address - free_from
            parts.append(_extent(free_from, gap, "", f"background: {_FREE_FILL}", f"free: {gap}"))
        name, value_type, owner, state = _describe_record(record)
        fill = _BLOCK_FILL[index % len(_BLOCK_FILL)]
        body = f"<b>{_e(name)}</b><br><small>{_e(owner)}</small>"
        title = f"{name}: {_block_text(address, size)}, owned by {owner} ({state})"
        parts.append(_extent(address, size, body, f"background: {fill}", title))
        if index < _MAX_ROWS:
            row = (f"0x{address:x}", size, name, value_type, owner, state)
            table.append(
                "<tr>"
                + "".join(f'<td style="padding: 0 8px 0 0">{_e(c)}</td>' for c in row)
                + "</tr>"
            )
        free_from = address + size
    if cells > free_from:
        gap = cells - free_from
        parts.append(_extent(free_from, gap, "", f"background: {_FREE_FILL}", f"free: {gap}"))
    if len(blocks) > _MAX_ROWS:
        table.append(f"<tr><td colspan=6>... and {len(blocks) - _MAX_ROWS} more blocks</td></tr>")
    if cells <= _MAX_RULED:  # each cell's address, in the row under the blocks
        parts += [
            f'<div style="grid-column: {cell + 1}; font-size: 9px; color: #90a4ae; '
            f'text-align: center">{cell:x}</div>'
            for cell in range(cells)
        ]
    picture = "".join(parts)
    if len(blocks) > _MAX_MAPPED:
        picture = f'<code style="grid-column: 1 / -1">{_e(arena.render(width=120))}</code>'
    return _ARENA.substitute(
        box=_BOX,
        summary=summary,
        columns=cells,
        width=min(max(cells * 4, 12), 64),
        map=picture,
        table="".join(table) if blocks else "<tr><td>no live blocks</td></tr>",
    )


# -- errors ------------------------------------------------------------------------------------

_SGR: Final = re.compile(r"\x1b\[([0-9;]*)m")
_ANSI_COLOURS: Final = {"31": "#d32f2f", "32": "#388e3c", "34": "#1976d2", "36": "#0097a7"}


def ansi_to_html(text: str) -> str:
    """Terminal text with SGR colour codes (bold, red, green, blue, cyan) as escaped HTML."""
    out: list[str] = []
    position = 0
    open_span = False
    for match in _SGR.finditer(text):
        out.append(_e(text[position : match.start()]))
        position = match.end()
        if open_span:
            out.append("</span>")
            open_span = False
        codes = [code for code in match.group(1).split(";") if code not in ("", "0")]
        styles = ["font-weight: bold" if code == "1" else "" for code in codes]
        styles += [f"color: {_ANSI_COLOURS[code]}" for code in codes if code in _ANSI_COLOURS]
        style = "; ".join(s for s in styles if s)
        if style:
            out.append(f'<span style="{style}">')
            open_span = True
    out.append(_e(text[position:]))
    if open_span:
        out.append("</span>")
    return "".join(out)


_ERROR: Final = Template(
    '<div style="$box"><div style="color: #607d8b">owned.$kind</div>'
    '<pre style="$font; margin: 2px 0; padding: 6px; background: #fafafa; '
    'border-left: 3px solid #d32f2f; white-space: pre">$rendering</pre></div>'
)


def error_html(error: OwnershipError) -> str:
    """The error as rustc draws it (`error.render(color=True)`), its colours kept, in HTML."""
    return _ERROR.substitute(
        box=_BOX,
        font=_FONT,
        kind=_e(type(error).__name__),
        rendering=ansi_to_html(error.render(color=True)),
    )


# -- leaks -------------------------------------------------------------------------------------


def _why(leak: Leak) -> str:
    if leak.reason == CYCLE:
        return f"held only by the reference cycle {' -> '.join(leak.cycle)}"
    return "forgotten: nothing refers to its handle but its owner"


def leaks_html(leaks: Iterable[Leak]) -> str:
    """Leaked blocks as a table: the value's type, its name, where it was allocated and why
    nothing can free it (a cycle of `Rc`s, a handle nobody can reach)."""
    rows = [
        "<tr>"
        + "".join(
            f'<td style="padding: 0 8px 0 0">{_e(cell)}</td>'
            for cell in (
                leak.type_name,
                leak.name or "<unnamed>",
                _site_text(leak.allocated_at),
                _why(leak),
            )
        )
        + "</tr>"
        for leak in leaks
    ]
    if not rows:
        return f'<div style="{_BOX}"><b>no leaks</b></div>'
    heading = "".join(
        f'<th style="text-align: left; padding: 0 8px 0 0">{h}</th>'
        for h in ("type", "name", "allocated at", "why it leaks")
    )
    count = f"{len(rows)} leaked block{'' if len(rows) == 1 else 's'}"
    return (
        f'<div style="{_BOX}"><div><b style="color: #c62828">{count}</b></div>'
        f'<table style="border-collapse: collapse"><tr>{heading}</tr>{"".join(rows)}</table></div>'
    )


register_html(Owned, owned_html)
register_html(Ref, borrow_html)
register_html(RefMut, borrow_html)
register_html(Arena, arena_html)
register_html(OwnershipError, error_html)
register_html(Leaks, leaks_html)
