# These tests commit the ownership bugs on purpose, to test the errors the runtime raises.
# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
"""Containers of handles against a plain model: adoption, partial moves, drops of owners,
borrows of owners, `owned.take`. After every step the model's tree and the arena's live
blocks agree, and no handle is both a part and owned by a scope.

Mutation caught: `_handles.finish_drop` not dropping parts (the model's subtree dies, the
arena keeps its blocks); `_commit_exchange` not handing the old parts to the scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

import owned
from owned import Arena, MoveOutOfBorrowError, Owned


@dataclass
class Node:
    """The model of one handle: who owns it (None: the scope), and whether it lives."""

    handle: Owned[Any]
    owner: int | None = None  # id() of the container handle it is a part of
    alive: bool = True
    children: list[int] = field(default_factory=list)
    shared: int = 0  # active shared borrows of it


class PartsMachine(RuleBasedStateMachine):
    handles = Bundle("handles")
    refs = Bundle("refs")

    def __init__(self) -> None:
        super().__init__()
        self.arena = Arena()
        self.scope = owned.scope("parts", arena=self.arena)
        self.scope.__enter__()
        self.nodes: dict[int, Node] = {}
        self.loans: list[tuple[Any, int]] = []  # (Ref, id of the handle), active ones

    # -- the model's questions -----------------------------------------------------------------

    def _ancestors(self, key: int) -> list[int]:
        found = []
        owner = self.nodes[key].owner
        while owner is not None:
            found.append(owner)
            owner = self.nodes[owner].owner
        return found

    def _behind_shared(self, key: int) -> bool:
        return any(self.nodes[a].shared for a in self._ancestors(key))

    def _kill(self, key: int) -> None:
        node = self.nodes[key]
        node.alive = False
        for child in node.children:
            if self.nodes[child].alive and self.nodes[child].owner == key:
                self._kill(child)

    def _unchanged(self) -> tuple[Any, ...]:
        return (self.arena.stats(), self.arena.render(), tuple(map(repr, self._live())))

    def _live(self) -> list[Owned[Any]]:
        return [node.handle for node in self.nodes.values() if node.alive]

    def _add(self, handle: Owned[Any], owner: int | None = None) -> Owned[Any]:
        self.nodes[id(handle)] = Node(handle, owner)
        return handle

    # -- rules ---------------------------------------------------------------------------------

    @rule(target=handles, number=st.integers(0, 9))
    def leaf(self, number: int) -> Owned[Any]:
        return self._add(Owned(number))

    @rule(target=handles, items=st.lists(handles, min_size=1, max_size=3))
    def adopt(self, items: list[Owned[Any]]) -> Owned[Any]:
        keys = [id(item) for item in items]
        live_keys = [key for key in keys if self.nodes[key].alive]
        live = [self.nodes[key] for key in live_keys]
        twice = len(set(live_keys)) < len(live_keys)  # dead handles are left as they are
        refused = (
            twice
            or any(node.owner is not None for node in live)
            or any(node.shared for node in live)
        )
        if refused:
            before = self._unchanged()
            with pytest.raises(owned.OwnershipError):
                Owned(list(items))
            assert self._unchanged() == before
            return self._add(Owned(-1))  # a bundle entry all the same
        container = Owned(list(items))
        key = id(container)
        self._add(container)
        for node in live:
            node.owner = key
            self.nodes[key].children.append(id(node.handle))
        return container

    @rule(target=handles, handle=handles)
    def move_part_out(self, handle: Owned[Any]) -> Owned[Any]:
        node = self.nodes[id(handle)]
        if not node.alive or node.shared or node.owner is None:
            return self._add(Owned(-2))
        if self._behind_shared(id(handle)):
            before = self._unchanged()
            with pytest.raises(MoveOutOfBorrowError):
                handle.move()
            assert self._unchanged() == before
            return self._add(Owned(-3))
        moved = handle.move()
        self._add(moved)
        self.nodes[id(moved)].children = node.children
        for child in node.children:
            if self.nodes[child].owner == id(handle):
                self.nodes[child].owner = id(moved)
        node.alive = False
        return moved

    @rule(handle=handles)
    def drop(self, handle: Owned[Any]) -> None:
        node = self.nodes[id(handle)]
        if not node.alive:
            with pytest.raises(owned.OwnershipError):
                handle.drop()
            return
        if node.shared or self._behind_shared(id(handle)):
            before = self._unchanged()
            with pytest.raises(owned.OwnershipError):
                handle.drop()
            assert self._unchanged() == before
            return
        handle.drop()
        self._kill(id(handle))

    @rule(target=refs, handle=handles)
    def borrow(self, handle: Owned[Any]) -> Any:
        node = self.nodes[id(handle)]
        if not node.alive:
            with pytest.raises(owned.OwnershipError):
                handle.borrow()
            return None
        ref = handle.borrow()
        node.shared += 1
        self.loans.append((ref, id(handle)))
        return ref

    @rule()
    def release_oldest(self) -> None:
        if self.loans:
            ref, key = self.loans.pop(0)
            ref.release()
            self.nodes[key].shared -= 1

    @rule(handle=handles)
    def take_children(self, handle: Owned[Any]) -> None:
        node = self.nodes[id(handle)]
        if not node.alive or not isinstance(handle.value, list) or not node.children:
            return
        if node.shared or self._behind_shared(id(handle)):
            return
        old = owned.take(handle)
        assert isinstance(old, list)
        for child in node.children:
            child_node = self.nodes[child]
            if child_node.alive and child_node.owner == id(handle):
                child_node.owner = None  # the old value's parts are the scope's now
        node.children = []

    # -- what must hold after every step ------------------------------------------------------

    @invariant()
    def tree_and_arena_agree(self) -> None:
        live = {id(node.handle) for node in self.nodes.values() if node.alive}
        blocks = {id(record) for _, _, record in self.arena.blocks()}
        assert blocks == live
        assert self.arena.stats().live_blocks == len(live)
        for key in live:
            node = self.nodes[key]
            expected = self.scope if node.owner is None else self.nodes[node.owner].handle
            assert node.handle.owner is expected
        for node in self.nodes.values():
            assert node.handle.is_alive == node.alive

    @invariant()
    def no_handle_is_both_a_part_and_a_scopes(self) -> None:
        from owned._census import _owned_handles

        seen = [id(handle) for handle in _owned_handles() if handle.arena is self.arena]
        assert len(seen) == len(set(seen))

    def teardown(self) -> None:
        for ref, _ in self.loans:
            ref.release()
        self.scope.__exit__(None, None, None)
        assert self.arena.stats().live_blocks == 0


PartsMachine.TestCase.settings = settings(settings.default, stateful_step_count=30)
test_parts_machine = PartsMachine.TestCase
