"""Validating a parsed spec: every mistake named by key path, line and expectation.

Types and bounds are checked against the dataclasses of :mod:`seqlab.experiment.spec`, then
the checks across keys (:mod:`seqlab.experiment.checks`) run on the sections whose keys all
have the right types. Reading the file is :mod:`seqlab.experiment.load`'s job, one floor up.

>>> spec = spec_from_dict({"data": {"source": "aapl", "targets": ["Close"]},
...                        "model": {"layers": [{"type": "Dense", "units": 1}]}})
>>> spec.windows.look_back
20
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
import typing
from typing import Any, Literal, Union

from seqlab.experiment import spec as schema
from seqlab.experiment.checks import check_spec
from seqlab.experiment.errors import SpecError, locate
from seqlab.experiment.classify.checks import check_classify_spec
from seqlab.experiment.generate.checks import check_generate_spec
from seqlab.experiment.tasks import check_task_keys, task_of, task_reads
from seqlab.experiment.search_space import describe_table, find_search_spaces


# ---- conversion against the dataclasses ---------------------------------------------------
class _Checker:
    def __init__(self, lines: dict[str, int], reads=lambda path: True):
        self.lines = lines
        self.reads = reads  # whether the spec's task reads a key: only those marked required are
        self.problems: list[tuple[str, int | None, str]] = []
        self.broken_sections: set[str] = set()

    def fail(self, path: str, message: str, breaks_section: bool = True):
        self.problems.append((path, locate(self.lines, path), message))
        if breaks_section:  # a mistyped value: cross-key checks of its section would trip over it
            self.broken_sections.add(re.split(r"[.\[]", path)[0])

    def table(self, cls, data, path: str):
        if not isinstance(data, dict):
            self.fail(path, f"expected a table, got {_kind(data)} {data!r}")
            return cls()
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
        for key in data:
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(fields)}"
                # the key is ignored and its field keeps its default: the section is still checkable
                self.fail(_join(path, key), f"unknown key{hint}", breaks_section=False)
        values = {}
        for name, spec_field in fields.items():
            key_path = _join(path, name)
            if name not in data:
                if spec_field.metadata.get("required") and self.reads(key_path):
                    self.fail(key_path, "is required")
                continue
            values[name] = self.value(hints[name], data[name], key_path, spec_field.metadata)
        return cls(**values)

    def value(self, hint, value, path: str, meta: dict) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is Union:  # Optional[X]
            inner = [a for a in args if a is not type(None)][0]
            if dataclasses.is_dataclass(inner) and isinstance(value, bool):
                return inner() if value else None  # `early_stopping = true` turns on the defaults
            return self.value(inner, value, path, meta)
        if dataclasses.is_dataclass(hint):
            return self.table(hint, value, path)
        if origin is Literal:
            if value not in args:
                close = difflib.get_close_matches(str(value), [str(a) for a in args], n=1)
                hint_text = f"; did you mean '{close[0]}'?" if close else ""
                self.fail(path, f"must be one of {', '.join(map(repr, args))}, got {value!r}{hint_text}")
            return value
        if origin is list:
            if not isinstance(value, list):
                self.fail(path, f"expected a list, got {_kind(value)} {value!r}")
                return []
            if meta.get("nonempty") and not value:
                self.fail(path, "must not be empty")
            return [self.value(args[0], item, f"{path}[{i}]", {}) for i, item in enumerate(value)]
        if origin is dict or hint is Any:
            if origin is dict and not isinstance(value, dict):
                self.fail(path, f"expected a table, got {_kind(value)} {value!r}")
            return value
        return self.scalar(hint, value, path, meta)

    def scalar(self, hint, value, path: str, meta: dict):
        expected = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}[hint]
        ok = (isinstance(value, hint) and not (hint is int and isinstance(value, bool))) or (
            hint is float and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            self.fail(path, f"expected {expected}, got {_kind(value)} {value!r}")
            return value
        value = float(value) if hint is float else value
        if hint is float and not math.isfinite(value):  # TOML writes inf and nan; no key means them
            self.fail(path, f"must be a finite number, got {value!r}")
            return value
        bounds = [("min", lambda v, b: v >= b, ">="), ("max", lambda v, b: v <= b, "<="),
                  ("min_exclusive", lambda v, b: v > b, ">"), ("max_exclusive", lambda v, b: v < b, "<")]
        for key, test, word in bounds:
            if key in meta and not test(value, meta[key]):
                self.fail(path, f"must be {word} {meta[key]}, got {value!r}")
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "table"}.get(type(value), type(value).__name__)


# Checks across keys, by the spec's task (the sections each task reads: seqlab.experiment.tasks).
TASK_CHECKS = {"forecast": check_spec, "generate": check_generate_spec, "classify": check_classify_spec}


# ---- entry point ----------------------------------------------------------------------------
def spec_from_dict(data: dict, lines: dict[str, int] | None = None, source: str | None = None,
                   base_dir: str | None = None) -> schema.Spec:
    """Validate a parsed spec; raise :class:`SpecError` listing every problem found.

    A search space (``units = {int = [16, 128]}``) is refused: a spec names one model, and
    ``seqlab tune`` (:mod:`seqlab.experiment.tuning_spec`) puts a value in its place first.
    """
    spaces = find_search_spaces(data) if isinstance(data, dict) else []
    if spaces:
        raise SpecError([(path, locate(lines or {}, path),
                          f"is a search space {describe_table(table)}; `seqlab run` trains one model: give one "
                          "value, or search it with `seqlab tune SPEC --trials N`")
                         for path, _, table in spaces], source)
    checker = _Checker(lines or {}, lambda path: task_reads(task_of(data), path))
    if isinstance(data, dict):
        check_task_keys(data, lambda path, message: checker.fail(path, message, breaks_section=False))
    spec = checker.table(schema.Spec, data, "")
    spec.lines, spec.source, spec.base_dir = dict(lines or {}), source, base_dir
    # Cross-key checks of the sections whose keys all have the right types, so one pass lists
    # every problem without tripping over a value already reported as mistyped.
    TASK_CHECKS.get(task_of(data), check_spec)(spec, checker.fail, skip=frozenset(checker.broken_sections))
    if checker.problems:
        raise SpecError(sorted(checker.problems, key=lambda p: (p[1] is None, p[1] or 0)), source)
    return spec

