"""The ``>>>`` examples of the model classes, Input and symbolic tensors run and give what they show."""
import doctest
import importlib

import pytest

MODULES = ["seqlab.models.model", "seqlab.models.functional", "seqlab.models.sequential",
           "seqlab.layers.symbolic", "seqlab.layers.input_layer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no >>> example"
    assert result.failed == 0
