cimport cython
from owned._extents cimport FreeExtents
from owned._pointer cimport Pointer, new_pointer, pointer_name
from owned._sites cimport Site, caller_site

cdef class Arena:
    cdef object __weakref__
    cdef Py_ssize_t _allocs
    cdef object _capacity
    cdef Py_ssize_t _deallocs
    cdef list _drop_failures
    cdef public dict _families  # public: for the smart pointers' shared boxes
    cdef FreeExtents _free
    cdef Py_ssize_t _live_blocks
    cdef Py_ssize_t _live_cells
    cdef Py_ssize_t _peak_cells
    cdef Py_ssize_t _pointer_count
    cdef list _pointers
    cdef object _recorder
    cdef public dict _shared

    @cython.locals(address=Py_ssize_t, cells=Py_ssize_t)
    cpdef Py_ssize_t _allocate(self, Py_ssize_t size) except -1
    cpdef int _release(self, Py_ssize_t address, Py_ssize_t size) except -1
    @cython.locals(address=Py_ssize_t, pointers=list, slot=Py_ssize_t)
    cdef int _alloc_pointer(self, Pointer pointer, Py_ssize_t cells) except -1
    @cython.locals(freed_at=Site, pointers=list, last=Pointer, count=Py_ssize_t)
    cdef Site _free_pointer(self, Pointer pointer, Site site)

cdef object _double_free(Pointer pointer, Site site, Site freed_at)
cdef Pointer _NO_POINTER
