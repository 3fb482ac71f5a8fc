"""Attention (Luong) and AdditiveAttention (Bahdanau) against float64 NumPy references
(tests/layers/attention/reference.py) and torch's scaled_dot_product_attention; masks,
weights, gradients, bad arguments and inputs by message."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.layers import AdditiveAttention, Attention

from attention_reference import bahdanau, luong

RNG = np.random.default_rng(11)
Q = RNG.normal(size=(2, 3, 4))
V = RNG.normal(size=(2, 5, 4))
K = RNG.normal(size=(2, 5, 4))
V6 = RNG.normal(size=(2, 5, 6))  # values may have another width than query and key
QUERY_MASK = np.array([[1, 1, 0], [1, 0, 1]], dtype=bool)
VALUE_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def layer64(cls, **kwargs):
    return cls(dtype="float64", **kwargs)


# ---- forward against the NumPy reference ---------------------------------------------------
@pytest.mark.parametrize("use_scale, score_mode", [(False, "dot"), (True, "dot"), (False, "concat"), (True, "concat")])
def test_attention_matches_numpy(use_scale, score_mode):
    layer = layer64(Attention, use_scale=use_scale, score_mode=score_mode)
    layer([t(Q), t(V6), t(K)])
    # non-trivial learned scalars, so a forgotten factor shows
    layer.set_weights([np.array(w * 0 + 0.7 + i * 0.6) for i, w in enumerate(layer.get_weights())])
    weights = layer.get_weights()
    scale = float(weights[0]) if use_scale else None
    concat = float(weights[-1]) if score_mode == "concat" else 1.0
    out, scores = layer([t(Q), t(V6), t(K)], return_attention_scores=True)
    want_out, want_scores = luong(Q, V6, K, scale=scale, score_mode=score_mode, concat_weight=concat)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores.detach().numpy(), want_scores, rtol=0, atol=1e-12)


def test_additive_attention_matches_numpy():
    layer = layer64(AdditiveAttention)
    out, scores = layer([t(Q), t(V6), t(K)], return_attention_scores=True)
    (scale,) = layer.get_weights()
    assert scale.shape == (4,)  # Keras: shape [dim], glorot_uniform
    want_out, want_scores = bahdanau(Q, V6, K, scale=scale)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores.detach().numpy(), want_scores, rtol=0, atol=1e-12)
    plain = layer64(AdditiveAttention, use_scale=False)
    np.testing.assert_allclose(plain([t(Q), t(V)]).detach().numpy(), bahdanau(Q, V)[0], rtol=0, atol=1e-12)
    assert plain.get_weights() == []


def test_value_is_the_key_when_no_key_is_given():
    layer = layer64(Attention)
    np.testing.assert_allclose(layer([t(Q), t(V)]).detach().numpy(), luong(Q, V)[0], rtol=0, atol=1e-12)


def test_attention_matches_torch_scaled_dot_product_attention_forward_and_gradients():
    # Keras's dot score has no 1/sqrt(dim): SDPA with scale=1 is the same maths.
    keep = torch.tensor(VALUE_MASK)[:, None, :] & torch.ones(3, 5, dtype=torch.bool).tril()
    q1, v1, k1 = t(Q, True), t(V6, True), t(K, True)
    q2, v2, k2 = t(Q, True), t(V6, True), t(K, True)
    ours = layer64(Attention)([q1, v1, k1], mask=[None, VALUE_MASK], use_causal_mask=True)
    theirs = F.scaled_dot_product_attention(q2, k2, v2, attn_mask=keep, scale=1.0)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=0, atol=1e-12)
    upstream = torch.tensor(RNG.normal(size=ours.shape))
    (ours * upstream).sum().backward()
    (theirs * upstream).sum().backward()
    for mine, reference in ((q1, q2), (v1, v2), (k1, k2)):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls, kwargs", [(Attention, {"use_scale": True, "score_mode": "concat"}),
                                         (Attention, {"use_scale": True}), (AdditiveAttention, {})])
def test_gradcheck_inputs_and_weights(cls, kwargs):
    layer = layer64(cls, **kwargs)
    layer([t(Q), t(V), t(K)])
    params = list(layer.parameters())
    # inputs by torch's gradcheck; the learned weights by central differences below
    assert torch.autograd.gradcheck(lambda q, v, k: layer([q, v, k], mask=[QUERY_MASK, VALUE_MASK]),
                                    (t(Q, True), t(V, True), t(K, True)))
    out = layer([t(Q), t(V), t(K)], mask=[QUERY_MASK, VALUE_MASK]).sum()
    analytic = torch.autograd.grad(out, params)
    for p, g in zip(params, analytic):  # central differences, float64
        numeric = torch.zeros_like(p)
        for index in np.ndindex(*p.shape):
            with torch.no_grad():
                p[index] += 1e-6
                up = layer([t(Q), t(V), t(K)], mask=[QUERY_MASK, VALUE_MASK]).sum()
                p[index] -= 2e-6
                down = layer([t(Q), t(V), t(K)], mask=[QUERY_MASK, VALUE_MASK]).sum()
                p[index] += 1e-6
            numeric[index] = (up - down) / 2e-6
        np.testing.assert_allclose(g.numpy(), numeric.numpy(), rtol=1e-6, atol=1e-8)


# ---- masks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [Attention, AdditiveAttention])
def test_padding_mask_zeroes_scores_and_masked_query_steps(cls):
    layer = layer64(cls)
    out, scores = layer([t(Q), t(V)], mask=[QUERY_MASK, VALUE_MASK], return_attention_scores=True)
    scores = scores.detach().numpy()
    assert np.all(scores[~np.broadcast_to(VALUE_MASK[:, None, :], scores.shape)] == 0.0)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=0, atol=1e-12)
    assert np.all(out.detach().numpy()[~QUERY_MASK] == 0.0)
    reference = (luong if cls is Attention else bahdanau)(
        Q, V, **({"scale": layer.get_weights()[0]} if cls is AdditiveAttention else {}),
        query_mask=QUERY_MASK, value_mask=VALUE_MASK)
    np.testing.assert_allclose(out.detach().numpy(), reference[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(scores, reference[1], rtol=0, atol=1e-12)


def test_causal_mask_and_padding_mask_together():
    x = t(RNG.normal(size=(2, 5, 4)))
    layer = layer64(Attention)
    _, causal = layer([x, x], use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.ones((5, 5)), k=1)[None].astype(bool) <= (causal.detach().numpy() == 0))
    _, both = layer([x, x], mask=[None, VALUE_MASK], use_causal_mask=True, return_attention_scores=True)
    want = luong(x.numpy(), x.numpy(), value_mask=VALUE_MASK, causal=True)[1]
    np.testing.assert_allclose(both.detach().numpy(), want, rtol=0, atol=1e-12)
    assert both[0, 4, 3].item() == 0.0 and both[0, 4, 4].item() == 0.0  # padded, though not future


def test_masks_carried_by_the_inputs_are_used():
    query, value = t(Q), t(V)
    query._keras_mask, value._keras_mask = torch.tensor(QUERY_MASK), torch.tensor(VALUE_MASK)
    layer = layer64(Attention)
    carried = layer([query, value])
    explicit = layer([t(Q), t(V)], mask=[QUERY_MASK, VALUE_MASK])
    np.testing.assert_array_equal(carried.detach().numpy(), explicit.detach().numpy())
    np.testing.assert_array_equal(carried._keras_mask.numpy(), QUERY_MASK)
    assert layer.compute_mask([query, value], [torch.tensor(QUERY_MASK), None]) is not None


def test_dropout_applies_to_the_weights_while_training_only():
    layer = Attention(dropout=0.5, dtype="float64")
    torch.manual_seed(0)
    _, train_scores = layer([t(Q), t(V)], training=True, return_attention_scores=True)
    dropped = train_scores.detach().numpy()
    assert (dropped == 0).any()
    # Keras returns the weights after dropout: each is dropped (0) or kept and scaled by 1/(1-p)
    np.testing.assert_allclose(np.unique(np.round(dropped / luong(Q, V)[1], 9)), [0.0, 2.0])
    _, scores = layer([t(Q), t(V)], training=False, return_attention_scores=True)
    np.testing.assert_allclose(scores.detach().numpy(), luong(Q, V)[1], rtol=0, atol=1e-12)


def test_last_scores_are_kept_for_inspection():
    layer = layer64(Attention)
    _, scores = layer([t(Q), t(V)], return_attention_scores=True)
    assert not layer.last_attention_scores.requires_grad
    np.testing.assert_array_equal(layer.last_attention_scores.numpy(), scores.detach().numpy())


# ---- weights, shapes and counts -------------------------------------------------------------
def test_weights_and_counts_as_keras():
    # Keras's Attention.build: `scale` () then `concat_score_weight` (), both ones;
    # AdditiveAttention.build: `scale` (dim,) glorot_uniform.
    both = Attention(use_scale=True, score_mode="concat")
    both([torch.zeros(1, 2, 4), torch.zeros(1, 3, 4)])
    assert [w.shape for w in both.get_weights()] == [(), ()] and both.count_params() == 2
    assert Attention().compute_output_shape([(None, 3, 4), (None, 5, 6)]) == (None, 3, 6)
    additive = AdditiveAttention()
    additive([torch.zeros(1, 2, 8), torch.zeros(1, 3, 8)])
    assert additive.count_params() == 8


# ---- bad arguments and inputs ----------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"score_mode": "add"}, ValueError, "Attention: `score_mode` must be 'dot' or 'concat', got 'add'"),
    ({"dropout": 1.0}, ValueError, "Attention: `dropout` must be in [0, 1), got 1.0"),
    ({"use_scale": "yes"}, TypeError, "Attention: `use_scale` must be True or False, got 'yes'"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        Attention(**kwargs)


def test_bad_inputs_by_message():
    layer = Attention(name="att")
    with pytest.raises(TypeError, match=r"layer 'att' \(Attention\) takes a list of tensors"):
        layer(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"takes a list of 2 or 3 inputs, namely \[query, value\] .* got 1"):
        layer([torch.zeros(2, 3, 4)])
    with pytest.raises(ValueError, match=r"query and value \(the key when no key is given\) must have the same "
                                         r"last axis, got query \(2, 3, 4\) and key \(2, 5, 6\)"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 6)])
    with pytest.raises(ValueError, match=r"value and key must have the same number of steps, got value "
                                         r"\(2, 5, 4\) and key \(2, 4, 4\)"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 4, 4)])
    with pytest.raises(ValueError, match=r"takes 3-D inputs \(batch, steps, features\).*got shape \(2, 4\)"):
        layer([torch.zeros(2, 4), torch.zeros(2, 5, 4)])
    layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)])
    with pytest.raises(ValueError, match=r"`mask\[1\]` must have shape \(2, 5\) \(batch, value steps\), got "
                                         r"shape \(2, 4\)"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)], mask=[None, np.ones((2, 4), bool)])
    with pytest.raises(ValueError, match=r"`mask` must be a list \[query_mask, value_mask\]"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)], mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match=r"`mask\[0\]` must hold booleans \(or 0/1\)"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 4)], mask=[np.full((2, 3), 0.5), None])
    with pytest.raises(ValueError, match=r"was built for input 1 of shape \(None, 5, 4\), got shape \(2, 5, 7\)"):
        layer([torch.zeros(2, 3, 4), torch.zeros(2, 5, 7), torch.zeros(2, 5, 4)])
