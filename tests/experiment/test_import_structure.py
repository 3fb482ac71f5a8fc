"""The experiment room imports in one direction: errors at the bottom, validation below the
loader, the data loader below preparation (tests/test_import_graph.py checks circles and
function-level imports for the whole package)."""
import ast
import pathlib

import seqlab

SRC = pathlib.Path(seqlab.__file__).parent


def test_validation_does_not_import_the_loader_and_errors_import_nothing_of_the_room():
    def imported(name):
        tree = ast.parse((SRC / "experiment" / f"{name}.py").read_text(encoding="utf-8"))
        return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    assert not {m for m in imported("errors") if m.startswith("seqlab.experiment")}
    assert "seqlab.experiment.load" not in imported("validate") | imported("checks")
    assert "seqlab.experiment.prepare" not in imported("data")  # the runner passes train_end instead
