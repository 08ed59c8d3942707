# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
from owned import Owned, drop


def main() -> None:
    s = Owned("hello")
    drop(s)
    drop(s)


main()
