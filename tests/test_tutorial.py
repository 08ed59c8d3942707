"""Every code block of docs/tutorial.md and docs/events.md runs and prints its output block.

A ```python block runs on its own, in a fresh namespace, unless its first line says
`# continues the block above`: then it runs in the namespace the block above left (and the
page says so to the reader with the same line). If a block's first line is a comment naming a
file (`# print_years.py`), the rest of it is that file: errors point into it with its own line
numbers. What it prints, and the error it raises as Python shows an uncaught one (the frames
stand as `  ...`), must equal the ```output block that follows, character for character. The
one placeholder is `{number}`, for what differs between runs (a time): it stands for a number
and nothing else, so that no picture of the arena can pass for another.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser

from owned._tracebacks import format_uncaught

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FILE_COMMENT = re.compile(r"#\s*([\w./-]+\.py)\s*$")
CONTINUES = "# continues the block above"
_PENDING = "__tutorial_output__"
_LAST = "__tutorial_namespace__"
_NUMBER = "{number}"


def _uncaught(error: BaseException) -> str:
    """What Python prints for `error` uncaught, with its frames shown as `  ...`."""
    lines = format_uncaught(error).splitlines(True)
    header, rest = lines[0], lines[1:]
    while rest and rest[0].startswith("  "):
        rest = rest[1:]
    return header + "  ...\n" + "".join(rest)


def _run_block(example: Example) -> None:
    code = str(example.parsed)
    pending = example.namespace.get(_PENDING)
    if pending:
        raise AssertionError(
            f"the block before line {example.line} printed output the page does "
            f"not show:\n{pending}"
        )
    lines = code.splitlines()
    if lines and lines[0].strip() == CONTINUES:
        namespace: dict[str, Any] = example.namespace[_LAST]
    else:
        namespace = {"__name__": "__main__"}
        example.namespace[_LAST] = namespace
    first = next((line for line in lines if line.strip() != CONTINUES), "")
    named = _FILE_COMMENT.fullmatch(first)
    if named:
        filename = named.group(1)
        source = code.split(first + "\n", 1)[1]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        compiled = compile(source, filename, "exec")
    else:
        padding = "\n" * (example.line + example.parsed.line_offset)  # the fence's line
        compiled = compile(padding + code, str(example.path), "exec")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            exec(compiled, namespace)
        except Exception as error:
            printed.write(_uncaught(error))
    example.namespace[_PENDING] = printed.getvalue()


def matches(want: str, got: str) -> bool:
    """Whether `got` is `want` exactly, where each `{number}` of `want` stands for a number."""
    pattern = r"-?[0-9][0-9_.,]*".join(re.escape(part) for part in want.split(_NUMBER))
    return re.fullmatch(pattern, got) is not None


def _check_output(example: Example) -> None:
    want = str(example.parsed)
    got = example.namespace.pop(_PENDING, "")
    if sys.version_info < (3, 11):  # no columns: the whole-line snippets pinned for 3.10
        older = OLDER_OUTPUT / f"{Path(example.path).name}-{example.line}.txt"
        if os.environ.get("OWNED_UPDATE_GOLDEN") and not matches(want, got):
            older.parent.mkdir(parents=True, exist_ok=True)
            older.write_text(got)
        if older.exists():
            want = older.read_text()
    if not matches(want, got):
        raise AssertionError(
            f"output block at line {example.line} differs:\n--- the page shows\n{want}"
            f"--- the block prints\n{got}"
        )


# The output blocks as Python 3.10 prints them, where it differs (whole-line snippets).
OLDER_OUTPUT = Path(__file__).parent / "golden" / "py310"

SYBIL = Sybil(
    parsers=[
        CodeBlockParser(language="python", evaluator=_run_block),
        CodeBlockParser(language="output", evaluator=_check_output),
    ]
)


@pytest.mark.parametrize(("page", "blocks"), [("tutorial.md", 68), ("events.md", 2)])
def test_every_block_of_the_docs_runs_and_prints_what_the_page_shows(
    monkeypatch: pytest.MonkeyPatch, page: str, blocks: int
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # the page shows plain text, also on a terminal
    document = SYBIL.parse(DOCS / page)
    examples = list(document.examples())
    assert len(examples) == blocks
    for example in examples:
        example.evaluate()
    assert not document.namespace.get(_PENDING), "the last block's output is not shown"


def test_the_check_refuses_a_picture_of_the_arena_that_differs_from_what_was_printed() -> None:
    # The picture that doctest's ellipsis let through in section 4.
    assert not matches("after : [####......]\n", "after : [####]\n")
    assert not matches("freed {number} objects\n", "freed [####] objects\n")
    assert matches("freed {number} objects in {number} ms\n", "freed 100000 objects in 3.2 ms\n")


def test_a_block_runs_on_its_own_unless_it_says_it_continues_the_one_above(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n```python\nprint(x)\n```\n\n```output\n1\n```\n")
    examples = list(SYBIL.parse(page).examples())
    examples[0].evaluate()
    examples[1].evaluate()
    with pytest.raises(AssertionError, match="NameError: name 'x' is not defined"):
        examples[2].evaluate()
