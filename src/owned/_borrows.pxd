cimport cython
from owned._owners cimport Family, Handle, Owner, active_owners, shared_ancestor
from owned._parts cimport adopt, family_of, walk
from owned._sites cimport Site, caller_site
from owned._states cimport MUT

cdef int ACTIVE_LOAN, ENDED_BY_RELEASE, ENDED_BY_WITH, ENDED_BY_SCOPE, ENDED_BY_FREE
cdef int ENDED_BY_KEEPER
cdef object _WHY
cdef list _DROP_REPLACED

@cython.final
@cython.freelist(64)
cdef class Loan:
    cdef bint _active
    cdef object _ended_at
    cdef Loan _frozen
    cdef Loan _keeper
    cdef list _keeps
    cdef bint _mut
    cdef Loan _next
    cdef Handle _place
    cdef Loan _prev
    cdef Owner _scope
    cdef Site _site
    cdef int _why

@cython.freelist(64)
cdef class _Borrow:
    cdef Loan _loan
    cdef Handle _place

cdef class Ref(_Borrow):
    pass

cdef class RefMut(_Borrow):
    pass

@cython.final
@cython.freelist(16)
cdef class _Iteration:
    cdef _Borrow _borrow
    cdef object _iterator

cdef object _WHOLE
cdef Handle _NOWHERE
cdef Loan _NO_LOAN
@cython.locals(kept=Loan, place=Handle)
cdef object _loan_facts(Loan loan)
cdef object _item_or_none(object value, object key)
cpdef write(Handle place, object new, Site site)
cpdef set_drop_replaced(object dropper)
@cython.locals(found=list, family=Family, handle=Handle)
cdef object _write(Handle place, object key, object new, object old, Site site)
@cython.locals(family=Family)
cdef object _dropped_parts(Handle place, object old, Site site)

@cython.locals(loan=Loan, borrow=_Borrow, refused=bint)
cpdef _Borrow lend(Handle place, bint mut, Site site, Owner scope)
@cython.locals(state=int, scope=Owner, newest=Loan)
cdef bint _take(Handle place, Loan loan, bint mut) except -1
@cython.locals(place=Handle, state=int, keeps=list, kept=Loan)
cpdef end_loan(Loan loan, int why, object at)
@cython.locals(before=Loan, after=Loan)
cdef int _unlist(Loan loan) except -1
@cython.locals(loan=Loan, following=Loan)
cpdef end_loans(Owner scope)
@cython.locals(newest=Loan)
cpdef move_loan(Loan loan, Owner scope)
@cython.locals(place=Handle, loan=Loan, view=_Borrow)
cpdef _Borrow read_only_view(_Borrow borrow, Site site, Owner scope)
@cython.locals(scope=Owner, newest=Loan)
cdef object _freeze(Handle place, Loan loan)
cpdef Loan loan_of(_Borrow borrow)
@cython.locals(loan=Loan, scope=Owner)
cpdef Site newest_loan_site(Handle place)
