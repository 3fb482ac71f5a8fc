"""The ``>>>`` examples in the recurrent and inspect modules' docstrings run and give what they show."""
import doctest
import importlib

import pytest

MODULES = ["seqlab.layers.recurrent.lstm", "seqlab.layers.recurrent.gru", "seqlab.layers.recurrent.simple_rnn",
           "seqlab.layers.recurrent.wrappers", "seqlab.layers.recurrent.masking",
           "seqlab.layers.recurrent.embedding", "seqlab.layers.recurrent.loop", "seqlab.layers.recurrent.paths",
           "seqlab.layers.recurrent.inplace", "seqlab.layers.recurrent.bptt",
           "seqlab.layers.recurrent.inplace_train",
           "seqlab.inspect.trace",
           "seqlab.inspect.gradients"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no >>> example"
    assert result.failed == 0
