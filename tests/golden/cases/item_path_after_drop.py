# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
from owned import Owned


def main() -> None:
    names = [Owned("ferris")]
    names[0].drop()
    print(names[0].value)


main()
