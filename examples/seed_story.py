"""The whole story, in order: from manual memory to ownership. Run: python examples/seed_story.py"""

import runpy
from pathlib import Path

CHAPTERS = [
    ("Manual memory: use after free and double free", "manual_memory.py"),
    ("Scopes: an inner block frees early", "inner_scope.py"),
    ("Returning ownership to the caller", "get_years.py"),
    ("Moving a vector into a function twice", "print_years_twice.py"),
    ("Giving ownership back, or borrowing instead", "give_back.py"),
    ("clone() and its memory cost", "clone_cost.py"),
    ("Drop order", "drop_order.py"),
]


def main() -> None:
    here = Path(__file__).parent
    for number, (title, filename) in enumerate(CHAPTERS, start=1):
        print(f"\n=== {number}. {title} ({filename}) ===")
        runpy.run_path(str(here / filename), run_name="__main__")


if __name__ == "__main__":
    main()
