"""An inner block frees its value early: the moment the block ends, not at a GC's leisure."""

import owned
from owned import Owned


def main() -> None:
    heap = owned.Arena(capacity=8)
    with owned.scope("main", arena=heap):
        years = Owned([2001, 2002, 2003, 2004])
        print(f"years lives at @0x{years.address:x}:        heap {heap.render()}")
        with owned.scope("inner"):
            decades = Owned([1990, 2000, 2010])
            print(f"inner block owns decades too:  heap {heap.render()}")
        print(f"inner block ended, decades freed: heap {heap.render()}")
        print(f"decades.is_alive = {decades.is_alive}; years.value = {years.value}")
    stats = heap.stats()
    print(f"main ended: live_blocks={stats.live_blocks}, peak_cells={stats.peak_cells}")


if __name__ == "__main__":
    main()
