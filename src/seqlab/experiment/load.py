"""Reading a spec file: TOML in, a validated :class:`~seqlab.experiment.spec.Spec` out.

The first step of a spec's road (file → load → check → resolve → run → report): this module
reads the text, indexes the line of every key (so that every later error names its line) and
hands the parsed table to :func:`~seqlab.experiment.validate.spec_from_dict`.
"""
from __future__ import annotations

import os
import re
import sys

from seqlab.experiment.errors import SpecError
from seqlab.experiment.spec import Spec
from seqlab.experiment.validate import spec_from_dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def line_index(text: str) -> dict[str, int]:
    """Map each key path (``training.epochs``, ``model.layers[1].units``) to its line (1-based)."""
    index: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_HEADER.match(line):
            name = _clean(match.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = f"{name}[{counts[name]}]"
            index.setdefault(name, number)
        elif match := _TABLE_HEADER.match(line):
            table = _clean(match.group(1))
        elif match := _KEY.match(line):
            key = _clean(match.group(1))
            # a table nested in an array of tables: "model.layers[0]" + "x"
            index.setdefault(f"{table}.{key}" if table else key, number)
            continue
        else:
            continue
        index.setdefault(table, number)
    return index


def _clean(dotted: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in dotted.split("."))


def load_spec(path) -> Spec:
    """Read and validate a TOML spec file.

    Raises:
        SpecError: the file is missing, not TOML, or not a valid spec (every problem listed).
    """
    path = os.fspath(path)
    data, text = read_spec_file(path)
    return spec_from_dict(data, line_index(text), path, os.path.dirname(os.path.abspath(path)))


def read_spec_file(path: str) -> tuple[dict, str]:
    """The parsed TOML table of a spec file and its text (``SpecError`` if missing or not TOML)."""
    if not os.path.isfile(path):
        raise SpecError([("", None, f"spec file {path!r} does not exist")])
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
        return tomllib.loads(text), text
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SpecError([("", None, f"not valid TOML: {error}")], path) from None
