# mypy: disable-error-code="use-after-move, use-after-drop, double-drop, dangling-borrow"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
import owned
from owned import Owned

with owned.scope():
    x = Owned("hello")
    with owned.scope():
        r = x.borrow()
        n = len(r)
    print(r.value)
