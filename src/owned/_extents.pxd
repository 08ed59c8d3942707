# C layout of the free-extent index (see _extents.py, which this file types).
cimport cython

@cython.final
cdef class _Extent:
    cdef Py_ssize_t start
    cdef Py_ssize_t size
    cdef Py_ssize_t largest
    cdef double priority
    cdef _Extent left
    cdef _Extent right
    cdef _Extent parent

cdef _Extent _EMPTY
cdef Py_ssize_t _TOMBS_KEPT

@cython.final
cdef class FreeExtents:
    cdef dict _by_end
    cdef dict _by_start
    cdef Py_ssize_t _end
    cdef Py_ssize_t _free_cells
    cdef bint _grows
    cdef object _priority
    cdef _Extent _root
    cdef dict _tombs

    @cython.locals(node=_Extent, child=_Extent, root=_Extent, empty=_Extent, stack=list, pending=list)
    cpdef _validate(self)
    @cython.locals(node=_Extent, child=_Extent, pending=list)
    cpdef Py_ssize_t _height(self)
    @cython.locals(node=_Extent, left=_Extent, address=Py_ssize_t, remaining=Py_ssize_t,
                   tombs=dict, by_start=dict, end=Py_ssize_t)
    cdef Py_ssize_t _take(self, Py_ssize_t size) except -2
    @cython.locals(by_start=dict, by_end=dict, end=Py_ssize_t, tomb=_Extent, left=_Extent,
                   right=_Extent, grown=_Extent)
    cpdef give_back(self, Py_ssize_t address, Py_ssize_t size)
    @cython.locals(tail=_Extent)
    cdef object _shrink_to(self, Py_ssize_t address)
    @cython.locals(node=_Extent, parent=_Extent, priority=double)
    cdef object _attach(self, Py_ssize_t start, Py_ssize_t size)
    @cython.locals(left=_Extent, right=_Extent, child=_Extent, parent=_Extent)
    cdef void _detach(self, _Extent node) noexcept
    @cython.locals(parent=_Extent, grandparent=_Extent, inner=_Extent, largest=Py_ssize_t)
    cdef void _rotate_up(self, _Extent node) noexcept

@cython.locals(largest=Py_ssize_t)
cdef void _refresh_largest(_Extent node) noexcept
