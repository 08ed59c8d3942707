"""Every code block of docs/tutorial.md and docs/events.md runs and prints its output block.

A ```python block runs in one namespace shared by the whole page. If its first line is a
comment naming a file (`# print_years.py`), the rest of the block is that file: errors point
into it with its own line numbers. What it prints, and the error it raises as Python would show it,
must match the ```output block that follows (doctest's `...` matches anything).
"""

from __future__ import annotations

import contextlib
import doctest
import io
import linecache
import re
import traceback
from pathlib import Path

import pytest
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FILE_COMMENT = re.compile(r"#\s*([\w./-]+\.py)\s*$")
_PENDING = "__tutorial_output__"


def _run_block(example: Example) -> None:
    code = str(example.parsed)
    pending = example.namespace.get(_PENDING)
    if pending:
        raise AssertionError(
            f"the block before line {example.line} printed output the page does "
            f"not show:\n{pending}"
        )
    first = code.splitlines()[0] if code else ""
    named = _FILE_COMMENT.fullmatch(first)
    if named:
        filename = named.group(1)
        source = code.split("\n", 1)[1]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        compiled = compile(source, filename, "exec")
    else:
        padding = "\n" * (example.line + example.parsed.line_offset - 1)
        compiled = compile(padding + code, str(example.path), "exec")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            exec(compiled, example.namespace)
        except Exception as error:
            printed.write("Traceback (most recent call last):\n  ...\n")
            printed.write("".join(traceback.format_exception_only(type(error), error)))
    example.namespace[_PENDING] = printed.getvalue()


def _check_output(example: Example) -> None:
    want = str(example.parsed)
    got = example.namespace.pop(_PENDING, "")
    checker = doctest.OutputChecker()
    if not checker.check_output(want, got, doctest.ELLIPSIS):
        raise AssertionError(
            f"output block at line {example.line} differs:\n"
            + checker.output_difference(doctest.Example("", want), got, doctest.ELLIPSIS)
        )


SYBIL = Sybil(
    parsers=[
        CodeBlockParser(language="python", evaluator=_run_block),
        CodeBlockParser(language="output", evaluator=_check_output),
    ]
)


@pytest.mark.parametrize(("page", "blocks"), [("tutorial.md", 24), ("events.md", 2)])
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
