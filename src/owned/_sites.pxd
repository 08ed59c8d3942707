# C layout of Site, and the compiled capture of the calling frame's (code, offset).
cimport cython

cdef extern from *:
    """
    /* The calling Python frame's code object (a new reference) and instruction offset.
       3.11-3.14: read the interpreter's frame without making a frame object; elsewhere:
       through the frame object (made once per frame, then kept by CPython). */
    #if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030F0000
      #define OWNED_IFRAME(ts) ((ts)->current_frame)
    #elif PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
      #define OWNED_IFRAME(ts) ((ts)->cframe->current_frame)
    #endif
    #if PY_VERSION_HEX < 0x030B0000
      #include <frameobject.h>  /* 3.10: the frame's fields (f_lasti) */
    #elif PY_VERSION_HEX < 0x030C0000
      /* 3.11: the interpreter's frame, as PyEval_GetFrame and PyFrame_GetLasti read it
         (Cython's own traceback code includes this header on 3.11 too). */
      #ifndef Py_BUILD_CORE
        #define Py_BUILD_CORE 1
      #endif
      #include "internal/pycore_frame.h"
    #endif
    static int owned_calling_frame(PyObject **code, int *offset) {
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
        _PyInterpreterFrame *frame = PyThreadState_Get()->cframe->current_frame;
        while (frame != NULL && _PyFrame_IsIncomplete(frame)) frame = frame->previous;
        if (frame == NULL) return -1;
        Py_INCREF(frame->f_code);
        *code = (PyObject *)frame->f_code;
        int lasti = _PyInterpreterFrame_LASTI(frame);
        *offset = lasti < 0 ? -1 : lasti * (int)sizeof(_Py_CODEUNIT);
    #elif defined(OWNED_IFRAME)
        struct _PyInterpreterFrame *frame = OWNED_IFRAME(PyThreadState_Get());
        if (frame == NULL) return -1;
        *code = PyUnstable_InterpreterFrame_GetCode(frame);
        *offset = PyUnstable_InterpreterFrame_GetLasti(frame);
    #else
        PyFrameObject *frame = PyEval_GetFrame();
        if (frame == NULL) return -1;
        *code = (PyObject *)PyFrame_GetCode(frame);
      #if PY_VERSION_HEX >= 0x030B0000
        *offset = PyFrame_GetLasti(frame);
      #else
        *offset = frame->f_lasti * 2;
      #endif
    #endif
        return 0;
    }

    /* A direct-mapped cache of (code, offset) -> Site in front of the table. */
    #define OWNED_SITE_CACHE 256
    typedef struct { PyObject *code; int offset; PyObject *site; } owned_site_slot;
    static owned_site_slot owned_site_cache[OWNED_SITE_CACHE];

    static inline Py_ssize_t owned_site_slot_of(PyObject *code, int offset) {
        size_t key = ((size_t)code >> 4) ^ ((size_t)offset * 2654435761u);
        return (Py_ssize_t)((key ^ (key >> 9)) & (OWNED_SITE_CACHE - 1));
    }
    static inline PyObject *owned_cached_site(PyObject *code, int offset, Py_ssize_t slot) {
        owned_site_slot *entry = &owned_site_cache[slot];
        if (entry->code == code && entry->offset == offset) {
            return entry->site;  /* borrowed: the cache keeps it while the caller takes it */
        }
        return NULL;
    }
    static inline void owned_cache_site(PyObject *code, int offset, Py_ssize_t slot,
                                        PyObject *site) {
        owned_site_slot *entry = &owned_site_cache[slot];
        PyObject *old = entry->site;
        Py_INCREF(site);
        entry->code = code;  /* the site holds the code: the pointer stays valid */
        entry->offset = offset;
        entry->site = site;
        Py_XDECREF(old);
    }
    static void owned_clear_site_cache(void) {
        for (Py_ssize_t i = 0; i < OWNED_SITE_CACHE; i++) {
            PyObject *old = owned_site_cache[i].site;
            owned_site_cache[i].site = NULL;
            owned_site_cache[i].code = NULL;
            Py_XDECREF(old);
        }
    }
    """
    ctypedef struct PyObject
    int owned_calling_frame(PyObject **code, int *offset)
    Py_ssize_t owned_site_slot_of(PyObject *code, int offset)
    PyObject *owned_cached_site(PyObject *code, int offset, Py_ssize_t slot)
    void owned_cache_site(PyObject *code, int offset, Py_ssize_t slot, object site)
    void owned_clear_site_cache()
    void Py_DECREF(PyObject *)

cdef class Site:
    cdef readonly object code
    cdef readonly int offset
    cdef object _position
    cdef object _assigned
    cdef bint _given

cdef dict _SITES
cdef Py_ssize_t _TABLE_CODES

@cython.locals(by_offset=dict, site=Site)
cpdef Site site_at(object code, int offset)

cpdef Site caller_site(int depth=*)
cpdef Py_ssize_t table_size()

cdef inline Site _compiled_caller_site():
    cdef PyObject *code
    cdef int offset
    cdef PyObject *cached
    cdef Py_ssize_t slot
    if owned_calling_frame(&code, &offset) < 0:
        raise RuntimeError("owned: an operation ran with no Python frame to blame")
    slot = owned_site_slot_of(code, offset)
    cached = owned_cached_site(code, offset, slot)
    if cached != NULL:
        Py_DECREF(code)
        return <Site>cached  # borrowed; the return takes its own reference
    try:
        site = site_at(<object>code, offset)
        owned_cache_site(code, offset, slot, site)
    finally:
        Py_DECREF(code)
    return site

cdef inline void _clear_cache() noexcept:
    owned_clear_site_cache()
