# These tests use borrows that ended on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="move-while-borrowed, borrow-conflict"
# mypy: disable-error-code="assign-while-borrowed, dangling-borrow"
"""HTML renderings for notebooks, checked without a kernel: what each one shows, and escaping."""

from __future__ import annotations

import pytest

import owned
from owned import Owned
from owned._census import Leaks
from owned._display import ansi_to_html, arena_html, leaks_html


def test_an_arena_shows_each_block_with_its_name_and_owner_and_the_free_cells() -> None:
    heap = owned.Arena(capacity=8)
    with owned.scope("outer", arena=heap):
        years = Owned([2001, 2002, 2003])
        note = Owned("ab")
        note.drop()
        last = Owned(1)
        shown = heap._repr_html_()
        assert shown == arena_html(heap)
        assert '<div title="years: 3 cells @0x0, owned by scope outer (alive)" ' in shown
        assert "grid-column: 1 / span 3" in shown
        assert "grid-column: 4 / span 1; background: #c8e6c9" in shown  # `last`, first fit
        assert 'title="free: 4" style="grid-column: 5 / span 4' in shown
        assert "8 cells): 2 live blocks, 4 live cells, peak 5" in shown
        assert years.is_alive and last.is_alive


def test_a_handle_shows_its_value_state_block_and_owner_and_refuses_nothing() -> None:
    with owned.scope("cell", arena=owned.Arena()):
        years = Owned([2001, 2002])
        editor = years.borrow_mut()
        shown = years._repr_html_() or ""
        assert "owned.Owned `years`" in shown
        assert ">mutably borrowed<" in shown
        assert "not readable: cannot borrow `years` as immutable" in shown
        assert "2 cells @0x0" in shown and "scope cell" in shown
        editor.release()
        assert "<code>[2001, 2002]</code>" in (years._repr_html_() or "")
        moved = years.move()
        assert ">moved<" in (years._repr_html_() or "")  # type: ignore[use-after-move]  # the display of a moved handle
        assert moved.is_alive


def test_a_borrow_shows_what_it_borrows_and_whether_it_is_active() -> None:
    with owned.scope(arena=owned.Arena()):
        years = Owned([1])
        view = years.borrow()
        assert view.owner is years
        assert "owned.Ref &amp;years" in (view._repr_html_() or "")
        view.release()
        ended = view._repr_html_() or ""
        assert ">ended<" in ended and "<i>ended</i>" in ended


def test_program_text_is_escaped_everywhere() -> None:
    with owned.scope(arena=owned.Arena()):
        tag = Owned("<script>alert(1)</script>", name="<b>")
        shown = tag._repr_html_() or ""
        assert "<script>" not in shown and "&lt;script&gt;" in shown
        assert "<b>" not in shown.replace("<b>owned.Owned", "")


def test_an_error_is_the_rustc_drawing_with_its_colours_as_html() -> None:
    with owned.scope(), pytest.raises(owned.UseAfterDropError) as caught:
        x = Owned([1])
        x.drop()
        x.value  # type: ignore[use-after-drop]  # noqa: B018 - the use that fails
    shown = caught.value._repr_html_() or ""
    assert "owned.UseAfterDropError" in shown
    assert '<span style="font-weight: bold; color: #d32f2f">error</span>' in shown
    assert "value used here after drop" in shown


def test_ansi_colours_become_spans_and_the_text_is_escaped() -> None:
    assert ansi_to_html("\x1b[1;34m -->\x1b[0m a<b") == (
        '<span style="font-weight: bold; color: #1976d2"> --&gt;</span> a&lt;b'
    )


def test_leaks_are_a_table_of_type_name_allocation_site_and_reason() -> None:
    heap = owned.Arena()
    with owned.scope(arena=heap):
        cache: list[Owned[object]] = [Owned([1]), Owned(2)]
        site = cache[0].allocated_at
        del cache  # both handles forgotten: only the scope's bookkeeping refers to them
        leaks = heap.leaks()
        assert isinstance(leaks, Leaks)  # a list that displays itself
        shown = leaks._repr_html_()  # what a notebook shows for `arena.leaks()`
        assert shown == leaks_html(leaks)
    assert shown is not None
    assert "2 leaked blocks" in shown
    assert f"test_display.py:{site.line} (test_leaks" in shown
    assert '<td style="padding: 0 8px 0 0">list</td>' in shown
    assert "forgotten: nothing refers to its handle but its owner" in shown
    assert "&lt;unnamed&gt;" in shown
    assert leaks_html([]).endswith("<b>no leaks</b></div>")
