"""How many cells a value occupies."""


def cells_for(value: object, size: object, what: str) -> int:
    """The cells a value occupies: `size` if given, else `max(1, len(value))` for sized values."""
    if size is None:
        if hasattr(type(value), "__len__"):
            return len(value) or 1  # type: ignore[arg-type]
        return 1
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(
            f"{what}(size=...) expects a number of cells (int), got {type(size).__name__}"
        )
    if size <= 0:
        raise ValueError(f"{what}(size=...) expects a number of cells >= 1, got {size}")
    return size
