cimport cython
from owned._sites cimport Site
from owned._borrows cimport Ref, RefMut
from owned._handles cimport Owned

cdef enum:
    MOVE = 1
    BORROW = 2
    BORROW_MUT = 3

@cython.final
cdef class Parameter:
    cdef public Py_ssize_t index
    cdef public object keyword
    cdef public int kind
    cdef public str name
    cdef public Site site
    cdef public bint strict

@cython.final
cdef class Plan:
    cdef object _definition
    cdef dict _parameter_sites
    cdef public Site end_site
    cdef public bint is_plain
    cdef public list keyword
    cdef public str name
    cdef public frozenset named
    cdef public list positional
    cdef public Parameter var_keyword
    cdef public Parameter var_positional
