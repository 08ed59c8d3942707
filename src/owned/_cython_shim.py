"""What the core needs of the `cython` module when it runs interpreted and Cython is absent.

The core's modules are Cython's "pure Python mode": plain Python that `import cython` to ask
`cython.compiled`, with their C types in `.pxd` files beside them. Compiled, the import is
resolved at build time; interpreted without Cython installed, this module answers instead.
"""

compiled = False
Py_ssize_t = int
bint = bool


def locals(**types: object) -> object:
    """`@cython.locals(...)`: the C types of a function's locals (nothing, interpreted)."""
    return lambda function: function


def boundscheck(on: bool) -> object:
    """`@cython.boundscheck(False)`: unchecked indexing, compiled (nothing, interpreted)."""
    return lambda function: function


wraparound = boundscheck  # `@cython.wraparound(False)`: no negative indices, compiled
freelist = boundscheck  # `@cython.freelist(N)`: objects kept for reuse, compiled


def cclass(cls: type) -> type:
    """`@cython.cclass`: a C class (its layout in the `.pxd`), compiled."""
    return cls
