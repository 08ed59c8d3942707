/* The optional C accelerator of the runtime's hottest paths, loaded by _accelerator.py.
 *
 * `enter` and `leave` do, in C, exactly what the pure-Python template of _fastcall.py does:
 * capture the call site, refuse what the generic path must explain, claim the moved
 * arguments, open the call's scope with a new handle per argument, and close it again.
 * `install_borrows` puts C versions of `x.borrow()`, a borrow's `__enter__`/`__exit__` and
 * `Ref.value`/`RefMut.value` on the classes. Objects are read and written through their
 * __slots__ offsets, found once in `configure`. tests/test_function_paths.py and
 * tests/test_pure_python.py run every behaviour through this and through the Python code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#if PY_VERSION_HEX < 0x030B0000
#error "the accelerator needs Python 3.11 (PyFrame_GetLasti); 3.10 uses the pure-Python path"
#endif

#ifdef Py_GIL_DISABLED
#error "the accelerator relies on the GIL to claim a handle's flag atomically"
#endif

typedef struct {
    Py_ssize_t value, flag, arena, address, size, scope, site, allocated_at, aux;
} OwnedSlots;

typedef struct {
    Py_ssize_t name, parent, arena, owned, borrows, dead, state, exited_at, token;
} ScopeSlots;

static OwnedSlots O;
static ScopeSlots S;
static Py_ssize_t arena_live, arena_recorder;
static PyTypeObject *owned_type, *scope_type, *arena_type;
static PyObject *root, *current, *sites, *site_of, *finish;
static PyObject *active, *exited, *moved, *zero, *one, *move_name, *drop_values_name;
static long mut;
static int configured;

#define SLOT(obj, offset) (*(PyObject **)((char *)(obj) + (offset)))

/* Store a new reference to `value` in a slot, releasing what was there. */
static inline void
put(PyObject *obj, Py_ssize_t offset, PyObject *value)
{
    PyObject *old = SLOT(obj, offset);
    Py_INCREF(value);
    SLOT(obj, offset) = value;
    Py_XDECREF(old);
}

static int
offset_of(PyTypeObject *type, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, name);
    if (descr == NULL) {
        return -1;
    }
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type)
        || ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a __slots__ member", type->tp_name, name);
        Py_DECREF(descr);
        return -1;
    }
    *offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *mut_object;
    if (configured) {
        PyErr_SetString(PyExc_RuntimeError, "owned._speedups is configured once, by owned._accelerator");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!OOO!OOOOOO!", &PyType_Type, &owned_type, &PyType_Type,
                          &scope_type, &PyType_Type, &arena_type, &root, &current, &PyDict_Type,
                          &sites, &site_of, &finish, &active, &exited, &moved, &PyLong_Type,
                          &mut_object)) {
        return NULL;
    }
    mut = PyLong_AsLong(mut_object);
    if (offset_of(owned_type, "_value", &O.value) || offset_of(owned_type, "_flag", &O.flag)
        || offset_of(owned_type, "_arena", &O.arena)
        || offset_of(owned_type, "_address", &O.address)
        || offset_of(owned_type, "_size", &O.size) || offset_of(owned_type, "_scope", &O.scope)
        || offset_of(owned_type, "_site", &O.site)
        || offset_of(owned_type, "_allocated_at", &O.allocated_at)
        || offset_of(owned_type, "_aux", &O.aux) || offset_of(scope_type, "name", &S.name)
        || offset_of(scope_type, "parent", &S.parent) || offset_of(scope_type, "_arena", &S.arena)
        || offset_of(scope_type, "_owned", &S.owned)
        || offset_of(scope_type, "_borrows", &S.borrows)
        || offset_of(scope_type, "_dead", &S.dead) || offset_of(scope_type, "_state", &S.state)
        || offset_of(scope_type, "_exited_at", &S.exited_at)
        || offset_of(scope_type, "_token", &S.token)
        || offset_of(arena_type, "_live", &arena_live)
        || offset_of(arena_type, "_recorder", &arena_recorder)) {
        return NULL;
    }
    zero = PyLong_FromLong(0);
    one = PyLong_FromLong(1);
    move_name = PyUnicode_InternFromString("move");
    drop_values_name = PyUnicode_InternFromString("_drop_values");
    if (zero == NULL || one == NULL || move_name == NULL || drop_values_name == NULL) {
        return NULL;
    }
    PyObject *kept[] = {(PyObject *)owned_type, (PyObject *)scope_type, (PyObject *)arena_type,
                        root, current, sites, site_of, finish, active, exited, moved};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        Py_INCREF(kept[i]);  /* held for the life of the process, like a module global */
    }
    configured = 1;
    Py_RETURN_NONE;
}

/* The interned Site of a frame's current instruction (site_of(frame) when it is new). */
static PyObject *
site_at(PyFrameObject *frame)
{
    PyCodeObject *code = PyFrame_GetCode(frame);
    PyObject *key = PyLong_FromVoidPtr(code);
    Py_DECREF(code);
    if (key == NULL) {
        return NULL;
    }
    PyObject *by_offset = PyDict_GetItemWithError(sites, key);
    Py_DECREF(key);
    PyObject *site = NULL;
    if (by_offset != NULL) {
        PyObject *offset = PyLong_FromLong(PyFrame_GetLasti(frame));
        if (offset == NULL) {
            return NULL;
        }
        site = PyDict_GetItemWithError(by_offset, offset);
        Py_DECREF(offset);
    }
    if (site != NULL) {
        return Py_NewRef(site);
    }
    return PyErr_Occurred() ? NULL : PyObject_CallOneArg(site_of, (PyObject *)frame);
}

/* The Site of the instruction that called the wrapper (the frame above it). */
static PyObject *
caller_site(void)
{
    PyFrameObject *wrapper = PyEval_GetFrame();
    PyFrameObject *frame = wrapper == NULL ? NULL : PyFrame_GetBack(wrapper);
    if (frame == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "owned: an @owned.function wrapper has no caller");
        return NULL;
    }
    PyObject *site = site_at(frame);
    Py_DECREF(frame);
    return site;
}

static int
add_one(PyObject *obj, Py_ssize_t offset)
{
    PyObject *count = SLOT(obj, offset);
    PyObject *next = count == NULL ? NULL : PyNumber_Add(count, one);
    if (next == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_AttributeError, "owned: a scope without its dead count");
        }
        return -1;
    }
    put(obj, offset, next);
    Py_DECREF(next);
    return 0;
}

/* Move `old` into a new handle owned by `scope`, as _handles.transfer does (flag claimed). */
static PyObject *
move_in(PyObject *old, PyObject *scope, PyObject *site, PyObject *made_at, PyObject *name)
{
    PyObject *handle = owned_type->tp_alloc(owned_type, 0);
    if (handle == NULL) {
        return NULL;
    }
    PyObject *arena = SLOT(old, O.arena), *address = SLOT(old, O.address);
    put(handle, O.value, SLOT(old, O.value));
    put(handle, O.flag, zero);
    put(handle, O.arena, arena);
    put(handle, O.address, address);
    put(handle, O.size, SLOT(old, O.size));
    put(handle, O.scope, scope);
    put(handle, O.site, made_at);
    put(handle, O.allocated_at, SLOT(old, O.allocated_at));
    put(handle, O.aux, Py_None);
    if (PyDict_SetItem(SLOT(arena, arena_live), address, handle) < 0) {
        Py_DECREF(handle);
        return NULL;
    }
    PyObject *recorder = SLOT(arena, arena_recorder);
    if (recorder != Py_None) {
        PyObject *result = PyObject_CallFunctionObjArgs(recorder, move_name, handle, site, name,
                                                        NULL);
        if (result == NULL) {
            Py_DECREF(handle);
            return NULL;
        }
        Py_DECREF(result);
    }
    put(old, O.aux, site);
    put(old, O.value, Py_None);
    PyObject *source = SLOT(old, O.scope);
    if (source != root && add_one(source, S.dead) < 0) {
        Py_DECREF(handle);
        return NULL;
    }
    return handle;
}

/* enter(spec, *arguments) -> the call's scope, its `_owned` the new handles in order; or None
 * when the generic path must take the call (a non-Owned, repeated or dead argument).
 * spec: (function name, tuple of each parameter's Site). */
static PyObject *
enter(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!configured || nargs < 2 || !PyTuple_CheckExact(args[0])
        || PyTuple_GET_SIZE(args[0]) != 2) {
        PyErr_SetString(PyExc_TypeError, "owned._speedups.enter(spec, *arguments)");
        return NULL;
    }
    PyObject *name = PyTuple_GET_ITEM(args[0], 0), *made = PyTuple_GET_ITEM(args[0], 1);
    PyObject *const *moving = args + 1;
    Py_ssize_t count = nargs - 1;
    if (!PyTuple_CheckExact(made) || PyTuple_GET_SIZE(made) != count) {
        PyErr_SetString(PyExc_TypeError, "owned._speedups.enter: one Site per argument");
        return NULL;
    }
    PyObject *site = caller_site();
    if (site == NULL) {
        return NULL;
    }
    /* The types first, then the flags, then the claims: no call in between (see _states). */
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!Py_IS_TYPE(moving[i], owned_type)) {
            goto refused;
        }
        for (Py_ssize_t j = 0; j < i; j++) {
            if (moving[i] == moving[j]) {
                goto refused;
            }
        }
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (SLOT(moving[i], O.flag) != zero) {
            goto refused;  /* a live handle's 0 is the small-int singleton; anything else explains itself */
        }
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        put(moving[i], O.flag, moved);
    }
    PyObject *caller;
    if (PyContextVar_Get(current, root, &caller) < 0) {
        Py_DECREF(site);
        return NULL;
    }
    PyObject *scope = scope_type->tp_alloc(scope_type, 0);
    PyObject *handles = PyList_New(count);
    if (scope == NULL || handles == NULL) {
        Py_XDECREF(scope);
        Py_XDECREF(handles);
        Py_DECREF(caller);
        Py_DECREF(site);
        return NULL;
    }
    put(scope, S.name, name);
    put(scope, S.parent, caller);
    put(scope, S.arena, SLOT(caller, S.arena) ? SLOT(caller, S.arena) : Py_None);
    put(scope, S.borrows, Py_None);
    put(scope, S.dead, zero);
    put(scope, S.state, active);
    put(scope, S.exited_at, Py_None);
    put(scope, S.owned, handles);  /* filled in below; the scope keeps a reference */
    Py_DECREF(caller);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *handle = move_in(moving[i], scope, site, PyTuple_GET_ITEM(made, i), name);
        if (handle == NULL) {
            Py_DECREF(handles);
            Py_DECREF(scope);
            Py_DECREF(site);
            return NULL;
        }
        PyList_SET_ITEM(handles, i, handle);
    }
    Py_DECREF(handles);
    Py_DECREF(site);
    PyObject *token = PyContextVar_Set(current, scope);
    if (token == NULL) {
        Py_DECREF(scope);
        return NULL;
    }
    put(scope, S.token, token);
    Py_DECREF(token);
    return scope;

refused:
    Py_DECREF(site);
    Py_RETURN_NONE;
}

/* leave(scope, result, end) -> result: the call returned; close its scope as _calls.finish
 * would. The rare endings (borrows to end, a returned tuple) go to `finish` itself. */
static PyObject *
leave(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!configured || nargs != 3 || !Py_IS_TYPE(args[0], scope_type)) {
        PyErr_SetString(PyExc_TypeError, "owned._speedups.leave(scope, result, end)");
        return NULL;
    }
    PyObject *scope = args[0], *result = args[1], *end = args[2];
    if (SLOT(scope, S.borrows) != Py_None || PyTuple_CheckExact(result)) {
        PyObject *done = PyObject_CallFunctionObjArgs(finish, scope, end, result, Py_None, NULL);
        if (done == NULL) {
            return NULL;
        }
        Py_DECREF(done);
        return Py_NewRef(result);
    }
    PyObject *token = SLOT(scope, S.token);
    if (token == NULL || PyContextVar_Reset(current, token) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "owned: a call's scope lost its token");
        }
        return NULL;
    }
    put(scope, S.token, Py_None);
    put(scope, S.state, exited);
    put(scope, S.exited_at, end);
    Py_ssize_t handed_back = 0;
    if (Py_IS_TYPE(result, owned_type) && SLOT(result, O.scope) == scope) {
        long flag = PyLong_AsLong(SLOT(result, O.flag));
        if (flag == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (flag >= mut) {
            PyObject *caller = SLOT(scope, S.parent);
            put(result, O.scope, caller);
            handed_back = 1;
            if (caller != root && PyList_Append(SLOT(caller, S.owned), result) < 0) {
                return NULL;
            }
        }
    }
    Py_ssize_t dead = PyLong_AsSsize_t(SLOT(scope, S.dead));
    if (dead == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyList_GET_SIZE(SLOT(scope, S.owned)) > handed_back + dead) {
        PyObject *done = PyObject_CallMethodObjArgs(scope, drop_values_name, end, Py_None, NULL);
        if (done == NULL) {
            return NULL;
        }
        Py_DECREF(done);
    }
    return Py_NewRef(result);
}

/* Borrows: `__enter__` and the `value` getters of Ref and RefMut as C descriptors, so that
 * `with x.borrow() as r: r.value` makes no call from C into Python for them. Anything but
 * the plain success case goes to the Python property, which explains what is wrong. */
static Py_ssize_t borrow_active, borrow_owner, borrow_scope, borrow_site, borrow_ended_at;
static PyTypeObject *ref_type;
static PyObject *with_block, *borrow_name, *release_name;
static PyObject *ref_get, *ref_mut_get, *ref_mut_set;

static PyObject *
borrow_enter(PyObject *self, PyObject *unused)
{
    return Py_NewRef(self);
}

static PyMethodDef borrow_enter_def = {"__enter__", borrow_enter, METH_NOARGS,
                                       "The borrow itself: `with x.borrow() as r:`."};

/* The owner's value when the borrow is active and the owner's flag is right for its kind. */
static PyObject *
borrowed_value(PyObject *self, int shared, PyObject *fallback)
{
    PyObject *owner = SLOT(self, borrow_owner);
    if (SLOT(self, borrow_active) == Py_True && owner != NULL && Py_IS_TYPE(owner, owned_type)) {
        PyObject *flag = SLOT(owner, O.flag), *value = SLOT(owner, O.value);
        long state = flag != NULL && PyLong_CheckExact(flag) ? PyLong_AsLong(flag) : 0;
        if (value != NULL && (shared ? state > 0 : state == mut)) {
            return Py_NewRef(value);
        }
    }
    PyErr_Clear();
    return PyObject_CallOneArg(fallback, self);
}

static PyObject *
ref_value(PyObject *self, void *closure)
{
    return borrowed_value(self, 1, ref_get);
}

static PyObject *
ref_mut_value(PyObject *self, void *closure)
{
    return borrowed_value(self, 0, ref_mut_get);
}

static int
ref_mut_assign(PyObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a RefMut's value cannot be deleted");
        return -1;
    }
    PyObject *done = PyObject_CallFunctionObjArgs(ref_mut_set, self, value, NULL);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

/* x.borrow(), as Owned.borrow and _borrows.new_ref do it; called straight from the user's
 * frame (a C method has none of its own), so that frame is the borrow's site. */
static PyObject *owned_borrow_fallback;

static PyObject *
owned_borrow(PyObject *self, PyObject *unused)
{
    PyFrameObject *frame = PyEval_GetFrame();
    if (frame == NULL) {
        return PyObject_CallOneArg(owned_borrow_fallback, self);
    }
    PyObject *site = site_at(frame);  /* may run Python (a new site): before the flag is read */
    if (site == NULL) {
        return NULL;
    }
    PyObject *flag = SLOT(self, O.flag);
    long count = flag != NULL && PyLong_CheckExact(flag) ? PyLong_AsLong(flag) : -1;
    if (count < 0) {  /* no call between this test and the claim below */
        Py_DECREF(site);
        PyErr_Clear();
        return PyObject_CallOneArg(owned_borrow_fallback, self);  /* it explains the refusal */
    }
    PyObject *scope, *claimed = PyLong_FromLong(count + 1);
    if (claimed == NULL || PyContextVar_Get(current, root, &scope) < 0) {
        Py_XDECREF(claimed);
        Py_DECREF(site);
        return NULL;
    }
    put(self, O.flag, claimed);  /* claimed: see _states */
    Py_DECREF(claimed);
    PyObject *ref = ref_type->tp_alloc(ref_type, 0);
    if (ref == NULL) {
        Py_DECREF(scope);
        Py_DECREF(site);
        return NULL;
    }
    put(ref, borrow_owner, self);
    put(ref, borrow_active, Py_True);
    put(ref, borrow_scope, scope);
    put(ref, borrow_site, site);
    put(self, O.aux, ref);
    PyObject *recorder = SLOT(SLOT(self, O.arena), arena_recorder);
    int failed = 0;
    if (recorder != Py_None) {
        PyObject *done = PyObject_CallFunctionObjArgs(recorder, borrow_name, self, site, NULL);
        failed = done == NULL;
        Py_XDECREF(done);
    }
    if (!failed && scope != root) {
        PyObject *borrows = SLOT(scope, S.borrows);
        if (borrows == Py_None) {
            borrows = PySet_New(NULL);
            if (borrows != NULL) {
                put(scope, S.borrows, borrows);
                Py_DECREF(borrows);
            }
        }
        failed = borrows == NULL || PySet_Add(borrows, ref) < 0;
    }
    Py_DECREF(scope);
    Py_DECREF(site);
    if (failed) {
        Py_DECREF(ref);
        return NULL;
    }
    return ref;
}

static PyMethodDef owned_borrow_def = {
    "borrow", owned_borrow, METH_NOARGS,
    "A shared borrow (`&x`): any number at once, none while a `RefMut` is active."};

/* `with` ends a borrow as _Borrow._end does when its reason is not a Site. */
static PyObject *
borrow_exit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (SLOT(self, borrow_active) != Py_True) {
        Py_RETURN_NONE;
    }
    put(self, borrow_active, Py_False);  /* claimed: see _states */
    PyObject *owner = SLOT(self, borrow_owner);
    long flag = PyLong_AsLong(SLOT(owner, O.flag));
    if (flag == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (flag > 0 || flag == mut) {
        PyObject *released = flag > 0 ? PyLong_FromLong(flag - 1) : Py_NewRef(zero);
        if (released == NULL) {
            return NULL;
        }
        put(owner, O.flag, released);
        Py_DECREF(released);
    }
    put(self, borrow_ended_at, with_block);
    PyObject *recorder = SLOT(SLOT(owner, O.arena), arena_recorder);
    if (recorder != Py_None) {
        PyObject *done = PyObject_CallFunctionObjArgs(recorder, release_name, owner, Py_None, NULL);
        if (done == NULL) {
            return NULL;
        }
        Py_DECREF(done);
    }
    PyObject *borrows = SLOT(SLOT(self, borrow_scope), S.borrows);
    if (borrows != NULL && borrows != Py_None && PySet_Discard(borrows, self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef borrow_exit_def = {"__exit__", (PyCFunction)(void (*)(void))borrow_exit,
                                      METH_FASTCALL, "End the borrow at the end of its block."};

static PyGetSetDef ref_value_def = {"value", ref_value, NULL, "The value, read through the borrow.",
                                     NULL};
static PyGetSetDef ref_mut_value_def = {"value", ref_mut_value, ref_mut_assign,
                                         "The value, read and written through the borrow.", NULL};

static int
install(PyTypeObject *type, PyObject *descriptor)
{
    if (descriptor == NULL) {
        return -1;
    }
    int failed = PyObject_SetAttr((PyObject *)type, PyDescr_NAME(descriptor), descriptor);
    Py_DECREF(descriptor);
    return failed;
}

/* install_borrows(_Borrow, Ref, RefMut, Ref.value's fget, RefMut.value's fget and fset,
 * Owned.borrow, WITH_BLOCK): replace the hot members of a borrow's `with` block by C ones,
 * keeping the Python ones for everything but the common case. */
static PyObject *
install_borrows(PyObject *module, PyObject *args)
{
    PyTypeObject *base, *ref, *ref_mut;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "owned._speedups: configure() first");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!OOOOU", &PyType_Type, &base, &PyType_Type, &ref,
                          &PyType_Type, &ref_mut, &ref_get, &ref_mut_get, &ref_mut_set,
                          &owned_borrow_fallback, &with_block)) {
        return NULL;
    }
    if (!PyType_IsSubtype(ref, base) || !PyType_IsSubtype(ref_mut, base)
        || offset_of(base, "_active", &borrow_active) || offset_of(base, "_owner", &borrow_owner)
        || offset_of(base, "_scope", &borrow_scope) || offset_of(base, "_site", &borrow_site)
        || offset_of(base, "_ended_at", &borrow_ended_at)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "install_borrows(_Borrow, Ref, RefMut, ...)");
        }
        return NULL;
    }
    borrow_name = PyUnicode_InternFromString("borrow");
    release_name = PyUnicode_InternFromString("release");
    if (borrow_name == NULL || release_name == NULL) {
        return NULL;
    }
    ref_type = ref;
    PyObject *kept[] = {(PyObject *)ref, ref_get, ref_mut_get, ref_mut_set,
                        owned_borrow_fallback, with_block};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        Py_INCREF(kept[i]);
    }
    if (install(base, PyDescr_NewMethod(base, &borrow_enter_def))
        || install(base, PyDescr_NewMethod(base, &borrow_exit_def))
        || install(owned_type, PyDescr_NewMethod(owned_type, &owned_borrow_def))
        || install(ref, PyDescr_NewGetSet(ref, &ref_value_def))
        || install(ref_mut, PyDescr_NewGetSet(ref_mut, &ref_mut_value_def))) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"install_borrows", install_borrows, METH_VARARGS, "Make the borrows' hot members C ones."},
    {"configure", configure, METH_VARARGS, "Hand over the runtime's types and constants, once."},
    {"enter", (PyCFunction)(void (*)(void))enter, METH_FASTCALL, "Open a call's scope."},
    {"leave", (PyCFunction)(void (*)(void))leave, METH_FASTCALL, "Close a call's scope."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "owned._speedups",
    "Optional C accelerator of @owned.function's generated wrapper.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
