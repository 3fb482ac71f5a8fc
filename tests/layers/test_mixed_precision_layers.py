"""Every registered layer under 'mixed_bfloat16' against the same layer in float32.

The examples (and the check that every shipped layer has one) are the config round-trip test's:
each layer is rebuilt from its config under the mixed policy, given the float32 layer's weights,
and its outputs and gradients (inputs and weights) must match within bfloat16's tolerance.
bfloat16 keeps 8 significant bits (relative rounding 2**-9 per operation); a layer of a few
operations stays within a few percent of the largest value, hence the bound used below.
"""
import numpy as np
import pytest
import torch

from seqlab.layers import MultiHeadAttention
from seqlab.layers import dtype_policy as policies
from seqlab.layers.registry import deserialize, serialize

from test_layer_config_roundtrip import EXAMPLES, _label  # same folder: pytest puts it on the path

BF16_TOLERANCE = 0.04  # of the largest magnitude (+1): ~10 bfloat16 roundings


@pytest.fixture(autouse=True)
def float32_policy_after():
    yield
    policies.set_global_policy(None)


def _inputs(shape, integer_input):
    generator = np.random.default_rng(0)
    if isinstance(integer_input, np.ndarray):
        return integer_input
    if integer_input:
        return torch.as_tensor(generator.integers(0, 11, size=(3, *shape)))
    if isinstance(shape, list):
        return [torch.as_tensor(generator.normal(size=(3, *s)).astype("float32")).requires_grad_() for s in shape]
    return torch.as_tensor(generator.normal(size=(3, *shape)).astype("float32")).requires_grad_()


def _call(layer, x):
    return layer(*x) if isinstance(layer, MultiHeadAttention) else layer(x)


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


def _close(actual: torch.Tensor, expected: torch.Tensor, what: str):
    actual, expected = actual.detach().double(), expected.detach().double()
    bound = BF16_TOLERANCE * (1.0 + expected.abs().max().item())
    error = (actual - expected).abs().max().item() if expected.numel() else 0.0
    assert error <= bound, f"{what}: max error {error:.4g} > {bound:.4g}"


@pytest.mark.parametrize("layer, shape, integer_input", EXAMPLES, ids=[_label(e) for e in EXAMPLES])
def test_bfloat16_forward_and_gradients_match_float32(layer, shape, integer_input):
    torch.manual_seed(0)
    spec = serialize(layer)
    reference = deserialize(spec)
    policies.set_global_policy("mixed_bfloat16")
    mixed = deserialize(spec)  # its config names no dtype: it takes the global policy
    policies.set_global_policy(None)
    assert mixed.dtype_policy.name == "mixed_bfloat16" and mixed.compute_dtype == "bfloat16"
    x = _inputs(shape, integer_input)
    reference.eval(), mixed.eval()
    expected = _first(_call(reference, x))
    _call(mixed, x)  # build, then take the reference's weights
    mixed.set_weights(reference.get_weights())
    assert all(p.dtype == torch.float32 for p in mixed.parameters()), "variables must stay float32"
    actual = _first(_call(mixed, x))
    if not torch.is_tensor(expected) or not expected.is_floating_point():
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))  # ids, counts
        return
    _close(actual.float(), expected, "output")
    if not expected.requires_grad:
        return  # nothing differentiable (preprocessing, integer input)
    direction = torch.as_tensor(np.random.default_rng(1).normal(size=tuple(expected.shape)).astype("float32"))
    leaves = [t for t in (x if isinstance(x, list) else [x]) if torch.is_tensor(t) and t.requires_grad]
    def trained(model):  # BatchNormalization's moving statistics take no gradient
        return [p for p in model.parameters() if p.requires_grad]

    grads_expected = torch.autograd.grad((expected * direction).sum(), [*leaves, *trained(reference)],
                                         allow_unused=True)
    grads_actual = torch.autograd.grad((actual.float() * direction).sum(), [*leaves, *trained(mixed)],
                                       allow_unused=True)
    names = [f"input {i}" for i in range(len(leaves))] + [n for n, p in reference.named_parameters()
                                                          if p.requires_grad]
    for name, got, want in zip(names, grads_actual, grads_expected):
        if want is None:
            assert got is None or not got.any(), f"gradient of {name}"
            continue
        assert got.dtype == want.dtype == torch.float32, f"gradient of {name} must be float32"
        _close(got, want, f"gradient of {name}")
