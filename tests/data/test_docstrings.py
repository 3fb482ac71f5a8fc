"""The ``>>>`` examples in the data modules' docstrings run and give what they show."""
import doctest
import importlib

import pytest

MODULES = ["windows", "split", "scaling", "framing", "encoding", "padding", "text", "missing", "csv"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"seqlab.data.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"seqlab.data.{name} has no >>> example"
    assert result.failed == 0
