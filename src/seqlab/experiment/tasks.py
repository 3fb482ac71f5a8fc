"""Which spec sections and keys each task reads: the one table, and its check.

A key that a task does not read (``windows.horizon`` for ``task = "generate"``) is a mistake,
reported with its line before any data is read, not a setting silently ignored.
"""
from __future__ import annotations

from typing import Callable

ALL = None  # every key of the section

# task -> {section: the keys it reads (ALL: every key)}; top-level scalars are sections too.
TASK_SECTIONS: dict[str, dict[str, frozenset | None]] = {
    "forecast": {"name": ALL, "description": ALL, "task": ALL, "data": ALL, "windows": ALL, "split": ALL,
                 "scaling": ALL, "model": ALL, "training": ALL, "evaluation": ALL, "report": ALL},
    # generate: the loss is the cross-entropy of the next token (fixed), and the report traces the
    # test text itself, so report.trace_window has nothing to pick.
    "generate": {"name": ALL, "description": ALL, "task": ALL, "text": ALL, "model": ALL, "sampling": ALL,
                 "training": frozenset({"epochs", "batch_size", "optimizer", "learning_rate", "shuffle",
                                        "early_stopping", "seed"}),
                 "report": frozenset({"enabled"})},
    # classify: labelled samples, not a series: no windows, no forecast evaluation; the loss is
    # the cross-entropy over the classes (fixed).
    "classify": {"name": ALL, "description": ALL, "task": ALL, "data": frozenset({"source", "path"}),
                 "split": frozenset({"train", "validation", "test"}),
                 "scaling": frozenset({"method", "feature_range"}), "model": ALL,
                 "training": frozenset({"epochs", "batch_size", "optimizer", "learning_rate", "shuffle",
                                        "early_stopping", "seed", "precision"}),
                 "classify": ALL, "report": frozenset({"enabled"})},
}

# task -> the sections a spec of that task must have, besides those the dataclasses mark required
REQUIRED_SECTIONS = {"generate": ("text",)}


def task_of(table) -> str:
    """The task a parsed spec table names (``"forecast"`` when it names none)."""
    task = table.get("task", "forecast") if isinstance(table, dict) else "forecast"
    return task if isinstance(task, str) else "forecast"


def check_task_keys(table: dict, fail: Callable[[str, str], None]) -> None:
    """Report every section or key the spec's task does not read, naming the task's own."""
    task = task_of(table)
    sections = TASK_SECTIONS.get(task)
    if sections is None:
        return  # an unknown name: the type check reports it with the choices
    for key, value in table.items():
        if not task_reads(task, key):
            fail(key, f"does not apply to task = {task!r} (its sections: {', '.join(sections)})")
            continue
        for inner in value if isinstance(value, dict) else ():
            if not task_reads(task, f"{key}.{inner}"):
                fail(f"{key}.{inner}", f"does not apply to task = {task!r} "
                                       f"(its {key} keys: {', '.join(sorted(sections[key]))})")
    for section in REQUIRED_SECTIONS.get(task, ()):
        if section not in table:
            fail(section, f"is required for task = {task!r}")


def task_reads(task: str, path: str) -> bool:
    """Whether ``task`` reads the key ``path`` (``"data.targets"``; a section name for a whole
    section): a key the dataclasses mark required is required only of the tasks that read it."""
    sections = TASK_SECTIONS.get(task, TASK_SECTIONS["forecast"])
    section, _, key = path.partition(".")
    if section not in sections:
        return False
    return not key or sections[section] is None or key.split(".")[0] in sections[section]
