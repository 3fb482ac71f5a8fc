"""Text corpora by name, for ``task = "generate"`` (``text.source`` of a spec).

- ``python-help``: the help text of every Python keyword and topic (``help("if")``), as it
  ships inside every CPython install (the standard library's ``pydoc_data.topics``; about
  460,000 characters of English prose and code, Python Software Foundation licence). It is read
  from your own Python, never copied into seqlab, so the generate demo needs no download.
- ``tinyshakespeare``: Karpathy's 1,115,394-character corpus (public domain), read from the data
  folder (:func:`seqlab.datasets.load_shakespeare`), not bundled.
"""
from __future__ import annotations

import importlib

from seqlab.datasets.text import load_shakespeare


def load_python_help() -> str:
    """Python's own help topics, joined in the order of their names (so the text is the same
    on every run of one Python version).

    >>> text = load_python_help()
    >>> len(text) > 100_000
    True
    """
    # The module is data, not code seqlab depends on: a Python built without it says so plainly.
    try:
        topics = importlib.import_module("pydoc_data.topics").topics
    except ImportError as error:
        raise FileNotFoundError("text source 'python-help' reads the standard library's pydoc_data.topics, "
                                f"which this Python lacks ({error}); give text.path instead") from None
    return "\n\n".join(topics[name].strip("\n") for name in sorted(topics)) + "\n"


TEXT_SOURCES = {"python-help": load_python_help, "tinyshakespeare": load_shakespeare}


def text_source_names() -> list[str]:
    return sorted(TEXT_SOURCES)


def load_text_source(name: str) -> str:
    """The text of a named corpus (``FileNotFoundError`` when a not-bundled one is absent)."""
    if name not in TEXT_SOURCES:
        raise ValueError(f"text.source must be one of {', '.join(map(repr, text_source_names()))}, got {name!r}")
    return TEXT_SOURCES[name]()
