cimport cython
from owned._borrows cimport Loan, Ref, RefMut, _Borrow, end_loan, lend, loan_of, move_loan, read_only_view
from owned._handles cimport Owned, transfer, undo_transfer
from owned._owners cimport Family, Handle, Owner, current_owner, current_var, left, own, register, root_owner, unregister
from owned._parts cimport adopt, family_of, walk
from owned._scope cimport Scope, _reset_current, _set_current, call_scope, drop_members, leave_call
from owned._sites cimport Site, caller_site
from owned._states cimport ACTIVE, MUT
from owned._plan cimport BORROW, MOVE, Parameter, Plan

cdef object CURRENT
cdef object PASSED

cdef class CallWrapper:
    cdef dict __dict__
    cdef object __weakref__
    cdef object _fn
    cdef Plan _plan

cpdef object enter_call(Scope scope)
@cython.locals(new_args=list, index=Py_ssize_t, count=Py_ssize_t, spec=Parameter, renamed=Parameter)
cpdef tuple prepare(Plan plan, Scope scope, Site site, tuple args, dict kwargs, list done)
@cython.locals(handle=Owned, moved=Owned, borrow_in=_Borrow, view=_Borrow, cls=type)
cdef object _pass(Plan plan, Scope scope, Site site, list done, object value, Parameter spec)
cdef object _undo(list done, Site site)
@cython.locals(caller=Owner)
cpdef object finish(Scope scope, object token, Plan plan, list done, object result, exc)
@cython.locals(owner=Owner)
cdef Owner _active_caller(Scope scope)
@cython.locals(found=list, family=Family, part=Handle, site=Site)
cdef object _hand_back(Owned handle, Scope scope, Owner caller)
@cython.locals(returned=list, arguments=list, borrow=_Borrow, loan=Loan, place=Handle, kept=list, other=Loan)
cdef object _keep_returned_borrows(Scope scope, Owner caller, Plan plan, list done, object result)
@cython.locals(head=Handle, owner=Owner, family=Family)
cdef object _returns_local(Handle place, Plan plan, list done, Site borrowed_at)
