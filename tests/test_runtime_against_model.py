"""The runtime against a plain-Python model: random ownership programs, invariants every step."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

import owned
from owned import Arena, Owned, OwnershipError


@dataclass
class ModelValue:
    """What the model knows of one handle."""

    size: int
    depth: int  # index of the owning scope in the stack (0: the machine's base scope)
    state: str = "alive"  # alive, moved, dropped
    shared: int = 0
    mut: bool = False
    address: int = -1
    in_main_arena: bool = True

    @property
    def borrowed(self) -> bool:
        return self.shared > 0 or self.mut


@dataclass
class ModelBorrow:
    owner: int
    mutable: bool
    depth: int
    active: bool = True


@dataclass
class Model:
    values: dict[int, ModelValue] = field(default_factory=dict)
    borrows: dict[int, ModelBorrow] = field(default_factory=dict)


class OwnershipMachine(RuleBasedStateMachine):
    """Drives alloc / move / borrow / release / drop / clone / scopes and checks the arena."""

    handles = Bundle("handles")
    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        self.arena = Arena(capacity=64)
        self.spare = Arena()
        self.model = Model()
        self.scopes: list[owned.Scope] = [owned.scope("base", arena=self.arena)]
        self.scopes[0].__enter__()
        self.allocs = 0
        self.deallocs = 0

    def _expect_refusal(self, operation: Any, error: type[OwnershipError]) -> None:
        before = self.arena.stats()
        with pytest.raises(error):
            operation()
        assert self.arena.stats() == before

    def _add(self, handle: Owned[Any], size: int) -> Owned[Any]:
        self.model.values[id(handle)] = ModelValue(
            size=size,
            depth=len(self.scopes) - 1,
            address=handle.address,
            in_main_arena=handle.arena is self.arena,
        )
        return handle

    def _fits(self, size: int) -> bool:
        return self.arena.stats().largest_free >= size

    @rule(target=handles, size=st.integers(1, 8))
    def allocate(self, size: int) -> Owned[Any]:
        if not self._fits(size):
            self._expect_refusal(lambda: Owned(list(range(size))), owned.OutOfMemoryError)
            return self._add(Owned([0], arena=self.spare), 1)  # a bundle entry all the same
        handle = self._add(Owned(list(range(size))), size)
        self.allocs += 1
        return handle

    def _refusal_for_use(self, value: ModelValue) -> type[OwnershipError] | None:
        if value.state == "moved":
            return owned.UseAfterMoveError
        if value.state == "dropped":
            return owned.UseAfterDropError
        return None

    @rule(target=handles, handle=handles)
    def move(self, handle: Owned[Any]) -> Owned[Any]:
        value = self.model.values[id(handle)]
        refusal = self._refusal_for_use(value) or (
            owned.MoveWhileBorrowedError if value.borrowed else None
        )
        if refusal is not None:
            self._expect_refusal(handle.move, refusal)
            return handle
        moved = handle.move()
        value.state = "moved"
        return self._add(moved, value.size)

    @rule(handle=handles)
    def drop(self, handle: Owned[Any]) -> None:
        value = self.model.values[id(handle)]
        if value.state == "dropped":
            self._expect_refusal(handle.drop, owned.DoubleDropError)
        elif value.state == "moved":
            self._expect_refusal(handle.drop, owned.UseAfterMoveError)
        elif value.borrowed:
            self._expect_refusal(handle.drop, owned.MoveWhileBorrowedError)
        else:
            handle.drop()
            value.state = "dropped"
            self.deallocs += value.in_main_arena

    @rule(handle=handles)
    def into_inner(self, handle: Owned[Any]) -> None:
        value = self.model.values[id(handle)]
        refusal = self._refusal_for_use(value) or (
            owned.MoveWhileBorrowedError if value.borrowed else None
        )
        if refusal is not None:
            self._expect_refusal(handle.into_inner, refusal)
        else:
            assert handle.into_inner() == list(range(value.size)) or value.size == 1
            value.state = "moved"
            self.deallocs += value.in_main_arena

    @rule(target=handles, handle=handles)
    def clone(self, handle: Owned[Any]) -> Owned[Any]:
        value = self.model.values[id(handle)]
        refusal = self._refusal_for_use(value) or (owned.BorrowError if value.mut else None)
        if refusal is not None:
            self._expect_refusal(handle.clone, refusal)
            return handle
        if value.in_main_arena and not self._fits(value.size):
            self._expect_refusal(handle.clone, owned.OutOfMemoryError)
            return handle
        self.allocs += value.in_main_arena
        return self._add(handle.clone(), value.size)

    @rule(target=refs, handle=handles, mutable=st.booleans())
    def borrow(self, handle: Owned[Any], mutable: bool) -> Any:
        value = self.model.values[id(handle)]
        refusal = self._refusal_for_use(value)
        if refusal is None and value.mut:
            refusal = owned.BorrowMutError if mutable else owned.BorrowError
        if refusal is None and mutable and value.shared:
            refusal = owned.BorrowMutError
        operation = handle.borrow_mut if mutable else handle.borrow
        if refusal is not None:
            self._expect_refusal(operation, refusal)
            return None
        ref = operation()
        if mutable:
            value.mut = True
        else:
            value.shared += 1
        self.model.borrows[id(ref)] = ModelBorrow(id(handle), mutable, len(self.scopes) - 1)
        return ref

    def _end_borrow(self, borrow: ModelBorrow) -> None:
        if borrow.active:
            borrow.active = False
            owner = self.model.values[borrow.owner]
            if owner.state == "alive":
                if borrow.mutable:
                    owner.mut = False
                else:
                    owner.shared -= 1

    @rule(ref=consumes(refs))
    def release(self, ref: Any) -> None:
        if ref is None:
            return
        ref.release()
        self._end_borrow(self.model.borrows[id(ref)])

    @rule(ref=refs)
    def read_through_borrow(self, ref: Any) -> None:
        if ref is None:
            return
        borrow = self.model.borrows[id(ref)]
        owner = self.model.values[borrow.owner]
        if borrow.active and owner.state == "alive":
            assert len(ref.value) == owner.size or owner.size == 1
        else:
            with pytest.raises(owned.DanglingRefError):
                _ = ref.value

    @precondition(lambda self: len(self.scopes) < 5)
    @rule()
    def enter_scope(self) -> None:
        block = owned.scope()
        block.__enter__()
        self.scopes.append(block)

    @precondition(lambda self: len(self.scopes) > 1)
    @rule()
    def exit_scope(self) -> None:
        depth = len(self.scopes) - 1
        self._exit(self.scopes.pop(), None)
        for borrow in self.model.borrows.values():
            if borrow.depth == depth:
                self._end_borrow(borrow)
        for value in self.model.values.values():
            if value.depth == depth and value.state == "alive":
                value.state = "dropped"  # also when borrowed from elsewhere: those dangle
                value.shared, value.mut = 0, False
                self.deallocs += value.in_main_arena
        for borrow in self.model.borrows.values():
            if self.model.values[borrow.owner].state != "alive":
                borrow.active = False

    @staticmethod
    def _exit(block: owned.Scope, traceback: TracebackType | None) -> None:
        block.__exit__(None, None, traceback)

    @invariant()
    def arena_matches_the_model(self) -> None:
        alive = sorted(
            (v.address, v.size)
            for v in self.model.values.values()
            if v.state == "alive" and v.in_main_arena
        )
        blocks = sorted(self.arena.blocks(), key=lambda block: block[0])
        assert [(address, size) for address, size, _ in blocks] == alive
        stats = self.arena.stats()
        assert stats.live_blocks == len(alive)
        assert stats.live_cells == sum(size for _, size in alive)
        assert stats.allocs == self.allocs
        assert stats.deallocs == self.deallocs
        assert stats.free_cells + stats.live_cells == 64
        assert self.arena.render().count("#") == stats.live_cells
        for (start, size), (next_start, _) in itertools.pairwise(alive):
            assert start + size <= next_start  # blocks never overlap
        assert all(isinstance(record, Owned) and record.is_alive for _, _, record in blocks)

    def teardown(self) -> None:
        while self.scopes:
            self._exit(self.scopes.pop(), None)


# The number of examples comes from the loaded profile (tests/conftest.py): `thorough` for the
# `nox -s thorough` session, a quick one for a contributor's run.
OwnershipMachine.TestCase.settings = settings(settings.default, stateful_step_count=30)
test_ownership_machine = OwnershipMachine.TestCase
