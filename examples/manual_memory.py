"""Manual memory, C style: malloc, free, a use after free and a double free, both caught.

In C these two bugs are silent (or a crash much later); AddressSanitizer finds them at run
time. `owned`'s raw layer does the same: every pointer knows where it was allocated and freed.
"""

import owned


def main() -> None:
    heap = owned.Arena(capacity=16)
    years = heap.alloc([0, 0, 0, 0])  # int *years = malloc(4 * sizeof(int));
    years[0] = 2001
    print(f"allocated {years!r}; heap {heap.render()}")
    heap.free(years)  # free(years);
    print(f"freed it;  heap {heap.render()}")

    try:
        print(years[0])  # printf("%d\n", years[0]);  <- use after free
    except owned.UseAfterDropError as error:
        print(f"caught: {error}")

    try:
        heap.free(years)  # free(years);  <- double free
    except owned.DoubleDropError as error:
        print(f"caught: {error}")

    stats = heap.stats()
    print(f"allocs={stats.allocs} deallocs={stats.deallocs} live_blocks={stats.live_blocks}")


if __name__ == "__main__":
    main()
