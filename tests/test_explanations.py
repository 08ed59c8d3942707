"""`python -m owned explain`: a paragraph per error, its examples run, docs/errors.md from it."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

import owned
from owned._explanations import _PRELUDE, EXPLANATIONS, Explanation, explain, markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"
TODAY = [entry for entry in EXPLANATIONS if entry.version == 1]
CONTRACT_CODES = {
    "E0382", "E0499", "E0502", "E0505", "E0506", "E0597",  # version 1
    "E0507", "E0596", "E0515", "E0373", "E0277",  # version 2
}  # fmt: skip
CODELESS = {"UseAfterDropError", "DoubleDropError", "OutOfMemoryError", "PoisonError", "RefCell"}


def _run(code: str) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(_PRELUDE + code, "<example>", "exec"), {})
    return printed.getvalue()


def test_every_code_of_the_contract_and_every_codeless_error_is_explained() -> None:
    assert {entry.key for entry in EXPLANATIONS} == CONTRACT_CODES | CODELESS


@pytest.mark.parametrize("entry", TODAY, ids=lambda entry: entry.key)
def test_the_erroneous_example_raises_the_error_it_explains(entry: Explanation) -> None:
    with pytest.raises(owned.OwnershipError) as caught:
        _run(entry.wrong)
    assert type(caught.value).__name__ == entry.error
    assert (caught.value.code or type(caught.value).__name__) == entry.key


@pytest.mark.parametrize("entry", TODAY, ids=lambda entry: entry.key)
def test_the_fixed_example_runs(entry: Explanation) -> None:
    _run(entry.right)


def test_docs_errors_md_is_what_explain_markdown_prints() -> None:
    assert (DOCS / "errors.md").read_text() == markdown()


def test_the_rendering_ends_with_the_command_that_explains_it_and_that_command_works() -> None:
    with pytest.raises(owned.UseAfterDropError) as caught:
        _run("x = Owned(1)\nx.drop()\nx.value\n")
    last = caught.value.render().splitlines()[-1]
    assert last == (
        "For more information about this error, try `python -m owned explain UseAfterDropError`."
    )
    result = subprocess.run(
        [sys.executable, "-m", "owned", "explain", "UseAfterDropError"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.startswith("UseAfterDropError: use of a dropped value")
    assert "Erroneous code example:" in result.stdout


def test_explain_finds_codes_whatever_their_case_and_the_refcell_conflicts_by_class() -> None:
    assert explain("e0382") is explain("E0382")
    assert explain("BorrowMutError") is explain("RefCell")
    assert explain("E9999") is None
