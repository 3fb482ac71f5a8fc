"""The one road of `layer(x)`: conversion, the declared rank rule, first build, extra call arguments."""
import numpy as np
import pytest
import torch

from seqlab.layers import GRU, LSTM, Bidirectional, Conv1D, Dense, Embedding, Layer, RecurrentLayer


class Shift(Layer):
    """A layer with a declared rank and an extra call argument, as the next floor's layers have."""

    input_ndim = 3

    def call(self, inputs, training=False, mask=None, offset=0.0):
        return inputs + offset


def test_extra_call_arguments_pass_through_to_call():
    layer = Shift()
    assert layer(np.zeros((1, 2, 3)), offset=1.5).tolist() == [[[1.5] * 3] * 2]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'offst'"):
        layer(torch.zeros(1, 2, 3), offst=1.0)


def test_a_declared_rank_gets_keras_inputspec_message_before_build():
    with pytest.raises(ValueError, match=r"layer 'shift\w*' \(Shift\) expected ndim=3, found ndim=2\. "
                                         r"Full shape received: \(32, 8\)"):
        Shift()(torch.zeros(32, 8))

    class AtLeastTwo(Shift):
        input_ndim = None
        input_min_ndim = 2

    with pytest.raises(ValueError, match=r"expected min_ndim=2, found ndim=1\. Full shape received: \(5,\)"):
        AtLeastTwo()(torch.zeros(5))


def test_building_fixes_the_rank_every_later_call_is_checked_against():
    layer = Embedding(5, 2)
    layer(torch.zeros(2, 4, dtype=torch.long))
    assert layer.input_ndim == 2
    layer(torch.zeros(2, 9, dtype=torch.long))  # another length is fine, another rank is not
    with pytest.raises(ValueError, match=r"expects 2-D input with shape \(None, 4\), got shape \(2, 4, 1\)"):
        layer(torch.zeros(2, 4, 1, dtype=torch.long))


def test_the_rank_rule_is_declared_not_rewritten():
    # Each layer says how many axes it takes; the base's `check_rank` is the one check.
    assert (RecurrentLayer.input_ndim, Bidirectional.input_ndim, Dense.input_min_ndim) == (3, 3, 2)
    assert Conv1D(2, 3).input_ndim == 3
    for cls in (RecurrentLayer, Bidirectional, LSTM, GRU, Conv1D, Dense):
        assert "forward" not in vars(cls) and "check_rank" not in vars(cls), cls


def test_initial_state_travels_the_base_road():
    layer = LSTM(3, return_state=True)
    x = torch.zeros(2, 4, 1, dtype=torch.float64)  # cast by the base to the weights' float32
    state = [torch.ones(2, 3), torch.ones(2, 3)]
    out, h, c = layer(x, initial_state=state)
    assert out.dtype == torch.float32 and not torch.allclose(h, torch.zeros(2, 3))
    both = Bidirectional(LSTM(3))
    assert both(x, initial_state=state * 2).shape == (2, 6)


class _Concat(Layer):
    """A layer of several inputs, as Concatenate will be."""

    takes_input_list = True
    input_ndim = 2

    def build(self, input_shape):
        self.seen = input_shape

    def call(self, inputs, training=False, mask=None):
        return torch.cat(inputs, dim=-1)


def test_a_layer_of_several_inputs_takes_a_list_converts_each_and_builds_on_their_shapes():
    layer = _Concat()
    out = layer([np.ones((2, 3), dtype=np.int64), torch.zeros(2, 4)])
    assert out.dtype == torch.float32 and out.shape == (2, 7)  # integers taken as float, as a single input
    assert layer.seen == [(None, 3), (None, 4)] and layer.input_shape_ == [(None, 3), (None, 4)]
    assert layer.compute_output_shape([(None, 3), (None, 5)]) == (None, 8)
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3"):
        layer([torch.ones(2, 3), torch.ones(2, 1, 4)])
    with pytest.raises(TypeError, match=r"layer '.*' \(_Concat\) takes a list of tensors, e.g. _Concat\(\)\(\[a, b\]\), got Tensor of shape \(2, 3\)"):
        layer(torch.ones(2, 3))
