"""seqlab.inspect.attribute: integrated gradients' completeness, saliency against torch.autograd,
occlusion against a hand loop; LSTM, GRU, SimpleRNN and Embedding inputs; errors by message."""
import numpy as np
import pytest
import torch

from seqlab.inspect import attribute
from seqlab.layers import GRU, LSTM, Dense, Embedding, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


def recurrent_model(cell, outputs=1):
    set_random_seed(0)
    return Sequential([cell(6, input_shape=(7, 3)), Dense(outputs)])


def flat(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x, dtype=torch.float32)).reshape(len(x), -1).numpy()


@pytest.mark.parametrize("cell", [LSTM, GRU, SimpleRNN])
def test_integrated_gradients_add_up_to_output_minus_baseline(cell):
    model = recurrent_model(cell, outputs=2)
    x = np.random.default_rng(1).normal(size=(4, 7, 3)).astype("float32")
    baseline = np.full_like(x, 0.3)
    for target, base in ((1, None), (0, baseline)):
        result = attribute(model, x, target=target, baselines=base, steps=64)
        assert result.shape == (4, 7, 3)
        reference = np.zeros_like(x) if base is None else base
        change = flat(model, x)[:, target] - flat(model, reference)[:, target]
        np.testing.assert_allclose(result.sum(axis=(1, 2)), change, rtol=0.01, atol=1e-4 * np.abs(change).max())


def test_saliency_is_the_absolute_gradient():
    model = recurrent_model(LSTM, outputs=3)
    x = torch.as_tensor(np.random.default_rng(2).normal(size=(2, 7, 3)), dtype=torch.float32)
    result = attribute(model, x, target=2, method="saliency")
    x = x.clone().requires_grad_(True)
    model.eval()
    model(x)[:, 2].sum().backward()
    np.testing.assert_allclose(result, x.grad.abs().numpy(), rtol=1e-5, atol=1e-7)


def test_occlusion_is_a_hand_loop():
    model = recurrent_model(GRU)
    x = np.random.default_rng(3).normal(size=(2, 7, 3)).astype("float32")
    result = attribute(model, x, method="occlusion")
    expected = np.zeros_like(x)
    full = flat(model, x)[:, 0]
    for t in range(7):
        for f in range(3):
            occluded = x.copy()
            occluded[:, t, f] = 0.0
            expected[:, t, f] = full - flat(model, occluded)[:, 0]
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6)


def token_model():
    set_random_seed(4)
    return Sequential([Embedding(10, 5, input_shape=(6,)), LSTM(4), Dense(3)])


def test_token_ids_attribute_to_the_embedding_output():
    model = token_model()
    ids = np.random.default_rng(5).integers(1, 10, size=(3, 6))
    result = attribute(model, ids, target=1, steps=64)
    assert result.shape == (3, 6)
    with torch.no_grad():
        model.eval()
        out = model(torch.as_tensor(ids))[:, 1].numpy()
        base = model(torch.zeros(3, 6, dtype=torch.long))[:, 1].numpy()
    np.testing.assert_allclose(result.sum(axis=1), out - base, rtol=0.01, atol=1e-5)
    occlusion = attribute(model, ids, target=1, method="occlusion")
    occluded = ids.copy()
    occluded[:, 2] = 0
    with torch.no_grad():
        drop = out - model(torch.as_tensor(occluded))[:, 1].numpy()
    np.testing.assert_allclose(occlusion[:, 2], drop, rtol=1e-5, atol=1e-6)
    assert attribute(model, ids, target=1, method="saliency").shape == (3, 6)


def test_errors_by_message():
    model = recurrent_model(LSTM, outputs=2)
    x = np.zeros((1, 7, 3), dtype="float32")
    with pytest.raises(ValueError, match=r"`method` must be one of \['integrated_gradients', 'saliency', 'occlusion'\], got 'lime'"):
        attribute(model, x, target=0, method="lime")
    with pytest.raises(ValueError, match=r"`target` must be in \[0, 2\) \(the model's flattened outputs\), got 2"):
        attribute(model, x, target=2)
    with pytest.raises(ValueError, match=r"`target` is needed: the model has 2 outputs"):
        attribute(model, x)
    with pytest.raises(ValueError, match=r"`baselines` must have the shape of `x` \(1, 7, 3\)"):
        attribute(model, x, target=0, baselines=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="needs a model that reads token ids with an Embedding"):
        attribute(model, np.zeros((1, 7, 3), dtype="int64"), target=0)


def test_without_captum_the_error_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "captum", None)  # what `import captum` does when it is absent
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match=r"pip install 'seqlab\[inspect\]'"):
        attribute(recurrent_model(LSTM), np.zeros((1, 7, 3), dtype="float32"))
