"""The arena's index of free extents: lowest-address first fit in O(log n).

Every allocation asks where the lowest address is at which ``size`` cells are
free, and every deallocation must merge the freed range with the free space
that touches it. A list scanned from the left answers both in O(n) in the
number of free extents, and a bitmap costs memory and time per cell (one
10**7-cell block would be 10**7 bits to scan). Instead each free extent is one
node of a treap ordered by address, and each node also records the largest
extent in its subtree: the leftmost extent that fits is then one descent from
the root, steered by those maxima. Two dicts, keyed by an extent's first cell
and by the cell just past it, find the neighbours a freed range merges with
in O(1), so two free extents are never adjacent.

The treap's priorities come from a seeded generator, so a sequence of calls
always builds the same tree (reproducible benchmarks and test failures) while
the expected depth stays O(log n) for any sequence that does not look at them.
The index is not thread-safe: the arena calls it inside its operations, which no other
thread interleaves (see `_atomic`). Compiled, the nodes and the descent are C (`_extents.pxd`).
"""

# The tree walks compare and assign instead of calling max(): a call per level
# on the allocation hot path cost ~20% of a random take+give_back pair.
# ruff: noqa: PLR1730

from collections.abc import Callable, Iterator
from random import Random

try:
    import cython
except ImportError:  # interpreted, without Cython installed
    from . import _cython_shim as cython

# Any fixed seed does; fixing it makes the tree shape a function of the calls alone.
_PRIORITY_SEED = 0x5EED_E87E


class _Extent:
    """One free extent, and the treap node that orders it among the others.

    ``largest`` is the size of the largest extent in the subtree rooted here;
    it is what lets ``take`` skip every subtree too small to hold a block.
    """

    __slots__ = ("largest", "left", "parent", "priority", "right", "size", "start")

    start: int
    size: int
    largest: int
    priority: float
    left: "_Extent"
    right: "_Extent"
    parent: "_Extent"


# The one empty subtree, shared by every index and never written to. Its
# ``largest`` of 0 fits no request, so the first-fit descent needs no None
# tests; its priority above any random() result stops rotations at the root.
# Its links point to itself, so that no walk ever follows a missing link (compiled,
# that would read through a null pointer); `_validate` checks it is never written.
_EMPTY = _Extent.__new__(_Extent)
_EMPTY.start = _EMPTY.size = _EMPTY.largest = 0
_EMPTY.priority = 2.0
_EMPTY.left = _EMPTY.right = _EMPTY.parent = _EMPTY


class FreeExtents:
    """The free extents of an arena of cells, for first-fit allocation with coalescing.

    With a fixed ``capacity`` the span is ``[0, capacity)`` and ``take``
    returns None when no free extent fits. With ``capacity=None`` the span
    ``[0, end)`` ends with the last reserved block: a request that fits nowhere
    inside it is placed at ``end``, which moves up, and giving back the last
    block moves ``end`` down past it and past any free extent before it, so no
    free extent ever touches the end of a growable span.
    """

    __slots__ = (
        "_by_end",
        "_by_start",
        "_end",
        "_free_cells",
        "_grows",
        "_priority",
        "_root",
        "_tombs",
    )

    def __init__(self, capacity: int | None) -> None:
        """Index an arena of ``capacity`` free cells, or an empty growable one if None.

        ``capacity`` is validated by the caller: an int >= 0, or None.
        """
        self._root = _EMPTY
        self._by_start: dict[int, _Extent] = {}
        self._by_end: dict[int, _Extent] = {}
        # Nodes of extents a take used up exactly, kept in the tree with no cells while their
        # block is reserved, by address: freeing that block alone revives one in place, where
        # a new node would be inserted and rotated. A few are kept, the oldest go first.
        self._tombs: dict[int, _Extent] = {}
        self._grows = capacity is None
        self._end = capacity or 0
        self._free_cells = self._end
        self._priority: Callable[[], float] = Random(_PRIORITY_SEED).random
        if capacity:
            self._attach(0, capacity)

    @property
    def end(self) -> int:
        """Cells spanned so far: a fixed arena's capacity, a growable one's high-water mark."""
        return self._end

    @property
    def free_cells(self) -> int:
        """Free cells inside the span."""
        return self._free_cells

    @property
    def largest_free(self) -> int:
        """Size of the largest free extent inside the span, 0 if there is none."""
        return self._root.largest

    def __len__(self) -> int:
        """Number of free extents, which are maximal: no two of them touch."""
        return len(self._by_start)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        """Yield each free extent as ``(address, size)``, in address order.

        The index must not change while the iterator is in use.
        """
        node = self._root
        if node is _EMPTY:
            return
        while node.left is not _EMPTY:
            node = node.left
        while node is not _EMPTY:
            if node.size:  # not a tomb
                yield node.start, node.size
            if node.right is not _EMPTY:
                node = node.right
                while node.left is not _EMPTY:
                    node = node.left
            else:
                # Climb out of every subtree we finished from its right side;
                # the first ancestor reached from the left comes next.
                child, node = node, node.parent
                while node is not _EMPTY and node.right is child:
                    child, node = node, node.parent

    def _height(self) -> int:
        """Nodes on the longest path down from the root (for tests of the balance)."""
        deepest = 0
        pending = [(self._root, 1)] if self._root is not _EMPTY else []
        while pending:
            node, depth = pending.pop()
            deepest = max(deepest, depth)
            for child in (node.left, node.right):
                if child is not _EMPTY:
                    pending.append((child, depth + 1))
        return deepest

    def _validate(self) -> None:
        """Check the treap, its maxima, its links and both dicts against each other."""
        root = self._root
        pending = []
        if root is not _EMPTY:
            assert root.parent is _EMPTY, "the root has a parent"
            pending.append(root)
        nodes = tombs = 0
        starts = []
        while pending:
            node = pending.pop()
            nodes += 1
            assert node.largest == max(node.size, node.left.largest, node.right.largest)
            if node.size == 0:  # a used-up extent's node, kept while its block is reserved
                assert self._tombs[node.start] is node, f"tomb at {node.start} not listed"
                tombs += 1
            else:
                assert self._by_start[node.start] is node, f"extent at {node.start} not listed"
                assert self._by_end[node.start + node.size] is node
            for child in (node.left, node.right):
                if child is not _EMPTY:
                    assert child.parent is node, "a child does not point at its parent"
                    assert child.priority <= node.priority, "heap order broken"
                    pending.append(child)
        assert len(self._by_start) == len(self._by_end) == nodes - tombs
        assert len(self._tombs) == tombs
        assert not (self._grows and self._end in self._by_end), "a free extent ends the span"
        in_order: list[int] = []
        stack: list[_Extent] = []
        node = root
        while stack or node is not _EMPTY:
            while node is not _EMPTY:
                stack.append(node)
                node = node.left
            node = stack.pop()
            in_order.append(node.start)
            node = node.right
        starts = in_order
        assert starts == sorted(starts), "address order broken"  # tombs included
        # The shared empty subtree must never be written to.
        empty = _EMPTY
        assert (empty.start, empty.size, empty.largest, empty.priority) == (0, 0, 0, 2.0)
        assert empty.left is empty and empty.right is empty and empty.parent is empty

    def __repr__(self) -> str:
        """Summarise the index for debugging without listing every extent."""
        return (
            f"<FreeExtents end={self._end} free_cells={self._free_cells} "
            f"extents={len(self._by_start)} largest_free={self._root.largest}>"
        )

    def take(self, size: int) -> int | None:
        """Reserve ``size`` cells at the lowest address where they are all free.

        Args:
            size: cells to reserve, >= 1 (the caller validates it).

        Returns:
            The address of the first reserved cell, or None if a fixed-capacity
            arena has no free extent of ``size`` cells; nothing changes then.
        """
        address = self._take(size)
        return None if address < 0 else address

    def _take(self, size: int) -> int:
        """`take`, answering -1 instead of None (the arena's hot path)."""
        node = self._root
        if node.largest < size:
            if not self._grows:
                return -1
            # No free extent touches the end of a growing span (give_back keeps it so): the
            # block goes at the end.
            end = self._end
            self._end = end + size
            return end
        # Everything in a left subtree lies at lower addresses, so go left
        # whenever the subtree there has room; the root promised a fit somewhere.
        while True:
            left = node.left
            if left.largest >= size:
                node = left
            elif node.size >= size:
                break
            else:
                node = node.right
        address = node.start
        remaining = node.size - size
        self._free_cells -= size
        if not remaining:
            del self._by_start[address]
            del self._by_end[address + size]
            tombs = self._tombs
            if address in tombs:
                self._detach(node)
                return address
            if len(tombs) >= _TOMBS_KEPT:
                self._detach(tombs.pop(next(iter(tombs))))
            tombs[address] = node
            node.size = 0
            _refresh_largest(node)
            return address
        # Shrinking an extent from its left end keeps its place in address
        # order, so the node is updated in place instead of being reinserted.
        by_start = self._by_start
        del by_start[address]
        by_start[address + size] = node
        node.start = address + size
        node.size = remaining
        if node.largest == remaining + size:
            # The old size was its subtree's largest, perhaps its ancestors' too.
            _refresh_largest(node)
        return address

    def give_back(self, address: int, size: int) -> None:
        """Free ``size`` cells at ``address``, merging them with free neighbours.

        The caller guarantees that ``[address, address + size)`` is currently
        reserved and that ``size`` >= 1; this is not checked.
        """
        by_start = self._by_start
        by_end = self._by_end
        end = address + size
        tomb = self._tombs.pop(address, None) if self._tombs else None
        if tomb is not None and (
            (self._grows and end == self._end) or address in by_end or end in by_start
        ):
            self._detach(tomb)  # the block does not come back alone: its node goes
            tomb = None
        if end == self._end and self._grows:
            if by_end and address in by_end:  # a free extent just below: the span ends before it
                self._shrink_to(address)
            else:
                self._end = address  # the common case of _shrink_to, inlined
            return
        self._free_cells += size
        left = by_end.get(address)
        right = by_start.get(end)
        if left is not None:
            del by_end[address]
            if right is not None:
                # Unlink the right neighbour before growing the left one, so
                # the tree's maxima are consistent while the right one goes.
                del by_start[end]
                size += right.size
                end += right.size
                self._detach(right)
            by_end[end] = left
            grown = left
        elif right is not None:
            # Moving the start down cannot reorder it: the cells between the
            # right neighbour and the extent before it were all reserved.
            del by_start[end]
            by_start[address] = right
            right.start = address
            grown = right
        elif tomb is not None:
            by_start[address] = by_end[end] = grown = tomb
        else:
            self._attach(address, size)
            return
        size += grown.size
        grown.size = size
        while grown is not _EMPTY and grown.largest < size:
            grown.largest = size
            grown = grown.parent

    def _shrink_to(self, address: int) -> None:
        """End a growable span at ``address``, and before a free extent that would touch it.

        Freeing the last block of a growable arena gives its cells back to the space past
        the end rather than listing them, as a heap returns its top to the system: a block
        made and dropped at the top (a scope's values) then costs no tree work at all.
        """
        tail = self._by_end.get(address)
        if tail is not None:
            del self._by_end[address]
            del self._by_start[tail.start]
            self._free_cells -= tail.size
            self._detach(tail)
            address = tail.start
        self._end = address

    def _attach(self, start: int, size: int) -> None:
        """Add a free extent that touches no other one to the dicts and the tree."""
        node = _Extent.__new__(_Extent)
        node.start = start
        node.size = node.largest = size
        node.priority = priority = self._priority()
        node.left = node.right = _EMPTY
        self._by_start[start] = node
        self._by_end[start + size] = node
        parent = self._root
        if parent is _EMPTY:
            node.parent = _EMPTY
            self._root = node
            return
        # Descend by address to the free child slot, raising on the way the
        # maxima of the subtrees the new extent is about to join.
        while True:
            if parent.largest < size:
                parent.largest = size
            if start < parent.start:
                if parent.left is _EMPTY:
                    parent.left = node
                    break
                parent = parent.left
            else:
                if parent.right is _EMPTY:
                    parent.right = node
                    break
                parent = parent.right
        node.parent = parent
        # Restore heap order on priorities; expected O(1) rotations.
        while node.parent.priority < priority:
            self._rotate_up(node)

    def _detach(self, node: _Extent) -> None:
        """Remove an extent's node from the tree (the caller updates the dicts)."""
        # Rotate it below its higher-priority child until it has at most one
        # child, which then takes its place; expected O(1) rotations.
        while True:
            left = node.left
            right = node.right
            if left is _EMPTY:
                child = right
                break
            if right is _EMPTY:
                child = left
                break
            self._rotate_up(left if left.priority > right.priority else right)
        parent = node.parent
        if child is not _EMPTY:
            child.parent = parent
        if parent is _EMPTY:
            self._root = child
        else:
            if parent.left is node:
                parent.left = child
            else:
                parent.right = child
            _refresh_largest(parent)

    def _rotate_up(self, node: _Extent) -> None:
        """Swap a node with its parent, keeping address order and the maxima."""
        parent = node.parent
        grandparent = parent.parent
        if parent.left is node:
            inner = node.right
            parent.left = inner
            node.right = parent
        else:
            inner = node.left
            parent.right = inner
            node.left = parent
        if inner is not _EMPTY:
            inner.parent = parent
        parent.parent = node
        node.parent = grandparent
        if grandparent is _EMPTY:
            self._root = node
        elif grandparent.left is parent:
            grandparent.left = node
        else:
            grandparent.right = node
        # The node now roots exactly the extents its parent rooted.
        node.largest = parent.largest
        largest = parent.size
        if parent.left.largest > largest:
            largest = parent.left.largest
        if parent.right.largest > largest:
            largest = parent.right.largest
        parent.largest = largest


_TOMBS_KEPT = 16


def _refresh_largest(node: _Extent) -> None:
    """Recompute subtree maxima from ``node`` up, after an extent in it shrank or left.

    It stops at the first subtree whose maximum did not change, since every
    maximum above depends on the tree only through that one.
    """
    while node is not _EMPTY:
        largest = node.size
        if node.left.largest > largest:
            largest = node.left.largest
        if node.right.largest > largest:
            largest = node.right.largest
        if largest == node.largest:
            return
        node.largest = largest
        node = node.parent


if not cython.compiled:  # interpreted, a KeyboardInterrupt waits until the operation is over
    from ._atomic import protect_module

    protect_module(globals())
