"""`get_years` builds a vector and returns ownership of it to its caller."""

import owned
from owned import Owned


@owned.function
def get_years() -> Owned[list[int]]:
    years = Owned([2001, 2002, 2003, 2004])  # allocated in get_years' scope...
    print(f"get_years allocated {years!r}")
    return years  # ...and handed to the caller instead of being dropped


def main() -> None:
    heap = owned.Arena()
    with owned.scope("main", arena=heap) as main_scope:
        years = get_years()
        print(f"main now owns it: {years.value} (owner: {years.scope.name})")
        print(f"live blocks while main runs: {heap.stats().live_blocks}")
        assert years.scope is main_scope
    print(f"after main: live blocks {heap.stats().live_blocks}")


if __name__ == "__main__":
    main()
