"""The ``>>>`` examples in the attention modules' docstrings run and give what they show."""
import doctest
import importlib

import pytest

MODULES = ["seqlab.layers.attention.attention", "seqlab.layers.attention.additive_attention",
           "seqlab.layers.attention.multi_head_attention"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no >>> example"
    assert result.failed == 0
