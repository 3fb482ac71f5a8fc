"""ConvLSTM1D / ConvLSTM2D against a float64 step loop written from Keras's ConvLSTMCell
(conv_lstm_reference.py) with the layer's weights copied, forward and gradients; the recurrent
features (masks, states, go_backwards, stateful, trace) through the shared loop; Keras's
weight shapes, parameter counts and output shapes; bad arguments by message."""
import numpy as np
import pytest
import torch

import seqlab
from conv_lstm_reference import conv_lstm_reference
from seqlab.layers import ConvLSTM1D, ConvLSTM2D, LSTM
from seqlab.utils import set_random_seed


def copied(layer):
    return [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in layer.get_weights()]


def reference_for(layer, x, **kwargs):
    kernel, recurrent, bias = copied(layer)
    return conv_lstm_reference(x, kernel, recurrent, bias, layer.strides, layer.padding, layer.dilation_rate,
                               **kwargs), (kernel, recurrent, bias)


# (padding, strides, dilation_rate, kernel_size). Keras refuses strides > 1 with dilation > 1;
# seqlab's convolutions compute it (docs/convolution.md), so one case covers it.
CASES_2D = [("valid", 1, 1, (3, 3)), ("same", 1, 1, (2, 3)), ("valid", 2, 1, (2, 3)), ("same", 2, 1, (3, 3)),
            ("valid", 1, 2, (2, 3)), ("same", 1, 2, (3, 3)), ("same", 2, 2, (2, 2))]


@pytest.mark.parametrize("padding, stride, dilation, kernel", CASES_2D)
def test_conv_lstm2d_matches_keras_step_loop_forward_and_gradients(padding, stride, dilation, kernel):
    set_random_seed(31)
    x = torch.randn(2, 3, 7, 6, 2, dtype=torch.float64, requires_grad=True)
    layer = ConvLSTM2D(3, kernel, strides=stride, padding=padding, dilation_rate=dilation, dtype="float64",
                       bias_initializer="random_normal", return_sequences=True, return_state=True)
    out, h, c = layer(x)
    (ref_out, ref_h, ref_c, _), ref_weights = reference_for(layer, x)
    assert out.shape == ref_out.shape == layer.compute_output_shape((2, 3, 7, 6, 2))
    for a, b in zip((out, h, c), (ref_out, ref_h, ref_c)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    # Gradients of one scalar w.r.t. input and every weight (Keras layout) agree.
    probe = torch.randn_like(out)
    loss = (out * probe).sum() + (c * c).sum()
    ref_loss = (ref_out * probe).sum() + (ref_c * ref_c).sum()
    mine = torch.autograd.grad(loss, [x, layer.weight_ih, layer.weight_hh, layer.bias])
    theirs = torch.autograd.grad(ref_loss, [x, *ref_weights])
    torch.testing.assert_close(mine[0], theirs[0], rtol=0, atol=1e-10)
    torch.testing.assert_close(mine[3], theirs[3], rtol=0, atol=1e-10)
    for stored, keras in zip(mine[1:3], theirs[1:3]):  # stored (4F, in, kh, kw) vs Keras (kh, kw, in, 4F)
        torch.testing.assert_close(stored.permute(2, 3, 1, 0), keras, rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding, stride, dilation", [("valid", 1, 1), ("same", 1, 2), ("same", 2, 1), ("valid", 3, 1)])
def test_conv_lstm1d_matches_keras_step_loop(padding, stride, dilation):
    set_random_seed(32)
    x = torch.randn(3, 5, 9, 2, dtype=torch.float64)
    layer = ConvLSTM1D(4, 3, strides=stride, padding=padding, dilation_rate=dilation, dtype="float64",
                       bias_initializer="random_normal", return_state=True)
    out, h, c = layer(x)
    (_, ref_h, ref_c, _), _ = reference_for(layer, x)
    assert out.shape == layer.compute_output_shape((3, 5, 9, 2))
    torch.testing.assert_close(out, ref_h, rtol=0, atol=1e-10)
    torch.testing.assert_close(c, ref_c, rtol=0, atol=1e-10)


def test_go_backwards_mask_and_initial_state_follow_the_reference():
    set_random_seed(33)
    x = torch.randn(3, 5, 6, 2, dtype=torch.float64)
    mask = torch.tensor([[True] * 5, [True, True, False, True, False], [False, True, True, True, True]])
    h0, c0 = torch.randn(3, 6, 4, dtype=torch.float64), torch.randn(3, 6, 4, dtype=torch.float64)
    layer = ConvLSTM1D(4, 3, padding="same", go_backwards=True, return_sequences=True, return_state=True,
                       dtype="float64", bias_initializer="random_normal")
    out, h, c = layer(x, mask=mask, initial_state=[h0, c0])
    (ref_out, ref_h, ref_c, _), _ = reference_for(layer, x, h0=h0, c0=c0, mask=mask, go_backwards=True)
    for a, b in zip((out, h, c), (ref_out, ref_h, ref_c)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_stateful_carries_feature_map_states_between_batches():
    set_random_seed(34)
    x = torch.randn(2, 6, 5, 5, 1, dtype=torch.float64)
    whole = ConvLSTM2D(2, 3, padding="same", dtype="float64", return_sequences=True)
    split = ConvLSTM2D(2, 3, padding="same", dtype="float64", return_sequences=True, stateful=True)
    expected = whole(x)
    split.build_from_shape((2, 6, 5, 5, 1))
    split.set_weights(whole.get_weights())
    got = torch.cat([split(x[:, :3]), split(x[:, 3:])], dim=1)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)
    assert [tuple(s.shape) for s in split.states] == [(2, 5, 5, 2), (2, 5, 5, 2)]
    split.reset_states()
    torch.testing.assert_close(split(x[:, :3]), expected[:, :3], rtol=0, atol=1e-12)


def test_trace_records_every_gate_as_feature_maps():
    set_random_seed(35)
    x = torch.randn(2, 4, 5, 5, 2, dtype=torch.float64)
    layer = ConvLSTM2D(3, 3, padding="same", dtype="float64", name="convlstm", return_sequences=True)
    model = seqlab.models.Sequential([layer])
    trace = seqlab.inspect.trace(model, x)["convlstm"]
    (_, _, _, gates), _ = reference_for(layer, x)
    assert trace.hidden.shape == trace.cell.shape == (2, 4, 5, 5, 3)
    for position, name in enumerate(["input", "forget", "candidate", "output"]):
        expected = torch.stack([g[position] for g in gates], dim=1).detach().numpy()
        np.testing.assert_allclose(trace.gates[name], expected, rtol=0, atol=1e-10)


def test_channels_first_gives_the_transposed_result():
    set_random_seed(36)
    x = torch.randn(2, 3, 6, 5, 2, dtype=torch.float64)
    last = ConvLSTM2D(3, 3, strides=2, padding="same", dtype="float64", return_sequences=True,
                      bias_initializer="random_normal")
    first = ConvLSTM2D(3, 3, strides=2, padding="same", dtype="float64", return_sequences=True,
                       data_format="channels_first")
    out = last(x)
    first.build_from_shape((None, 3, 2, 6, 5))
    first.set_weights(last.get_weights())
    torch.testing.assert_close(first(x.permute(0, 1, 4, 2, 3)), out.permute(0, 1, 4, 2, 3), rtol=0, atol=1e-12)


@pytest.mark.parametrize("make, shape", [
    (lambda: ConvLSTM1D(2, 2, padding="same", dtype="float64", bias_initializer="random_normal",
                        return_sequences=True), (1, 2, 3, 1)),
    (lambda: ConvLSTM2D(1, (2, 1), strides=(1, 2), dtype="float64", activation="relu", unit_forget_bias=False),
     (1, 2, 3, 4, 1)),
])
def test_gradcheck_float64(make, shape):
    set_random_seed(37)
    layer = make()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    layer(x)
    assert torch.autograd.gradcheck(lambda x, *p: layer(x), (x, *layer.parameters()))


def test_parameter_counts_from_keras_weight_shapes():
    # Keras's ConvLSTMCell.build: kernel (3, 3, 2, 16), recurrent_kernel (3, 3, 4, 16), bias (16,).
    layer = ConvLSTM2D(filters=4, kernel_size=3)
    layer.build_from_shape((None, 5, 8, 8, 2))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 2, 16), (3, 3, 4, 16), (16,)]
    assert layer.count_params() == 3 * 3 * 2 * 16 + 3 * 3 * 4 * 16 + 16 == 880
    one = ConvLSTM1D(8, 5, use_bias=False)
    one.build_from_shape((None, 5, 20, 3))
    assert one.count_params() == 5 * 3 * 32 + 5 * 8 * 32 == 1760


def test_unit_forget_bias_and_orthogonal_recurrent_kernel_as_keras():
    layer = ConvLSTM2D(4, 3, dtype="float64")
    layer.build_from_shape((None, 2, 6, 6, 2))
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    # Keras's Orthogonal flattens (3, 3, 4, 16) to (36, 16): orthonormal columns.
    flat = recurrent.reshape(36, 16)
    np.testing.assert_allclose(flat.T @ flat, np.eye(16), atol=1e-10)


@pytest.mark.parametrize("padding, stride, dilation, expected", [
    ("valid", 1, 1, (None, 5, 6, 4, 3)),   # 8 - 3 + 1, 6 - 3 + 1
    ("same", 1, 1, (None, 5, 8, 6, 3)),
    ("valid", 2, 1, (None, 5, 3, 2, 3)),   # floor((8 - 3) / 2) + 1, floor((6 - 3) / 2) + 1
    ("same", 2, 1, (None, 5, 4, 3, 3)),    # ceil(8 / 2), ceil(6 / 2)
    ("valid", 1, 2, (None, 5, 4, 2, 3)),   # 8 - 2 * 2, 6 - 2 * 2
])
def test_output_shapes_follow_keras_conv_rules(padding, stride, dilation, expected):
    layer = ConvLSTM2D(3, 3, strides=stride, padding=padding, dilation_rate=dilation, return_sequences=True)
    assert layer.compute_output_shape((None, 5, 8, 6, 2)) == expected
    assert layer(torch.zeros(1, 5, 8, 6, 2)).shape == (1, *expected[1:])


def test_dropout_only_while_training_and_seeded():
    set_random_seed(38)
    x = torch.randn(2, 3, 5, 2)
    layer = ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    plain = ConvLSTM1D(2, 3)
    inference = layer(x, training=False)
    plain.build_from_shape((None, 3, 5, 2))
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(inference, plain(x, training=False))
    assert not torch.allclose(layer(x, training=True), inference)


def test_lstm_is_unchanged_by_the_generalised_loop():
    # The step loop and the fused kernel still agree for LSTM after the loop took feature maps.
    set_random_seed(39)
    x = torch.randn(3, 6, 2, dtype=torch.float64)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2, [False] + [True] * 5])
    fused = LSTM(4, return_sequences=True, dtype="float64")
    loop = LSTM(4, return_sequences=True, dtype="float64", use_cudnn=False)
    expected = fused(x, mask=mask)
    loop.build_from_shape((None, 6, 2))
    loop.set_weights(fused.get_weights())
    torch.testing.assert_close(loop(x, mask=mask), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("make, error, message", [
    (lambda: ConvLSTM2D(4, 3, padding="causal"), ValueError, r"ConvLSTM2D: `padding` must be one of \('valid', 'same'\), got 'causal'"),
    (lambda: ConvLSTM1D(0, 3), ValueError, r"ConvLSTM1D: `units` must be a positive integer, got 0"),
    (lambda: ConvLSTM1D(4, (3, 3)), TypeError, r"ConvLSTM1D: `kernel_size` must be an integer or a tuple of 1 integers"),
    (lambda: ConvLSTM2D(4, 3, dropout=1.5), ValueError, r"ConvLSTM2D: `dropout`"),
    (lambda: ConvLSTM2D(4, 3, data_format="nhwc"), ValueError, r"ConvLSTM2D: `data_format` must be one of"),
])
def test_bad_arguments_are_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_inputs_are_refused_by_message():
    layer = ConvLSTM2D(2, 3)
    with pytest.raises(ValueError, match=r"layer 'conv_lstm2d\w*' \(ConvLSTM2D\) expects 5-D input \(samples, timesteps, "
                                         r"rows, cols, channels\), got shape \(2, 4, 8, 8\)"):
        layer(torch.zeros(2, 4, 8, 8))
    with pytest.raises(ValueError, match=r"needs known spatial sizes and channels"):
        ConvLSTM2D(2, 3).build_from_shape((None, 4, None, 8, 1))
    with pytest.raises(ValueError, match=r"`kernel_size`=\(3, 3\) is larger than the input's spatial size \(2, 8\)"):
        ConvLSTM2D(2, 3)(torch.zeros(1, 4, 2, 8, 1))
    layer(torch.zeros(2, 4, 8, 8, 1))
    with pytest.raises(ValueError, match=r"was built for timesteps of shape \(8, 8, 1\), got input of shape \(2, 4, 9, 8, 1\)"):
        layer(torch.zeros(2, 4, 9, 8, 1))
    with pytest.raises(ValueError, match=r"each initial state must have shape \(batch, rows, cols, filters\) = \(2, 6, 6, 2\), "
                                         r"got Tensor of shape \(2, 8, 8, 2\)"):
        layer(torch.zeros(2, 4, 8, 8, 1), initial_state=[torch.zeros(2, 8, 8, 2)] * 2)
