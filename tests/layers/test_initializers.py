"""Initialisers: Keras's fan arithmetic and spreads, checked on large draws."""
import math

import pytest
import torch

from seqlab import initializers


def test_glorot_uniform_limit_uses_keras_fans():
    torch.manual_seed(0)
    weights = initializers.get("glorot_uniform")((300, 200))
    limit = math.sqrt(6.0 / (300 + 200))
    assert weights.abs().max() <= limit
    # a uniform draw on [-l, l] has standard deviation l / sqrt(3)
    assert weights.std().item() == pytest.approx(limit / math.sqrt(3), rel=0.02)


def test_conv_kernel_fans_include_the_receptive_field():
    torch.manual_seed(0)
    weights = initializers.GlorotUniform()((3, 3, 16, 32))
    limit = math.sqrt(6.0 / (3 * 3 * 16 + 3 * 3 * 32))
    assert weights.abs().max() <= limit
    assert weights.abs().max() > 0.95 * limit


def test_he_normal_spread_matches_keras():
    torch.manual_seed(0)
    weights = initializers.get("he_normal")((400, 300))
    assert weights.std().item() == pytest.approx(math.sqrt(2.0 / 400), rel=0.03)
    assert weights.abs().max() <= 2 * math.sqrt(2.0 / 400) / 0.87962566103423978 + 1e-6


def test_random_normal_defaults_to_keras_stddev_and_accepts_notes_n01():
    torch.manual_seed(0)
    assert initializers.get("random_normal")((200, 200)).std().item() == pytest.approx(0.05, rel=0.03)
    assert initializers.RandomNormal(stddev=1.0)((200, 200)).std().item() == pytest.approx(1.0, rel=0.03)


def test_orthogonal_gives_orthonormal_rows():
    weights = initializers.get("orthogonal")((16, 16))
    torch.testing.assert_close(weights @ weights.T, torch.eye(16), atol=1e-5, rtol=0)


def test_zeros_and_serialization_round_trip():
    assert torch.count_nonzero(initializers.get("zeros")((3, 4))) == 0
    assert initializers.serialize(initializers.get("he_normal")) == "he_normal"
    custom = initializers.RandomNormal(stddev=1.0)
    spec = initializers.serialize(custom)
    assert spec == {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 1.0}}
    assert initializers.get(spec).stddev == 1.0


def test_unknown_initializer_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown initializer 'xavier'; expected one of \[.*'glorot_uniform'"):
        initializers.get("xavier")
    with pytest.raises(TypeError, match="initializer must be a name or an Initializer, got int"):
        initializers.get(3)
