"""`python -m owned trace --html FILE` and `--svg FILE`: the permissions view, drawn.

The HTML page is one self-contained file (its CSS and its few lines of JavaScript inline, no
network): the script's source, one row per line, with each place's permissions (R, W, O) that
the line gained and lost, each borrow as a bar in the gutter from the row that took it to the
row that ended it, a row after each block where the block's drops happened, and the failing
access marked, with the error as rustc draws it below it. The SVG is a RustViz-like
timeline: one column per place, its events down the rows that did them.

Both are filled in from `string.Template`s, every piece of program text escaped. The facts
come from `_trace_permissions`; `data-` attributes name them, for tests and for scripts.
"""

from __future__ import annotations

import html
from string import Template
from typing import Final

from ._bytecode import display_filename
from ._display import ansi_to_html
from ._errors import OwnershipError
from ._trace_permissions import PERMISSIONS, Loan, Row, View

__all__ = ["permissions_fragment", "permissions_page", "styled_fragment", "timeline_svg"]

_CSS: Final = """
.owned-perm { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color: #212121; background: #fff; border-collapse: collapse; }
.owned-perm td { padding: 0 6px; vertical-align: top; white-space: pre; }
.owned-perm td.no { color: #9e9e9e; text-align: right; user-select: none; }
.owned-perm td.lane { padding: 0; width: 8px; min-width: 8px; }
.owned-perm td.lane.loan { background: #90caf9; }
.owned-perm td.lane.loan.mut { background: #ffab91; }
.owned-perm td.lane.loan.start { border-top-left-radius: 4px; border-top-right-radius: 4px; }
.owned-perm td.lane.loan.last { border-bottom-left-radius: 4px; border-bottom-right-radius: 4px; }
.owned-perm tr.block-end td.code { color: #6d4c41; font-style: italic; }
.owned-perm tr.block-end { background: #efebe9; }
.owned-perm tr.fails td.code { background: #ffebee; }
.owned-perm td.perms { white-space: nowrap; }
.owned-perm .place { display: inline-block; margin-right: 10px; }
.owned-perm .place b { font-weight: 600; margin-right: 3px; }
.owned-perm .p { display: inline-block; width: 1.3em; text-align: center; border-radius: 3px;
  margin-right: 1px; }
.owned-perm .p.gained { background: #c8e6c9; color: #1b5e20; }
.owned-perm .p.lost { background: #ffcdd2; color: #b71c1c; text-decoration: line-through; }
.owned-perm .p.held { background: #eeeeee; color: #424242; }
.owned-perm .p.absent { color: #e0e0e0; }
.owned-perm .p.brief { background: #e8f5e9; color: #1b5e20; outline: 1px dashed #66bb6a; }
.owned-perm .p.lent { background: #fff3e0; color: #e65100; outline: 1px dashed #ffa726; }
.owned-perm .p.missing { outline: 2px solid #d32f2f; color: #d32f2f; font-weight: bold; }
.owned-perm .place.hover { background: #fff59d; }
.owned-perm td.events { color: #00838f; }
.owned-perm td.runs { color: #9e9e9e; }
.owned-perm tr.error td { padding: 4px 6px 8px 6px; }
.owned-perm pre.rustc { margin: 0; padding: 6px; background: #fafafa; white-space: pre-wrap;
  border-left: 3px solid #d32f2f; }
.owned-legend { font: 12px ui-monospace, monospace; margin: 6px 0 10px 0; color: #424242; }
.owned-legend .p { display: inline-block; width: 1.3em; text-align: center; border-radius: 3px; }
"""

# Hovering a place lights it up on every row (the page works without it).
_JS: Final = """
document.querySelectorAll('.owned-perm .place').forEach(function (span) {
  var name = span.getAttribute('data-place');
  function light(on) {
    document.querySelectorAll('.owned-perm .place').forEach(function (other) {
      if (other.getAttribute('data-place') === name) { other.classList.toggle('hover', on); }
    });
  }
  span.addEventListener('mouseenter', function () { light(true); });
  span.addEventListener('mouseleave', function () { light(false); });
});
"""

_PAGE: Final = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>owned trace: $title</title>
<style>$css</style>
</head>
<body>
$fragment
<script>$js</script>
</body>
</html>
""")

_FRAGMENT: Final = Template("""<div class="owned-view">
<div class="owned-legend">$title: permissions per line:
<span class="p held">R</span> read, <span class="p held">W</span> write,
<span class="p held">O</span> own (move or drop);
<span class="p gained">R</span> gained, <span class="p lost">R</span> lost,
<span class="p missing">R</span> needed but not held,
<span class="p brief">R</span> held during the line only,
<span class="p lent">W</span> given up during the line and back;
borrow bars: <span style="background:#90caf9">&nbsp;&nbsp;</span> shared,
<span style="background:#ffab91">&nbsp;&nbsp;</span> mutable</div>
<table class="owned-perm" data-script="$title">
$rows
</table>
</div>""")

_ROW: Final = Template(
    '<tr class="$classes" data-line="$line"><td class="no">$number</td>$lanes'
    '<td class="code">$code</td><td class="perms">$perms</td>'
    '<td class="events">$events</td><td class="runs">$runs</td></tr>'
)
_LANE: Final = Template('<td class="$classes" title="$title"></td>')
_PLACE: Final = Template('<span class="place" data-place="$name"><b>$name</b>$letters</span>')
_LETTER: Final = Template(
    '<span class="p $change" data-perm="$perm" data-change="$change">$perm</span>'
)
_ERROR_ROW: Final = Template(
    '<tr class="error" data-line="$line"><td class="no"></td>$lanes'
    '<td colspan="4" style="white-space: normal; max-width: 0">'
    '<pre class="rustc">$rendering</pre></td></tr>'
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def permissions_page(view: View) -> str:
    """The whole self-contained page."""
    title = _e(display_filename(view.script))
    return _PAGE.substitute(title=title, css=_CSS, js=_JS, fragment=permissions_fragment(view))


def permissions_fragment(view: View, title: str | None = None) -> str:
    """The view as an HTML fragment (its styles: `_CSS`), titled by the script's name."""
    title = _e(display_filename(view.script) if title is None else title)
    lanes = _lane_cells(view)
    out = []
    for index, row in enumerate(view.rows):
        out.append(_row(row, lanes[index]))
        if row.fails is not None and isinstance(view.error, OwnershipError):
            rendering = ansi_to_html(view.error.render(color=True))
            out.append(
                _ERROR_ROW.substitute(
                    line=row.line, lanes=lanes[index].replace("start", ""), rendering=rendering
                )
            )
    fragment = _FRAGMENT.substitute(title=title, rows="\n".join(out))
    return fragment


def styled_fragment(view: View, title: str | None = None) -> str:
    """The fragment with its stylesheet, for a notebook's output (no script: it may not run)."""
    return f"<style>{_CSS}</style>\n{permissions_fragment(view, title)}"


def _lane_cells(view: View) -> list[str]:
    """Each row's gutter: one cell per lane, coloured where a borrow lasts."""
    by_lane: dict[tuple[int, int], Loan] = {}
    for loan in view.loans:
        for row in range(loan.start, loan.end + 1):
            by_lane[(row, loan.lane)] = loan
    cells = []
    for row in range(len(view.rows)):
        out = []
        for lane in range(view.lanes):
            found = by_lane.get((row, lane))
            if found is None:
                out.append(_LANE.substitute(classes="lane", title=""))
                continue
            loan = found
            classes = ["lane", "loan"] + (["mut"] if loan.mutable else [])
            classes += (["start"] if row == loan.start else []) + (
                ["last"] if row == loan.end else []
            )
            kind = "&mut" if loan.mutable else "&"
            what = (
                loan.place if loan.place.startswith("&") else f"{loan.place}: {kind} {loan.owner}"
            )
            if loan.temporary:
                what += " (a temporary: ends with its statement)"
            out.append(_LANE.substitute(classes=" ".join(classes), title=_e(what)))
        cells.append("".join(out))
    return cells


def _row(row: Row, lanes: str) -> str:
    classes = ["line" if row.end is None else "block-end"] + (["fails"] if row.fails else [])
    perms = [
        _place(name, before, after, moments=row.moments.get(name))
        for name, (before, after) in row.changes.items()
    ]
    if row.fails is not None:
        name, needed = row.fails
        perms.append(_place(name, frozenset(), frozenset(), needed=needed))
    code = _e(row.text)
    return _ROW.substitute(
        classes=" ".join(classes),
        line="" if row.line is None else row.line,
        number="" if row.line is None else row.line,
        lanes=lanes,
        code=code,
        perms="".join(perms),
        events=_e("; ".join(row.events)),
        runs=f"x{row.runs}" if row.runs > 1 else "",
    )


def _place(
    name: str,
    before: frozenset[str],
    after: frozenset[str],
    needed: str | None = None,
    moments: tuple[frozenset[str], frozenset[str]] | None = None,
) -> str:
    ever, lacked = moments if moments is not None else (before | after, frozenset())
    letters = []
    for perm in PERMISSIONS:
        if perm == needed:
            change = "missing"
        elif perm in after and perm not in before:
            change = "gained"
        elif perm in after:
            change = "lent" if perm in lacked else "held"  # lent: given up, then back
        elif perm in before:
            change = "lost"
        else:
            change = "brief" if perm in ever else "absent"  # had it during the line only
        letters.append(_LETTER.substitute(perm=perm, change=change))
    return _PLACE.substitute(name=_e(name), letters="".join(letters))


# -- the SVG timeline -------------------------------------------------------------------------

_SVG: Final = Template("""<svg xmlns="http://www.w3.org/2000/svg" width="$width" height="$height" \
viewBox="0 0 $width $height" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">
<title>owned trace of $title: each value's timeline</title>
<rect width="100%" height="100%" fill="white"/>
$body
</svg>
""")
_COLUMN_WIDTH: Final = 110
_ROW_HEIGHT: Final = 26
_LEFT: Final = 60  # the line numbers
_TOP: Final = 50  # the places' names
_TEXT: Final = Template('<text x="$x" y="$y" text-anchor="$anchor" fill="$fill">$text</text>')
_LINE: Final = Template(
    '<line x1="$x1" y1="$y1" x2="$x2" y2="$y2" stroke="$stroke" stroke-width="$width"$dash/>'
)
_DOT: Final = Template(
    '<circle cx="$x" cy="$y" r="5" fill="$fill" stroke="black"><title>$title</title></circle>'
)
_CROSS: Final = Template(
    '<path d="M $x1 $y1 L $x2 $y2 M $x1 $y2 L $x2 $y1" stroke="$stroke" stroke-width="2.5">'
    "<title>$title</title></path>"
)
_COLOURS: Final = {
    "owner": "#2e7d32",
    "shared": "#1e88e5",
    "mutable": "#f4511e",
    "error": "#d32f2f",
}


def timeline_svg(view: View) -> str:
    """One column per place, one row per row of the view that did something."""
    shown = [i for i, row in enumerate(view.rows) if row.changes or row.fails]
    y_of = {row: _TOP + 20 + n * _ROW_HEIGHT for n, row in enumerate(shown)}
    x_of = {place: _LEFT + 40 + n * _COLUMN_WIDTH for n, place in enumerate(view.places)}
    loan_places = {loan.place: loan for loan in view.loans}
    body: list[str] = []
    for place, x in x_of.items():
        body.append(
            _TEXT.substitute(x=x, y=_TOP - 10, anchor="middle", fill="black", text=_e(place))
        )
    for index in shown:
        row = view.rows[index]
        label = str(row.line) if row.line is not None else "end"
        body.append(
            _TEXT.substitute(
                x=_LEFT - 8, y=y_of[index] + 4, anchor="end", fill="#757575", text=label
            )
        )
    for place, x in x_of.items():  # each place's life, styled by what it may do meanwhile
        loan = loan_places.get(place)
        body += _life(place, x, loan, [(i, view.rows[i]) for i in shown], y_of)
    for index in shown:
        row = view.rows[index]
        y = y_of[index]
        for place, (before, after) in row.changes.items():
            x = x_of[place]
            words = _e(f"line {row.line}: " if row.line else row.text + ": ") + _e(
                ", ".join(row.events)
            )
            if after and not before:
                body.append(
                    _DOT.substitute(
                        x=x,
                        y=y,
                        fill=_COLOURS["owner"] if place not in loan_places else "white",
                        title=words,
                    )
                )
            elif before and not after and _ends(place, row):
                body.append(
                    _CROSS.substitute(
                        x1=x - 5, y1=y - 5, x2=x + 5, y2=y + 5, stroke="#424242", title=words
                    )
                )
            letters = "".join(p for p in PERMISSIONS if p in after) or "-"
            body.append(
                _TEXT.substitute(x=x + 9, y=y - 6, anchor="start", fill="#616161", text=letters)
            )
        for source, (before, after) in row.changes.items():  # a move: an arrow to the new owner
            if before and not after and source not in loan_places:
                for target, (t_before, t_after) in row.changes.items():
                    if target != source and not t_before and t_after and target not in loan_places:
                        body.append(
                            _LINE.substitute(
                                x1=x_of[source],
                                y1=y,
                                x2=x_of[target] - 7,
                                y2=y,
                                stroke="#424242",
                                width=1.5,
                                dash=' marker-end="url(#arrow)"',
                            )
                        )
        if row.fails is not None:
            place, needed = row.fails
            x = x_of[place]
            body.append(
                _CROSS.substitute(
                    x1=x - 7,
                    y1=y - 7,
                    x2=x + 7,
                    y2=y + 7,
                    stroke=_COLOURS["error"],
                    title=_e(f"needs {needed}: the error"),
                )
            )
            code = view.error.code if isinstance(view.error, OwnershipError) else None
            body.append(
                _TEXT.substitute(
                    x=x + 12,
                    y=y + 4,
                    anchor="start",
                    fill=_COLOURS["error"],
                    text=_e(f"error[{code}]" if code else "error"),
                )
            )
    arrow = (
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#424242"/></marker></defs>'
    )
    width = _LEFT + 40 + max(len(x_of), 1) * _COLUMN_WIDTH
    height = _TOP + 40 + max(len(shown), 1) * _ROW_HEIGHT
    return _SVG.substitute(
        width=width,
        height=height,
        title=_e(display_filename(view.script)),
        body="\n".join([arrow, *body]),
    )


def _ends(place: str, row: Row) -> bool:
    """Whether `place` goes away on this row (dropped, moved out, a borrow ended)."""
    return any(
        words in (f"drop {place}", f"end {place}") or words.startswith(f"move {place} ->")
        for words in row.events
    )


def _life(
    place: str, x: int, loan: Loan | None, rows: list[tuple[int, Row]], y_of: dict[int, int]
) -> list[str]:
    """The bar of one place: solid while it holds O, thin while it may only read, dashed grey
    while a mutable borrow holds all of it; none once it is gone."""
    out: list[str] = []
    held: frozenset[str] = frozenset()
    since: int | None = None
    for index, row in rows:
        if place not in row.changes:
            continue
        after = row.changes[place][1]
        if since is not None:
            out.append(_segment(x, y_of[since], y_of[index], held, loan))
        gone = not after and _ends(place, row)
        held, since = after, None if gone else index
    if since is not None and rows:
        out.append(_segment(x, y_of[since], y_of[rows[-1][0]], held, loan))
    return out


def _segment(x: int, y1: int, y2: int, held: frozenset[str], loan: Loan | None) -> str:
    if loan is not None:
        colour, width, dash = (
            _COLOURS["mutable" if loan.mutable else "shared"],
            3.0,
            ' stroke-dasharray="5 3"',
        )
    elif "O" in held:
        colour, width, dash = _COLOURS["owner"], 4.0, ""
    elif held:
        colour, width, dash = _COLOURS["owner"], 1.5, ""
    else:
        colour, width, dash = "#9e9e9e", 2.0, ' stroke-dasharray="2 3"'
    return _LINE.substitute(x1=x, y1=y1, x2=x, y2=y2, stroke=colour, width=width, dash=dash)
