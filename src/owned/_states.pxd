# The C constants behind _states.py, for the compiled core (the .py holds the same values).
cdef enum:
    MUT = -1
    MOVED = -2
    DROPPED = -3
    FRESH = 0
    ACTIVE = 1
    EXITED = 2
