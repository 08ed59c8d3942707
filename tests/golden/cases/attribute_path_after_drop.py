# mypy: disable-error-code="use-after-move, use-after-drop, double-drop"
# A golden case (tests/test_golden.py): its error must render the same on every Python.
from owned import Owned


class Inventory:
    def __init__(self) -> None:
        self.items = Owned(["apple"])


inventory = Inventory()
inventory.items.drop()
print(inventory.items.value)
