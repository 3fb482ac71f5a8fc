"""The experiment and CLI rooms import at the top of their modules, in one direction.

An import inside a function is allowed only for a heavy subpackage loaded on purpose, with a
comment on the line before saying why (lesson 13 of the house style); today that is the CLI's
commands, which bring torch and would slow ``seqlab --help`` (~0.1 s) to ~2.5 s.
"""
import ast
import pathlib

import seqlab

SRC = pathlib.Path(seqlab.__file__).parent
LAZY_ON_PURPOSE = {("cli/main.py", "seqlab.cli")}


def _function_imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    yield node.lineno, node.module
                elif isinstance(node, ast.Import):
                    yield node.lineno, node.names[0].name


def test_no_function_level_imports_in_experiment_and_cli():
    found = []
    for room in ("experiment", "cli"):
        for path in sorted((SRC / room).glob("*.py")):
            relative = path.relative_to(SRC).as_posix()
            lines = path.read_text(encoding="utf-8").splitlines()
            for lineno, module in _function_imports(path):
                if (relative, module) in LAZY_ON_PURPOSE:
                    assert lines[lineno - 2].strip().startswith("#"), f"{relative}:{lineno} needs a comment saying why"
                    continue
                found.append(f"{relative}:{lineno} imports {module}")
    assert found == []


def test_validation_does_not_import_the_loader_and_errors_import_nothing_of_the_room():
    def imported(name):
        tree = ast.parse((SRC / "experiment" / f"{name}.py").read_text(encoding="utf-8"))
        return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    assert not {m for m in imported("errors") if m.startswith("seqlab.experiment")}
    assert "seqlab.experiment.load" not in imported("validate") | imported("checks")
    assert "seqlab.experiment.prepare" not in imported("data")  # the runner passes train_end instead
