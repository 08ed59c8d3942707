"""`clone()` is an explicit deep copy, and it costs memory: the cells double."""

import owned
from owned import Owned


def main() -> None:
    heap = owned.Arena()
    with owned.scope(arena=heap):
        years = Owned(list(range(2001, 2009)))
        print(f"one vector:   {heap.stats().live_cells} cells {heap.render()}")
        backup = years.clone()
        print(f"after clone:  {heap.stats().live_cells} cells {heap.render()}")
        backup.value.append(2009)
        print(f"the clone is independent: {len(years.value)} vs {len(backup.value)} years")
    print(f"both dropped at the end of the block: {heap.stats().live_cells} cells")


if __name__ == "__main__":
    main()
