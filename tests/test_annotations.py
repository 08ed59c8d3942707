"""`@owned.function` reads annotations however the module defers them (PEP 563, PEP 649).

From 3.14 on, annotations are evaluated lazily (PEP 649): a parameter may name a class defined
after the decorator ran, or the class whose body it is in. Each case runs in two modules: one
with `from __future__ import annotations` (strings, every version) and one without (deferred on
3.14+). Before 3.14 the second evaluates annotations at `def` time, so the forward name is a
NameError there: the tests assert exactly that instead of skipping.
"""

from __future__ import annotations

import importlib
import importlib.util
import runpy
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

DEFERRED = sys.version_info >= (3, 14)  # PEP 649: annotations evaluated when first asked for
STRINGIFIED = "from __future__ import annotations\n"
MODES = pytest.mark.parametrize("future", [STRINGIFIED, ""], ids=["stringified", "deferred"])


def _run(tmp_path: Path, future: str, source: str) -> dict[str, Any]:
    script = tmp_path / "case.py"
    script.write_text(future + textwrap.dedent(source))
    return runpy.run_path(str(script))


def _eager_forward_reference(future: str) -> bool:
    """Before 3.14, a module without the future import evaluates annotations at `def`."""
    return not future and not DEFERRED


@MODES
def test_a_parameter_naming_a_class_defined_after_the_decorator_moves_its_argument(
    tmp_path: Path, future: str
) -> None:
    source = """
        import owned
        from owned import Owned

        @owned.function
        def consume(box: Owned[Box]) -> None:
            pass

        class Box:
            pass

        box = Owned(Box())
        consume(box)
        moved = not box.is_alive
    """
    if _eager_forward_reference(future):
        with pytest.raises(NameError, match="Box"):
            _run(tmp_path, future, source)
        return
    assert _run(tmp_path, future, source)["moved"] is True


@MODES
def test_a_method_annotating_a_parameter_with_its_own_class_borrows_and_moves(
    tmp_path: Path, future: str
) -> None:
    source = """
        import owned
        from owned import Owned, Ref

        class Node:
            def __init__(self, size: int) -> None:
                self.size = size

            @owned.function
            def measure(self, other: Ref[Node]) -> int:
                return self.size + other.value.size

            @owned.function
            def absorb(self, other: Owned[Node]) -> int:
                return self.size + other.value.size

        left, right = Node(1), Owned(Node(2))
        measured = left.measure(right)
        borrowed_only = right.is_alive
        absorbed = left.absorb(right)
        moved = not right.is_alive
    """
    if _eager_forward_reference(future):
        with pytest.raises(NameError, match="Node"):
            _run(tmp_path, future, source)
        return
    namespace = _run(tmp_path, future, source)
    assert (namespace["measured"], namespace["borrowed_only"]) == (3, True)
    assert (namespace["absorbed"], namespace["moved"]) == (3, True)


def test_the_forwardref_format_sees_a_name_that_is_not_defined_yet(tmp_path: Path) -> None:
    source = """
        import owned
        from owned import Owned

        @owned.function
        def consume(box: Owned[Box]) -> None:
            pass

        try:
            import annotationlib
        except ImportError:  # before 3.14
            annotationlib = None
        if annotationlib is not None:
            early = annotationlib.get_annotations(
                consume, format=annotationlib.Format.FORWARDREF
            )["box"]

        class Box:
            pass

        box = Owned(Box())
        consume(box)
        moved = not box.is_alive
    """
    if not DEFERRED:
        # No annotationlib and no deferred evaluation: only the future import defers (above).
        with pytest.raises(NameError, match="Box"):
            _run(tmp_path, "", source)
        return
    namespace = _run(tmp_path, "", source)
    annotationlib = importlib.import_module("annotationlib")
    early = namespace["early"]
    assert "Box" in repr(early)  # Owned[ForwardRef('Box')], while Box did not exist
    assert (
        annotationlib.get_annotations(namespace["consume"])["box"]
        == namespace["Owned"][namespace["Box"]]
    )
    assert namespace["moved"] is True


def test_deferred_evaluation_is_what_separates_the_versions() -> None:
    # The guard above is the language change itself: annotationlib arrives with PEP 649.
    assert (importlib.util.find_spec("annotationlib") is not None) is DEFERRED
