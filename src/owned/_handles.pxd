cimport cython
from owned._arena cimport Arena
from owned._borrows cimport Ref, RefMut, _Borrow, lend, newest_loan_site, set_drop_replaced, write
from owned._owners cimport Family, Handle, Owner, current_owner, left, own, root_owner, shared_ancestor
from owned._parts cimport adopt, family_of, register_owning, walk
from owned._sites cimport Site, caller_site
from owned._states cimport ACTIVE, DROPPED, EXITED, MOVED, MUT

cdef class Owned(Handle):
    cdef Py_ssize_t _address
    cdef Site _allocated_at
    cdef Site _site
    cdef Py_ssize_t _size

cdef object _deepcopy
cdef object _CLONE_SITE
cdef long _IMMUTABLE_TYPE
cdef dict _FIXED_HOOKS

@cython.locals(address=Py_ssize_t, family=Family, part=Handle, site=Site)
cdef object _place(Owned handle, Owner owner, Arena arena, Py_ssize_t cells, list found)
@cython.locals(family=Family, seen=set, handle=Handle, state=int, owner=Owner)
cpdef object _refusal_for_parts(Owned head, list found, Site site)
cdef object _moved_out_of_shared(Owned handle, Handle ancestor, Site site)
@cython.locals(head=Owned, target=Owner)
cpdef Owner _target(object into)
@cython.locals(family=Family, source=Owner, found=list, moved=Owned, arena=Arena)
cpdef Owned transfer(Owned handle, Owner target, Site site, Site made_at)
@cython.locals(target_family=Family, families=dict, family=Family, part=Handle, members=list, last=Py_ssize_t)
cdef object _commit_move(Owned handle, Owned moved, Owner source, Owner target, list found, Site site)
@cython.locals(owner=Owner, family=Family)
cdef bint _is_inside(Handle head, Handle handle) except -1
@cython.locals(family=Family)
cdef str _owner_words(Owner target)
@cython.locals(target=Owner, source=Owner, families=dict, family=Family)
cpdef undo_transfer(Owned handle, Owned moved)
@cython.locals(state=int, failures=list)
cdef object _drop(Owned handle, Site site)
@cython.locals(arena=Arena)
cdef object _claim_drop(Owned handle, Site site)
@cython.locals(arena=Arena)
cpdef object claim_at_exit(Owned handle, object scope)
@cython.locals(failures=list)
cpdef list drop_at_exit(Owned handle, object end)
cpdef bint needs_finishing(Owned handle, object value) except -1
@cython.locals(work=list, head=Owned, families=dict, family=Family, part=Handle, owned_part=Owned)
cpdef finish_drop(Owned handle, object value, object end, list failures)
@cython.locals(found=list, ordered=list, listed=set, part=Handle)
cdef list _parts_in_order(Family family, object value)
cdef object _claim_part(Owned part, object end)
@cython.locals(cls=type)
cdef object _run_drop_hook(Owned handle, object value, list failures)
@cython.locals(removed=list, gone=list, still=list, part=Handle, owned_part=Owned, failures=list)
cpdef _drop_replaced(Family family, object old, Site site)
@cython.locals(twin=Owned)
cdef Owned _clone(Owned handle, Site site, dict memo)
@cython.locals(arena=Arena, families=dict, family=Family, part=Handle)
cdef object _into_inner(Owned handle, Site site, Owner scope)
cdef str _place_words(Owned handle, Handle ancestor, Site site)

@cython.locals(place=Handle, found=list, leaving=list)
cpdef object exchange(_Borrow borrow, object new, Site site, Owner scope)
@cython.locals(family=Family, handle=Handle, part=Handle, kept=set)
cdef object _commit_exchange(Handle place, object new, list found, list leaving, Site site, Owner scope)
@cython.locals(a=Handle, b=Handle, parts_a=list, parts_b=list)
cpdef object swap_values(_Borrow first, _Borrow second, Site site)
@cython.locals(family=Family, part=Handle)
cdef object _commit_swap(Handle a, Handle b, list parts_a, list parts_b, Site site)
@cython.locals(place=Handle)
cdef Handle _usable_mut(_Borrow borrow, Site site)
@cython.locals(family=Family, found=list, own_parts=list, part=Handle)
cdef list _own_parts_in(Handle place, object value)
