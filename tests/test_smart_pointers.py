# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Rc, Weak, RefCell and Cell: shared ownership, interior mutability, leaked cycles."""

from __future__ import annotations

import linecache
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import owned
from owned import Arena, Cell, Owned, Rc, RefCell, Weak


def snapshot(arena: Arena, *objects: object) -> tuple[Any, ...]:
    """What a refused operation must leave as it was: the arena and the objects' states."""
    return (arena.stats(), arena.render(), tuple(repr(o) for o in objects))


@dataclass
class Node:
    name: str
    next: RefCell[Any]
    log: list[str]

    def __drop__(self) -> None:
        self.log.append(f"drop {self.name}")


def test_clones_share_one_block_which_the_last_strong_handle_frees() -> None:
    log: list[str] = []
    with owned.scope(arena=Arena()) as s:
        a = Rc(Node("a", RefCell(None), log))
        assert (a.strong_count, s.arena.stats().live_blocks) == (1, 1)
        b = a.clone()
        assert Rc.ptr_eq(a, b) and b.value is a.value
        assert (a.strong_count, s.arena.stats().live_blocks) == (2, 1)
        with owned.scope():
            c = b.clone()
            assert c.strong_count == 3
        assert a.strong_count == 2 and not c.is_alive
        a.drop()
        assert (b.strong_count, log) == (1, [])
        b.drop()
        assert log == ["drop a"]
        assert s.arena.stats().live_blocks == 0


def test_writing_through_an_rc_is_e0596_and_changes_nothing() -> None:
    with owned.scope(arena=Arena()) as s:
        numbers = Rc([1, 2])
        before = snapshot(s.arena, numbers)
        with pytest.raises(owned.BorrowMutError) as info:
            numbers.value = [3]
        assert info.value.code == "E0596"
        assert "cannot borrow data in an `Rc` as mutable" in str(info.value)
        assert "RefCell" in (info.value.help or "")
        with pytest.raises(owned.BorrowMutError, match="E0596"):
            numbers.borrow_mut()
        assert snapshot(s.arena, numbers) == before
        assert numbers.value == [1, 2]


def test_a_borrowed_rc_cannot_be_dropped_and_the_refusal_changes_nothing() -> None:
    with owned.scope(arena=Arena()) as s:
        shared = Rc([1])
        r = shared.borrow()
        before = snapshot(s.arena, shared)
        with pytest.raises(owned.MoveWhileBorrowedError):
            shared.drop()
        with pytest.raises(owned.MoveWhileBorrowedError):
            shared.move()
        assert snapshot(s.arena, shared) == before
        assert r.value == [1]
        r.release()
        shared.drop()
        with pytest.raises(owned.DoubleDropError):
            shared.drop()
        with pytest.raises(owned.UseAfterDropError):
            shared.value  # noqa: B018


def test_a_moved_rc_is_dead_and_its_count_is_unchanged() -> None:
    with owned.scope(arena=Arena()):
        a = Rc("x")
        b = a.move()
        assert not a.is_alive and b.strong_count == 1
        with pytest.raises(owned.UseAfterMoveError, match="moved value `a`"):
            a.clone()


def test_weak_does_not_keep_the_value_and_upgrades_to_none_after() -> None:
    with owned.scope(arena=Arena()) as s:
        strong = Rc([1, 2, 3])
        weak = strong.downgrade()
        assert (strong.strong_count, strong.weak_count) == (1, 1)
        again = weak.upgrade()
        assert again is not None and again.value == [1, 2, 3] and strong.strong_count == 2
        again.drop()
        strong.drop()
        assert s.arena.stats().live_blocks == 0
        assert weak.upgrade() is None and weak.strong_count == 0
        assert "gone" in repr(weak)
    with pytest.raises(TypeError, match="no public constructor"):
        Weak()


def test_a_scope_exit_drops_its_rc_handles_and_an_rc_is_dropped_with_its_owner() -> None:
    log: list[str] = []
    with owned.scope(arena=Arena()) as s:
        inner = Rc(Node("inner", RefCell(None), log))
        holder = Owned([inner.clone()])
        assert inner.strong_count == 2
        holder.drop()
        assert inner.strong_count == 1 and log == []
    assert log == ["drop inner"]
    assert s.arena.stats().live_blocks == 0


def test_parts_of_a_shared_value_are_dropped_with_the_last_handle() -> None:
    log: list[str] = []
    with owned.scope(arena=Arena()) as s:
        part = Owned(Node("part", RefCell(None), log))
        shared = Rc([part])
        assert part.owner is not None and s.arena.stats().live_blocks == 2
        shared.drop()
        assert log == ["drop part"] and s.arena.stats().live_blocks == 0


def test_a_cycle_of_rcs_leaks_and_leaks_reports_it_with_its_sites() -> None:
    log: list[str] = []
    arena = Arena()
    with owned.scope(arena=arena):
        a = Rc(Node("a", RefCell(None), log))
        b = Rc(Node("b", RefCell(a.clone()), log))
        with a.value.next.borrow_mut() as link:
            link.value = b.clone()
        assert (a.strong_count, b.strong_count) == (2, 2)
        assert arena.leaks() == []  # both still reachable from this scope
    assert log == []  # never dropped: the cycle keeps both
    leaks = arena.leaks()
    assert [leak.name for leak in leaks] == ["a", "b"]
    assert all(leak.reason == "cycle" and leak.cycle == ("a", "b", "a") for leak in leaks)
    assert leaks[0].allocated_at is not None and leaks[0].allocated_at.line > 0
    assert "held only by the reference cycle a -> b -> a" in str(leaks[0])


def test_a_weak_back_link_is_no_cycle() -> None:
    arena = Arena()
    with owned.scope(arena=arena):
        parent = Rc(Node("parent", RefCell(None), []))
        child = Rc(Node("child", RefCell(parent.downgrade()), []))
        with parent.value.next.borrow_mut() as link:
            link.value = child.clone()
    assert arena.leaks() == [] and arena.stats().live_blocks == 0


def test_a_value_hanging_from_a_cycle_is_reported_with_that_cycle() -> None:
    arena = Arena()
    with owned.scope(arena=arena):
        a = Rc(Node("a", RefCell(None), []))
        tail = Rc(Node("tail", RefCell(None), []))
        a.value.next.borrow_mut().value = [a.clone(), tail.clone()]
    leaks = arena.leaks()
    assert {leak.name: leak.cycle for leak in leaks} == {"a": ("a", "a"), "tail": ("a", "a")}


def test_leaks_visits_each_shared_block_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Linear in the live blocks, counted rather than timed: a chain of 200 `Rc`s (each held
    by the one before) and 10 leaked self-cycles; each box's parts are read at most twice
    (reachability, then the cycle walk and its second pass). A walk that restarted at every
    box -- quadratic -- reads them ~n times each."""
    from owned import _rc

    reads: dict[int, int] = {}
    original = _rc._Box._parts

    def counted(box: Any) -> list[Any]:
        reads[id(box)] = reads.get(id(box), 0) + 1
        return original(box)

    arena = Arena()
    with owned.scope(arena=arena):
        head: Any = None
        for _ in range(200):
            head = Rc([head])  # each new box owns the previous one's handle
        for _ in range(10):
            with owned.scope():
                x = Rc(Node("x", RefCell(None), []))
                x.value.next.borrow_mut().value = x.clone()
        monkeypatch.setattr(_rc._Box, "_parts", counted)
        leaks = arena.leaks()
        assert len(leaks) == 10 and all(leak.cycle == ("x", "x") for leak in leaks)
        assert len(reads) == 210 and max(reads.values()) <= 3


def test_rc_is_not_send() -> None:
    with owned.scope(arena=Arena()) as s:
        shared = Rc([1])
        before = snapshot(s.arena, shared)
        caught: list[BaseException] = []

        def use() -> None:
            for attempt in (lambda: shared.value, shared.clone, shared.drop, shared.downgrade):
                try:
                    attempt()
                except owned.NotSendError as error:
                    caught.append(error)

        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
        assert len(caught) == 4
        assert all(getattr(error, "code", None) == "E0277" for error in caught)
        assert "`Rc<list>` cannot be sent between threads safely" in str(caught[0])
        assert snapshot(s.arena, shared) == before


def test_refcell_borrows_follow_the_rules_with_refcells_own_messages() -> None:
    cell = RefCell([1])
    writer = cell.borrow_mut()
    before = repr(cell)
    with pytest.raises(owned.BorrowError) as shared_refused:
        cell.borrow()
    assert shared_refused.value.code is None
    assert "RefCell already mutably borrowed" in str(shared_refused.value)
    borrowed_at = shared_refused.value.borrowed_at
    assert borrowed_at is not None
    assert "writer = cell.borrow_mut()" in linecache.getline(borrowed_at.filename, borrowed_at.line)
    del shared_refused
    assert repr(cell) == before
    writer.value.append(2)
    del writer  # a guard ends with its object
    reader = cell.borrow()
    with pytest.raises(owned.BorrowMutError) as exclusive_refused:
        cell.borrow_mut()
    assert exclusive_refused.value.code is None
    assert "RefCell already borrowed" in str(exclusive_refused.value)
    assert reader.value == [1, 2]
    with pytest.raises(owned.BorrowMutError):
        cell.replace([9])
    assert reader.value == [1, 2]
    reader.release()
    assert cell.replace([3]) == [1, 2]
    assert cell.take() == [3] and cell.borrow().value == []
    assert "not borrowed" in repr(cell)


def test_a_refcell_borrow_ends_with_its_scope_and_dangles_after() -> None:
    cell = RefCell(5)
    with owned.scope():
        kept = cell.borrow_mut()
        kept.value = 6
    with pytest.raises(owned.DanglingRefError):
        kept.value  # noqa: B018
    assert cell.borrow().value == 6


def test_refcell_swap_and_into_inner() -> None:
    left, right = RefCell("l"), RefCell("r")
    left.swap(right)
    assert (left.borrow().value, right.borrow().value) == ("r", "l")
    guard = right.borrow()
    with pytest.raises(owned.BorrowMutError):
        left.swap(right)
    assert (left.borrow().value, guard.value) == ("r", "l")
    guard.release()
    assert left.into_inner() == "r"
    with pytest.raises(owned.UseAfterMoveError):
        left.borrow()


def test_a_handle_written_into_a_refcell_becomes_its_part_and_goes_with_it() -> None:
    log: list[str] = []
    with owned.scope(arena=Arena()) as s:
        holder: Rc[RefCell[list[Owned[Node]]]] = Rc(RefCell([]))
        with owned.scope():
            item = Owned(Node("item", RefCell(None), log))
            with holder.value.borrow_mut() as items:
                items.value = [item]
        assert log == [] and item.is_alive  # a part now, not the inner scope's
        holder.drop()
        assert log == ["drop item"] and s.arena.stats().live_blocks == 0


def test_a_refcell_in_a_shared_borrow_can_still_be_changed() -> None:
    with owned.scope(arena=Arena()):
        record = Owned({"hits": RefCell(0)})
        with record.borrow() as view:
            with view.value["hits"].borrow_mut() as hits:
                hits.value += 1
            assert view.value["hits"].borrow().value == 1


def test_cell_gets_sets_and_refuses_handles() -> None:
    counter = Cell(1)
    counter.set(2)
    assert counter.replace(5) == 2 and counter.get() == 5
    assert counter.take() == 5 and counter.get() == 0
    other = Cell(7)
    counter.swap(other)
    assert (counter.get(), other.get()) == (7, 0)
    with owned.scope(), pytest.raises(TypeError, match="RefCell"):
        counter.set([Owned(1)])  # type: ignore[arg-type]
    assert counter.get() == 7


@pytest.mark.parametrize("name", ["Rc", "Weak", "RefCell", "Cell"])
def test_public_types_are_final_slotted_and_report_module_owned(name: str) -> None:
    cls = getattr(owned, name)
    assert cls.__module__ == "owned" and "__slots__" in vars(cls)
    with pytest.raises(TypeError, match="cannot be subclassed"):
        type("Sub", (cls,), {})


def test_reprs_show_counts_and_state_and_never_raise() -> None:
    with owned.scope(arena=Arena()):
        a = Rc([1])
        b = a.clone()
        assert "strong=2 weak=0" in repr(a)
        b.drop()
        assert repr(b) == "<owned.Rc (dropped)>"
        unset = Rc.__new__(Rc)
        assert isinstance(repr(RefCell(object())), str) and isinstance(str(Cell(1)), str)
        assert repr(unset) == "<owned.Rc (not made by its constructor)>"
        assert "not made" in repr(RefCell.__new__(RefCell))
        assert "not made" in repr(owned.Mutex.__new__(owned.Mutex))
        assert "not made" in repr(owned.JoinHandle.__new__(owned.JoinHandle))


def test_the_runtime_annotations_are_precise_without_the_plugin(tmp_path: Path) -> None:
    from mypy import api

    program = tmp_path / "program.py"
    program.write_text(
        "from owned import Arc, Mutex, Rc, RefCell\n"
        "reveal_type(Rc([1]).clone())\n"
        "reveal_type(Rc([1]).borrow().value)\n"
        "reveal_type(Arc(Mutex(0)).value.lock())\n"
        "reveal_type(RefCell('s').borrow_mut())\n"
    )
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")  # no plugins
    out, _err, _status = api.run([str(program), "--config-file", str(config)])
    lines = out.splitlines()
    revealed = [line.split("Revealed type is ")[1] for line in lines if "Revealed" in line]
    assert revealed == [
        '"owned._rc.Rc[list[int]]"',
        '"list[int]"',
        '"owned._sync.MutexGuard[int]"',
        '"owned._borrows.RefMut[str]"',
    ]


def test_an_rc_parameter_moves_its_argument_in_and_a_ref_parameter_borrows_it() -> None:
    @owned.function
    def keep(shared: Rc[list[int]]) -> Rc[list[int]]:
        assert shared.strong_count == 2
        return shared

    @owned.function
    def total(shared: owned.Ref[list[int]]) -> int:
        return sum(shared.value)

    @owned.function
    def change(shared: owned.RefMut[list[int]]) -> None:
        shared.value = []

    with owned.scope(arena=Arena()) as s:
        first = Rc([1, 2])
        second = first.clone()
        kept = keep(second)
        assert not second.is_alive and kept.is_alive and kept.scope is s
        assert first.strong_count == 2
        assert total(first) == 3 and first.is_alive  # type: ignore[arg-type]
        before = snapshot(s.arena, first, kept)
        with pytest.raises(owned.BorrowMutError, match="E0596"):
            change(first)  # type: ignore[arg-type]
        assert snapshot(s.arena, first, kept) == before
        with pytest.raises(owned.UseAfterMoveError):
            keep(second)
        assert snapshot(s.arena, first, kept) == before
