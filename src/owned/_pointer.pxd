cimport cython
from owned._sites cimport Site, caller_site

cdef class Pointer:
    cdef readonly Py_ssize_t address
    cdef readonly Py_ssize_t generation
    cdef object _value
    cdef Py_ssize_t _size
    cdef object _arena
    cdef Site _allocated_at
    cdef Site _freed_at
    cdef Py_ssize_t _slot

@cython.locals(pointer=Pointer)
cpdef Pointer new_pointer(object arena, object value, Py_ssize_t size, Site site)
cpdef str pointer_name(Pointer pointer)
cdef object _use_after_free(Pointer pointer, str access, Site site)
