cimport cython
from owned._owners cimport Family, Handle, Owner, left, own
from owned._states cimport MUT

cdef object OWNING
cdef object _LEAVES
cdef object _SEQUENCES
cdef dict _ATTRIBUTES

cdef object _children(object value)
@cython.locals(stack=list, seen=set, handle=Handle, cls=type)
cpdef walk(object value, list found)
cpdef register_owning(type cls)
@cython.locals(families=dict, family=Family)
cpdef Family family_of(Handle head, bint create)
@cython.locals(old=Owner)
cpdef adopt(Family family, Handle handle, object site)
