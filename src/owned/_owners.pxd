cimport cython
from cpython.contextvars cimport get_value
from cpython.ref cimport PyObject
from owned._arena cimport Arena
from owned._states cimport ACTIVE, MUT

cdef class Handle:
    # public: the smart pointers (`_rc`, `_interior`, `_sync`) are Python subclasses
    cdef public Arena _arena
    cdef public Owner _owner
    cdef public int _state
    cdef public object _value

cdef class Owner:
    cdef Arena _arena
    cdef Py_ssize_t _dead
    cdef object _loans
    cdef list _members
    cdef Owner _next_active
    cdef Owner _parent
    cdef Owner _prev_active
    cdef public int _state  # public: the smart pointers end the families of their boxes

    cdef int _init_owner(self, object arena, int state) except -1

@cython.final
cdef class Family(Owner):
    cdef dict _adopted_at
    cdef public Handle _head  # public: read by `Owned.owner` and the smart pointers

@cython.locals(owner=Owner, family=Family, head=Handle)
cpdef Handle shared_ancestor(Handle handle)
@cython.locals(owner=Owner, family=Family)
cpdef Owner root_owner(Handle handle)

cdef Py_ssize_t _COMPACT_AT
cdef Handle _DEPARTED
cdef object CURRENT
cdef Owner ROOT
cdef Owner _RING

@cython.locals(members=list, last=Py_ssize_t)
cpdef int own(Owner owner, Handle handle) except -1
@cython.locals(members=list, last=Py_ssize_t)
cpdef int left(Owner owner, Handle handle) except -1
@cython.locals(kept=list, handle=Handle)
cdef int _compact(Owner owner) except -1
@cython.locals(owner=Owner)
cpdef Owner current_owner()
cpdef object current_var()
@cython.locals(live=list, handle=Handle, seen=set)
cdef list _live(Owner owner)
@cython.locals(forgotten=list, entries=dict, handle=Handle, family=Family, expected=Py_ssize_t, arena=Arena)
cdef list _forgotten(Owner owner)
cdef Py_ssize_t _references(object handle) except -1
cdef extern from *:
    """#define owned_refcount(o) Py_REFCNT(o)"""
    Py_ssize_t owned_refcount(object)
cdef inline Py_ssize_t _refcount(object value):
    return owned_refcount(value)
cdef inline object _current():
    return <Owner>get_value(CURRENT, ROOT)
@cython.locals(last=Owner)
cpdef int register(Owner owner) except -1
@cython.locals(before=Owner, after=Owner)
cpdef int unregister(Owner owner) except -1
@cython.locals(owner=Owner)
cpdef list active_owners()
