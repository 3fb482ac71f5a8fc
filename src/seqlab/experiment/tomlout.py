"""Writing a spec back as TOML: the resolved spec of a run, every default spelled out.

The standard library reads TOML (``tomllib``) but does not write it; a spec holds only
strings, numbers, booleans, lists and tables, which this small writer covers.

>>> import tempfile
>>> from seqlab.experiment.validate import spec_from_dict
>>> csv = tempfile.NamedTemporaryFile(suffix=".csv", delete=False).name
>>> spec = spec_from_dict({"data": {"path": csv, "targets": ["Close"]},
...                        "model": {"layers": [{"type": "Dense", "units": 1}]}}, base_dir=".")
>>> dump_spec(spec).splitlines()[2]
'name = "experiment"'
"""
from __future__ import annotations

import dataclasses
import json
import math

from seqlab.experiment.spec import Spec
from seqlab.experiment.tasks import TASK_SECTIONS


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _table(name: str, values: dict, out: list[str]) -> None:
    scalars = {k: v for k, v in values.items() if v is not None and not isinstance(v, dict)
               and not (k == "layers" and isinstance(v, list))}
    nested = any(isinstance(v, dict) or (k == "layers" and isinstance(v, list)) for k, v in values.items())
    if name and (scalars or not nested):  # a table holding only sub-tables needs no header
        out.append(f"\n[{name}]")
    out.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
    for key, value in values.items():
        path = f"{name}.{key}" if name else key
        if isinstance(value, dict):
            _table(path, value, out)
        elif key == "layers" and isinstance(value, list):
            for layer in value:
                out.append(f"\n[[{path}]]")
                out.extend(f"{_key(k)} = {_value(v)}" for k, v in layer.items() if v is not None)


def spec_to_dict(spec: Spec) -> dict:
    """The spec's TOML keys as nested dicts (internal fields left out)."""

    def convert(node):
        if dataclasses.is_dataclass(node):
            return {f.name: convert(getattr(node, f.name)) for f in dataclasses.fields(node)
                    if not f.metadata.get("internal")}
        if isinstance(node, list):
            return [convert(v) for v in node]
        if isinstance(node, dict):
            return {k: convert(v) for k, v in node.items()}
        return node

    # only the sections and keys the spec's task reads, so the file reads back under its task
    sections = TASK_SECTIONS.get(spec.task, TASK_SECTIONS["forecast"])
    table = convert(spec)
    return {name: value if sections[name] is None or not isinstance(value, dict)
            else {key: v for key, v in value.items() if key in sections[name]}
            for name, value in table.items() if name in sections}


def dump_spec(spec: Spec) -> str:
    """TOML text that :func:`~seqlab.experiment.load.load_spec` reads back to an equal spec."""
    out = ["# The resolved spec of this run: every default written out. `seqlab run` this file",
           "# to repeat the run (a data path is relative to the spec file it came from)."]
    _table("", spec_to_dict(spec), out)
    return "\n".join(out).lstrip("\n") + "\n"
