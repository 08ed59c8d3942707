"""`python -m owned trace --html/--svg`: the permissions view, loaded in a real headless Chromium.

The browser test needs Debian's `chromium` (`apt-get install -y chromium`; `.ci/run` installs
it). Without it the test fails, saying so, rather than skip: a view nobody loaded in a
browser is not tested (README, "Running the tests").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"  # gitignored: the screenshots a run leaves

EXAMPLE = """
    import owned
    from owned import Owned

    s = Owned(["hello"])
    with owned.scope():
        t = Owned([1, 2])
        with s.borrow_mut() as m:
            m.value.append("world")
        r = s.borrow()
        print(r.value[0])
        r.release()
    s2 = s.move()
    print(s.value)
"""
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _traced(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (tmp_path / "perm.py").write_text(textwrap.dedent(EXAMPLE).lstrip())
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "owned",
            "trace",
            "--html",
            "perm.html",
            "--svg",
            "perm.svg",
            "perm.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("the permissions view is tested in Chromium: apt-get install -y chromium")
    return found


def _browse(page: Path, *action: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="owned-chromium-") as profile:
        return subprocess.run(
            [_chromium(), *_CHROMIUM_FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


class _Cells(HTMLParser):
    """Each place's letters per row of the view, as the browser's DOM has them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, dict[str, dict[str, str]]]] = []  # (class, line, ...)
        self.place: str | None = None
        self.texts: list[str] = []
        self.sources: list[str] = []  # src= and href= of any element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.sources += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "tr":
            self.rows.append((attributes.get("class") or "", attributes.get("data-line") or "", {}))
        elif tag == "span" and "data-place" in attributes:
            self.place = attributes["data-place"]
            self.rows[-1][2].setdefault(self.place or "", {})
        elif tag == "span" and "data-perm" in attributes and self.place is not None:
            perm, change = attributes["data-perm"] or "", attributes["data-change"] or ""
            self.rows[-1][2][self.place][perm] = change

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def _perms(row: dict[str, dict[str, str]], place: str) -> str:
    """`+R+W-O`-like: each letter gained (+), lost (-), held (=) or needed (!); absent omitted."""
    marks = {"gained": "+", "lost": "-", "held": "=", "missing": "!"}
    return "".join(marks[c] + p for p, c in row[place].items() if c in marks)


def test_the_html_page_shows_each_lines_permissions_in_chromium(tmp_path: Path) -> None:
    """Mutation caught: a shared borrow that also takes R from its owner (`_Block.permissions`
    returning nothing while `shared`) turns line 9's `s` from `=R-W-O` into `-R-W-O`."""
    result = _traced(tmp_path)
    assert result.returncode == 1, result.stderr
    page = tmp_path / "perm.html"
    dumped = _browse(page, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr
    cells = _Cells()
    cells.feed(dumped.stdout)
    rows = {line: perms for classes, line, perms in cells.rows if line and "error" not in classes}
    assert _perms(rows["4"], "s") == "+R+W+O"  # an owner can read, write and move
    assert _perms(rows["7"], "s") == "-R-W-O"  # `borrow_mut` takes all three while it lasts
    assert _perms(rows["7"], "m") == "+R+W"  # ... and a borrow never owns
    assert _perms(rows["9"], "s") == "=R-W-O"  # a shared borrow leaves the owner R
    assert _perms(rows["9"], "r") == "+R"
    assert _perms(rows["11"], "s") == "=R+W+O"  # `release()` gives them back on its line
    assert _perms(rows["12"], "s") == "-R-W-O"  # a move loses all of them for the old name
    assert _perms(rows["12"], "s2") == "+R+W+O"
    assert _perms(rows["13"], "s") == "!R"  # the failing access: R needed, not held
    ends = [
        (perms, i) for i, (classes, _, perms) in enumerate(cells.rows) if "block-end" in classes
    ]
    assert [list(perms) for perms, _ in ends] == [["m", "s"], ["t"], ["s2"]]
    assert _perms(ends[1][0], "t") == "-R-W-O"  # `t` dropped where its block ends
    text = "".join(cells.texts)
    assert "end of the `with` block that starts on line 5" in text
    assert "error[E0382]: use of moved value: `s`" in text
    assert "value moved here" in text
    assert cells.sources == []  # nothing fetched: every style and script is inline
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "permissions_view.png"
    screenshot.unlink(missing_ok=True)
    shot = _browse(page, "--window-size=1100,620", f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_svg_timeline_has_a_column_per_value_and_the_error(tmp_path: Path) -> None:
    result = _traced(tmp_path)
    assert result.returncode == 1, result.stderr
    svg = ElementTree.parse(tmp_path / "perm.svg").getroot()  # well-formed XML
    namespace = "{http://www.w3.org/2000/svg}"
    texts = [element.text for element in svg.iter(f"{namespace}text")]
    assert texts[:5] == ["s", "t", "m", "r", "s2"]  # the columns, in order of first appearance
    assert texts[5:15] == ["4", "6", "7", "end", "9", "11", "end", "12", "13", "end"]
    assert "error[E0382]" in texts
    arrows = [e for e in svg.iter(f"{namespace}line") if e.get("marker-end")]
    assert len(arrows) == 1  # the move of `s` into `s2`


def test_a_temporary_borrow_and_a_moved_in_parameter_read_as_what_they_are(
    tmp_path: Path,
) -> None:
    """A borrow that ends with its statement gives R and takes it back on one line; the owner
    lends W and O for that line only; a parameter of the caller's name is its own place.

    Mutation caught: dropping `moments` (one before/after pair per line) shows the borrow as
    never having had R (`absent`) and the owner as simply holding W and O."""
    source = """
        import owned
        from owned import Owned


        @owned.function
        def total(years: Owned[list[int]]) -> int:
            return sum(years.borrow().value)


        years = Owned([1, 2])
        print(total(years))
    """
    (tmp_path / "years.py").write_text(textwrap.dedent(source).lstrip())
    result = subprocess.run(
        [sys.executable, "-m", "owned", "trace", "--html", "years.html", "years.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    cells = _Cells()
    cells.feed((tmp_path / "years.html").read_text())
    rows = {line: perms for _, line, perms in cells.rows if line}
    inside = rows["7"]
    assert inside["years (in total)"] == {"R": "held", "W": "lent", "O": "lent"}
    assert inside["& years (in total)"] == {"R": "brief", "W": "absent", "O": "absent"}
    assert _perms(rows["11"], "years") == "-R-W-O"  # moved into the call
    assert _perms(rows["11"], "years (in total)") == "+R+W+O"
    ends = [perms for classes, _, perms in cells.rows if "block-end" in classes]
    assert [list(perms) for perms in ends] == [["years (in total)"]]  # dropped as `total` returns
