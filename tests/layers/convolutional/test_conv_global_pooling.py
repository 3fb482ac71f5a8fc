"""Global max/average pooling against NumPy reductions, with masks and keepdims."""
import numpy as np
import pytest
import torch

from seqlab.layers import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D,
                           GlobalMaxPooling2D, deserialize, serialize)
from seqlab.utils import set_random_seed


@pytest.mark.parametrize("cls, reduce, axes", [
    (GlobalMaxPooling1D, np.max, (1,)), (GlobalAveragePooling1D, np.mean, (1,)),
    (GlobalMaxPooling2D, np.max, (1, 2)), (GlobalAveragePooling2D, np.mean, (1, 2)),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_numpy(cls, reduce, axes, keepdims):
    set_random_seed(1)
    shape = (3, 5, 4) if len(axes) == 1 else (3, 5, 6, 4)
    x = np.random.randn(*shape)
    layer = cls(keepdims=keepdims, dtype="float64")
    out = layer(torch.as_tensor(x)).numpy()
    expected = reduce(x, axis=axes, keepdims=keepdims)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *expected.shape[1:])


def test_channels_first_reduces_the_trailing_axes():
    set_random_seed(2)
    x = torch.randn(2, 3, 5, 6)
    torch.testing.assert_close(GlobalAveragePooling2D(data_format="channels_first")(x), x.mean(dim=(2, 3)))
    torch.testing.assert_close(GlobalMaxPooling1D(data_format="channels_first")(x[..., 0]), x[..., 0].amax(dim=2))


def test_masked_average_uses_only_unmasked_steps():
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]], [[5.0], [5.0], [5.0]]])
    mask = torch.tensor([[True, True, False], [True, True, True], [False, False, False]])
    layer = GlobalAveragePooling1D()
    out = layer(x, mask=mask)
    # (1 + 3) / 2, (2 + 4 + 6) / 3; a sample with every step masked averages nothing: 0
    assert out.flatten().tolist() == [2.0, 4.0, 0.0]
    assert layer.compute_mask(x, mask) is None


def test_gradcheck_masked_average_float64():
    set_random_seed(3)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    layer = GlobalAveragePooling1D(dtype="float64")
    assert torch.autograd.gradcheck(lambda inp: layer(inp, mask=mask), (x,))


def test_round_trip_and_errors():
    layer = GlobalMaxPooling2D(keepdims=True, data_format="channels_first")
    rebuilt = deserialize(serialize(layer))
    assert rebuilt.get_config() == layer.get_config() and repr(rebuilt) == repr(layer)
    assert repr(GlobalAveragePooling1D()) == "GlobalAveragePooling1D()"
    with pytest.raises(TypeError, match=r"GlobalMaxPooling1D: `keepdims` must be True or False, got 1"):
        GlobalMaxPooling1D(keepdims=1)
    with pytest.raises(ValueError, match=r"expects 3-D input \(batch, steps, channels\), got shape \(2, 7\)\. "
                                         r".*use x\.reshape\(-1, 7, 1\)"):
        GlobalAveragePooling1D()(torch.zeros(2, 7))


def test_mask_from_an_embedding_reaches_the_average_in_a_model():
    from seqlab.layers import Embedding
    from seqlab.models import Sequential

    set_random_seed(4)
    model = Sequential([Embedding(10, 3, mask_zero=True, input_shape=(4,)), GlobalAveragePooling1D()])
    tokens = torch.tensor([[1, 2, 0, 0], [3, 0, 0, 0]])  # 0 = padding
    vectors = model.layers[0](tokens)
    expected = torch.stack([vectors[0, :2].mean(0), vectors[1, 0]])
    torch.testing.assert_close(model(tokens), expected, rtol=0, atol=1e-7)
