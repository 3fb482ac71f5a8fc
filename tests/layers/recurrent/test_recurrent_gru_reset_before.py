"""Keras 2's GRU, ``reset_after=False``: against a float64 NumPy transcription of its equations."""
import numpy as np
import pytest
import torch
from rnn_reference import reference_for

from seqlab.inspect import trace
from seqlab.layers import GRU, Dense
from seqlab.layers.recurrent.cells import gru_cell
from seqlab.models import Sequential, load_model
from seqlab.utils import set_random_seed

TIGHT = {"rtol": 1e-10, "atol": 1e-12}


def randomized(layer, x):
    layer(torch.as_tensor(x))  # build
    generator = np.random.default_rng(3)
    layer.set_weights([generator.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("options", [{}, {"activation": "relu"}, {"go_backwards": True}, {"use_bias": False}])
def test_outputs_and_gates_follow_keras_2s_equations(options):
    x = np.random.default_rng(0).normal(size=(3, 6, 2))
    layer = randomized(GRU(4, reset_after=False, return_sequences=True, dtype="float64", **options), x)
    expected = reference_for(layer, x)
    np.testing.assert_allclose(layer(torch.as_tensor(x)).detach().numpy(), expected["outputs"], **TIGHT)
    model = Sequential([layer])
    traced = trace(model, x)[layer.name]
    for gate in ("update", "reset", "candidate"):
        got = traced.gates[gate]  # both in the order the layer processed the timesteps
        np.testing.assert_allclose(got, expected["gates"][gate], **TIGHT)


def test_masked_timesteps_carry_the_state_as_in_keras():
    x = np.random.default_rng(1).normal(size=(2, 5, 2))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    layer = randomized(GRU(3, reset_after=False, return_sequences=True, dtype="float64"), x)
    got = layer(torch.as_tensor(x), mask=torch.as_tensor(mask)).detach().numpy()
    np.testing.assert_allclose(got, reference_for(layer, x, mask=mask)["outputs"], **TIGHT)


def test_parameter_count_and_keras_weight_shapes():
    layer = GRU(32, reset_after=False)
    layer(torch.zeros(1, 7, 1))
    assert layer.count_params() == 3 * (1 * 32 + 32 * 32 + 32) == 3264
    assert [w.shape for w in layer.get_weights()] == [(1, 96), (32, 96), (96,)]


def test_gradcheck_on_the_step():
    cell = gru_cell(torch.tanh, torch.sigmoid, reset_after=False)
    torch.manual_seed(0)
    x_proj = torch.randn(2, 9, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    weight_hh = torch.randn(9, 3, dtype=torch.float64, requires_grad=True)

    def step(x_proj, h, weight_hh):
        out, _, gates = cell.step(x_proj, (h,), weight_hh.t(), None, None)
        return (out, *gates)

    assert torch.autograd.gradcheck(step, (x_proj, h, weight_hh))


def test_it_runs_on_the_step_loop_and_says_why():
    layer = GRU(4, reset_after=False)
    assert layer.execution_path() == "loop"
    assert layer._loop_reasons(True) == ["reset_after=False (Keras 2's GRU) has no fused kernel"]
    with pytest.raises(ValueError, match=r"`use_cudnn=True` needs settings the fused kernels support .* got "
                                         r"reset_after=False \(Keras 2's GRU\) has no fused kernel"):
        GRU(4, reset_after=False, use_cudnn=True)
    with pytest.raises(TypeError, match="GRU: `reset_after` must be True or False, got 'no'"):
        GRU(4, reset_after="no")


def test_it_trains_and_round_trips_through_a_model_file(tmp_path):
    set_random_seed(0)
    x, y = np.random.rand(16, 5, 2), np.random.rand(16, 1)
    model = Sequential([GRU(4, reset_after=False, input_shape=(5, 2)), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "gru.seqlab")
    loaded = load_model(tmp_path / "gru.seqlab")
    assert loaded.layers[0].reset_after is False
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
