"""Version 2: `arena.leaks()` finds the values no program can use any more, and the leak
checks (`owned.testing.no_leaks()`, the pytest plugin) report them."""

from __future__ import annotations

import pytest

import owned
from owned import Arena, Leak, Owned
from owned.testing import LeakError, no_leaks

pytest_plugins = ["pytester"]


class Cache:
    """The README's leak: a cache that forgets what it evicts (the handle stays owned by the
    scope that made it, unusable, until that scope exits)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: dict[str, Owned[bytearray]] = {}

    def put(self, key: str, value: Owned[bytearray]) -> None:
        if len(self.entries) == self.capacity:
            self.entries.pop(next(iter(self.entries)))  # evicted, but never dropped
        self.entries[key] = value


def test_a_handle_taken_out_of_a_container_and_forgotten_is_a_leak() -> None:
    arena = Arena()
    with owned.scope(arena=arena):
        cache = Cache(capacity=2)
        for key in "abc":
            cache.put(key, Owned(bytearray(16)))
        found = arena.leaks()
        assert [type(leak) for leak in found] == [Leak]
        (leak,) = found
        assert (leak.reason, leak.type_name, leak.size, leak.address) == (
            "forgotten",
            "bytearray",
            16,
            0,
        )
        assert leak.cycle == ()
        assert "nothing refers to its handle but its owner" in str(leak)
        del leak, found  # a Leak holds its handle: while it lives, the handle is not forgotten
        kept = Owned([1])  # named by a variable: no leak
        assert [found.address for found in arena.leaks()] == [0]
        assert kept.is_alive


def test_no_leaks_reports_a_forgotten_value(owned_scope: owned.Scope) -> None:
    with pytest.raises(LeakError) as failed, no_leaks("cache"):
        cache = Cache(capacity=1)
        cache.put("a", Owned(bytearray(4)))
        cache.put("b", Owned(bytearray(4)))
    assert [leak.reason for leak in failed.value.leaks] == ["forgotten"]
    assert str(failed.value).startswith(
        "cache left 1 value that no program can use any more (arena.leaks()):\n"
        "  a value: bytearray, 4 cells @0x0, allocated at tests/test_leaks.py:"
    )
    assert failed.value.leaked == []  # the scope's exit dropped it, too late


def test_no_leaks_passes_for_values_its_variables_still_name() -> None:
    with no_leaks():
        cache = Cache(capacity=2)
        cache.put("a", Owned(bytearray(4)))
        numbers = Owned([1, 2])
        assert numbers.value == [1, 2]


def test_the_pytest_leak_check_reports_the_readme_cache(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from owned import Owned

        class Cache:
            def __init__(self, capacity):
                self.capacity, self.entries = capacity, {}

            def put(self, key, value):
                if len(self.entries) == self.capacity:
                    self.entries.pop(next(iter(self.entries)))
                self.entries[key] = value

        @pytest.mark.owned_leak_check
        def test_cache_frees_what_it_evicts(owned_arena):
            cache = Cache(capacity=2)
            for key in "abc":
                cache.put(key, Owned(bytearray(16)))

        @pytest.mark.owned_leak_check
        def test_named_values_are_no_leak(owned_arena):
            cache = Cache(capacity=2)
            kept = Owned(bytearray(16))
            cache.put("a", Owned(bytearray(16)))
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "owned: test_cache_frees_what_it_evicts left 1 value that no program can use any "
            "more (arena.leaks()):",
            "  a value: bytearray, 16 cells @0x0, allocated at *test_the_pytest_leak_check*.py:17"
            " (test_cache_frees_what_it_evicts); nothing refers to its handle but its owner, "
            "which keeps it until it is dropped",
        ]
    )
