cimport cython
from cpython.contextvars cimport PyContextVar_Set, PyContextVar_Reset, get_value
from owned._arena cimport Arena
from owned._borrows cimport end_loans
from owned._handles cimport Owned, claim_at_exit, finish_drop, needs_finishing
from owned._owners cimport Handle, Owner, current_owner, current_var, register, unregister
from owned._sites cimport Site, caller_site
from owned._states cimport ACTIVE, EXITED, FRESH, MUT

cdef class Scope(Owner):
    cdef Site _exited_at
    cdef object _token
    cdef public object name

cdef long _CO_GENERATOR
cdef object CURRENT

cdef object _open(Scope scope, Owner parent)
@cython.locals(scope=Scope)
cpdef Scope call_scope(str name, Owner caller)
cpdef close(Scope scope, Site site, exc)
cdef object _detach(Scope scope, Site site)
cdef object _end(Scope scope, Site site)
cpdef set_aside(Scope scope)
cpdef exit_set_aside(Scope scope)
cpdef leave_call(Scope scope, Site site)
@cython.locals(members=list, failures=list, index=Py_ssize_t, member=Handle, owned_member=Owned)
cpdef drop_members(Owner scope, exc)
@cython.locals(root=Scope, kept=list, picked=list, member=Handle)
cpdef drop_root_values(object chosen=*)

cpdef object _set_current(Owner scope)
cpdef object _reset_current(object token)
cpdef object _get_current()
cdef inline object _c_set(object var, object value):
    return PyContextVar_Set(var, value)
cdef inline object _c_reset(object var, object token):
    if PyContextVar_Reset(var, token) < 0:
        raise ValueError("owned: the scope's context variable could not be reset")
    return None
cdef inline object _c_get(object var):
    return get_value(var, None)
