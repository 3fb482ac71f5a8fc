"""MultiHeadAttention against a float64 NumPy reference (attention_reference.py) and
torch.nn.MultiheadAttention with copied weights; Keras's weight layout and parameter count;
masks; bad arguments and inputs by message."""
import numpy as np
import pytest
import torch

from seqlab.layers import MultiHeadAttention

from attention_reference import multi_head

RNG = np.random.default_rng(7)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def mha64(**kwargs):
    kwargs.setdefault("bias_initializer", "glorot_uniform")  # non-zero biases, so a lost bias shows
    return MultiHeadAttention(dtype="float64", **kwargs)


def close(a, b, atol=1e-12):
    np.testing.assert_allclose(a.detach().numpy() if torch.is_tensor(a) else a, b, rtol=0, atol=atol)


# ---- Keras's weights ----------------------------------------------------------------------
def test_parameter_count_and_weight_layout_as_keras():
    # Keras builds EinsumDense `query`, `key`, `value` (kernel (32, 2, 16), bias (2, 16)) and
    # `attention_output` (kernel (2, 16, 32), bias (32,)), in that order:
    # 3 * (32*2*16 + 2*16) + (2*16*32 + 32) = 3 * 1056 + 1056 = 4224.
    mha = MultiHeadAttention(num_heads=2, key_dim=16)
    x = torch.zeros(1, 5, 32)
    mha(x, x)
    assert [w.shape for w in mha.get_weights()] == [
        (32, 2, 16), (2, 16), (32, 2, 16), (2, 16), (32, 2, 16), (2, 16), (2, 16, 32), (32,)]
    assert mha.count_params() == 4224
    assert mha.weight_names()[::2] == ["query_kernel", "key_kernel", "value_kernel", "attention_output_kernel"]


def test_weight_layout_with_other_sizes_and_no_bias():
    # query 6 features, value 5, key 3; value_dim 4; output_shape (2, 3); no biases:
    # 6*3*2 + 3*3*2 + 5*3*4 + 3*4*2*3 = 36 + 18 + 60 + 72 = 186
    mha = MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, use_bias=False, output_shape=(2, 3))
    out = mha(torch.zeros(2, 4, 6), torch.zeros(2, 7, 5), torch.zeros(2, 7, 3))
    assert [w.shape for w in mha.get_weights()] == [(6, 3, 2), (3, 3, 2), (5, 3, 4), (3, 4, 2, 3)]
    assert mha.count_params() == 186 and out.shape == (2, 4, 2, 3)
    assert mha.compute_output_shape((None, 4, 6), (None, 7, 5)) == (None, 4, 2, 3)


def test_glorot_fans_follow_keras_for_three_axis_kernels():
    # Keras's compute_fans on (d, h, k): receptive field d, fan_in = h*d, fan_out = k*d, so the
    # glorot limit is sqrt(6 / (d*(h+k))) — not the (d, h*k) matrix's.
    torch.manual_seed(0)
    mha = MultiHeadAttention(num_heads=2, key_dim=16)
    mha(torch.zeros(1, 2, 32), torch.zeros(1, 2, 32))
    limit = np.sqrt(6 / (32 * 2 + 32 * 16))
    kernel = mha.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit


# ---- forward against the NumPy reference ---------------------------------------------------
@pytest.mark.parametrize("kwargs, shapes", [
    ({"num_heads": 2, "key_dim": 3}, ((2, 4, 5), (2, 6, 5), None)),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 7}, ((2, 4, 5), (2, 6, 3), (2, 6, 2))),
    ({"num_heads": 1, "key_dim": 4, "use_bias": False, "output_shape": (2, 3)}, ((3, 2, 4), (3, 5, 6), None)),
])
def test_forward_matches_numpy(kwargs, shapes):
    arrays = [None if s is None else RNG.normal(size=s) for s in shapes]
    mha = mha64(**kwargs)
    out, scores = mha(*[None if a is None else t(a) for a in arrays], return_attention_scores=True)
    want_out, want_scores = multi_head(mha.get_weights(), *arrays, use_bias=mha.use_bias)
    close(out, want_out)
    close(scores, want_scores)
    assert scores.shape == (shapes[0][0], kwargs["num_heads"], shapes[0][1], shapes[1][1])  # (B, heads, Tq, Tv)


def _torch_copy(mha: MultiHeadAttention, embed: int) -> torch.nn.MultiheadAttention:
    """torch's layer with our weights: its in_proj rows are Keras's (d, h, k) kernels flattened
    over (h, k) and transposed; its out_proj weight is Keras's (h, v, d) kernel flattened, transposed."""
    reference = torch.nn.MultiheadAttention(embed, mha.num_heads, batch_first=True, dtype=torch.float64)
    wq, bq, wk, bk, wv, bv, wo, bo = [torch.tensor(w) for w in mha.get_weights()]
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([w.reshape(embed, -1).t() for w in (wq, wk, wv)]))
        reference.in_proj_bias.copy_(torch.cat([b.reshape(-1) for b in (bq, bk, bv)]))
        reference.out_proj.weight.copy_(wo.reshape(-1, embed).t())
        reference.out_proj.bias.copy_(bo)
    return reference


def test_matches_torch_multihead_attention_forward_and_gradients():
    mha = mha64(num_heads=2, key_dim=4)
    q, v, k = (RNG.normal(size=s) for s in ((3, 4, 8), (3, 6, 8), (3, 6, 8)))
    value_mask = np.array([[1] * 6, [1] * 4 + [0] * 2, [1, 0, 1, 1, 1, 1]], dtype=bool)
    ours_in = [t(a, True) for a in (q, v, k)]
    out, scores = mha(*ours_in, value_mask=value_mask, return_attention_scores=True)
    reference = _torch_copy(mha, 8)
    theirs_in = [t(a, True) for a in (q, k, v)]  # torch: (query, key, value)
    want, want_scores = reference(*theirs_in, key_padding_mask=torch.tensor(~value_mask), average_attn_weights=False)
    close(out, want.detach().numpy())
    close(scores, want_scores.detach().numpy())
    upstream = torch.tensor(RNG.normal(size=out.shape))
    (out * upstream).sum().backward()
    (want * upstream).sum().backward()
    for mine, theirs in zip(ours_in, (theirs_in[0], theirs_in[2], theirs_in[1])):
        close(mine.grad, theirs.grad.numpy())
    # the weights' gradients, mapped into torch's layout the same way
    close(torch.cat([mha.query_kernel.grad.reshape(8, -1).t(), mha.key_kernel.grad.reshape(8, -1).t(),
                     mha.value_kernel.grad.reshape(8, -1).t()]), reference.in_proj_weight.grad.numpy())
    close(mha.attention_output_kernel.grad.reshape(-1, 8).t(), reference.out_proj.weight.grad.numpy())
    close(mha.attention_output_bias.grad, reference.out_proj.bias.grad.numpy())


def test_gradcheck():
    mha = mha64(num_heads=2, key_dim=2, value_dim=3)
    q, v = t(RNG.normal(size=(2, 3, 4)), True), t(RNG.normal(size=(2, 4, 5)), True)
    keep = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    assert torch.autograd.gradcheck(lambda a, b: mha(a, b, value_mask=keep, use_causal_mask=True), (q, v))
    # and the weights: torch's gradcheck on the layer as a function of its parameters
    names = [name for name, _ in mha.named_parameters()]
    x, y = q.detach(), v.detach()

    def of_weights(*weights):
        return torch.func.functional_call(mha, dict(zip(names, weights)), (x, y), {"value_mask": keep})

    weights = tuple(p.detach().clone().requires_grad_(True) for p in mha.parameters())
    assert torch.autograd.gradcheck(of_weights, weights)


# ---- masks ---------------------------------------------------------------------------------
X = RNG.normal(size=(2, 5, 6))
PAD = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
CAUSAL = np.tril(np.ones((5, 5), dtype=bool))


def _scores(mha, **kwargs):
    _, scores = mha(t(X), t(X), return_attention_scores=True, **kwargs)
    return scores.detach().numpy()


def test_padding_mask_gives_zero_weights():
    mha = mha64(num_heads=2, key_dim=3)
    scores = _scores(mha, value_mask=PAD)
    assert np.all(scores[0, :, :, 3:] == 0.0) and np.all(scores[1] > 0)
    close(scores.sum(-1), np.ones((2, 2, 5)))
    close(scores, multi_head(mha.get_weights(), X, X, value_mask=PAD)[1])


def test_causal_mask_gives_zero_weights_above_the_diagonal():
    mha = mha64(num_heads=2, key_dim=3)
    scores = _scores(mha, use_causal_mask=True)
    assert np.all(scores[:, :, ~CAUSAL] == 0.0) and np.all(scores[:, :, CAUSAL] > 0)
    close(scores, multi_head(mha.get_weights(), X, X, causal=True)[1])


def test_padding_and_causal_and_explicit_masks_combine():
    mha = mha64(num_heads=2, key_dim=3)
    explicit = RNG.random(size=(2, 5, 5)) > 0.3
    explicit[:, :, 0] = True  # every query step keeps something
    scores = _scores(mha, value_mask=PAD, use_causal_mask=True, attention_mask=explicit)
    keep = PAD[:, None, :] & CAUSAL[None] & explicit
    assert np.all(scores.transpose(1, 0, 2, 3)[:, ~keep] == 0.0)
    close(scores, multi_head(mha.get_weights(), X, X, value_mask=PAD, causal=True, attention_mask=explicit)[1])
    # an attention mask of (T, S) is the same for every sample (Keras broadcasts it)
    close(_scores(mha, attention_mask=CAUSAL), _scores(mha, use_causal_mask=True))


def test_query_mask_carried_by_the_input_is_used_and_passed_on():
    mha = mha64(num_heads=2, key_dim=3)
    query = t(X)
    query._keras_mask = torch.tensor(PAD)
    out = mha(query, t(X))
    close(out, multi_head(mha.get_weights(), X, X, query_mask=PAD)[0])
    np.testing.assert_array_equal(out._keras_mask.numpy(), PAD)
    assert mha.compute_mask([query, t(X)], [query._keras_mask, None]) is query._keras_mask


def test_dropout_on_the_probabilities_while_training_only():
    mha = mha64(num_heads=2, key_dim=3, dropout=0.5)
    torch.manual_seed(0)
    train_out, train_scores = mha(t(X), t(X), training=True, return_attention_scores=True)
    eval_out, eval_scores = mha(t(X), t(X), training=False, return_attention_scores=True)
    close(train_scores, eval_scores.detach().numpy())  # Keras returns them before dropout
    assert not np.allclose(train_out.detach().numpy(), eval_out.detach().numpy())
    close(eval_out, multi_head(mha.get_weights(), X, X)[0])
    assert not mha.last_attention_scores.requires_grad


# ---- bad arguments and inputs ----------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_heads": 0, "key_dim": 4}, ValueError, "MultiHeadAttention: `num_heads` must be a positive integer, got 0"),
    ({"num_heads": 2, "key_dim": 2.5}, TypeError, "MultiHeadAttention: `key_dim` must be a positive integer, got 2.5"),
    ({"num_heads": 2, "key_dim": 4, "value_dim": -1}, ValueError,
     "MultiHeadAttention: `value_dim` must be a positive integer, got -1"),
    ({"num_heads": 2, "key_dim": 4, "dropout": 1.5}, ValueError,
     r"MultiHeadAttention: `dropout` must be in \[0, 1\), got 1.5"),
    ({"num_heads": 2, "key_dim": 4, "output_shape": 0}, ValueError,
     "MultiHeadAttention: `output_shape` must be a positive integer or a tuple of them, got 0"),
    ({"num_heads": 2, "key_dim": 4, "attention_axes": (2,)}, ValueError,
     r"MultiHeadAttention: `attention_axes` must be None or \(1,\) .* got \(2,\)"),
    ({"num_heads": 2, "key_dim": 4, "attention_axes": "1"}, TypeError,
     "MultiHeadAttention: `attention_axes` must be an int, list or tuple, got '1'"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        MultiHeadAttention(**kwargs)


def test_query_and_value_of_different_widths_are_fine_as_in_keras():
    mha = MultiHeadAttention(num_heads=2, key_dim=4)
    assert mha(torch.zeros(2, 3, 6), torch.zeros(2, 5, 9)).shape == (2, 3, 6)


def test_the_list_form_is_the_same_call():
    # [query, value, key] is what the layer hands its base class, and what a functional graph replays
    mha = mha64(num_heads=2, key_dim=3)
    x, y = t(X), t(RNG.normal(size=(2, 4, 6)))
    close(mha([x, y]), mha(x, y).detach().numpy())
    close(mha([x, y, y], masks={"value_mask": PAD[:, :4]}), mha(x, y, value_mask=PAD[:, :4]).detach().numpy())
    with pytest.raises(TypeError, match=r"give the masks either as `masks` .* not both; got `masks` and value_mask"):
        mha([x, y], masks={}, value_mask=PAD[:, :4])


def test_bad_inputs_by_message():
    mha = MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    x = torch.zeros(2, 5, 6)
    with pytest.raises(TypeError, match=r"layer 'mha' \(MultiHeadAttention\) is called as mha\(query, value\).*"
                                        r"got no value"):
        mha(x)
    with pytest.raises(TypeError, match=r"is called as mha\(query, value\) or mha\(query, value, key\), got a "
                                        r"list of 4 as query"):
        mha([x, x, x, x])
    with pytest.raises(ValueError, match=r"all axes of value and key but the last must be equal, got value "
                                         r"\(2, 5, 6\) and key \(2, 4, 6\)"):
        mha(x, x, torch.zeros(2, 4, 6))
    with pytest.raises(ValueError, match=r"takes 3-D query, value and key \(batch, steps, features\), got shape "
                                         r"\(2, 6\)"):
        mha(torch.zeros(2, 6), x)
    mha(x, x)
    with pytest.raises(ValueError, match=r"`attention_mask` must have shape \(2, 5, 5\) \(batch, query steps, "
                                         r"value steps\) or broadcast to it, got shape \(2, 5, 4\)"):
        mha(x, x, attention_mask=np.ones((2, 5, 4), bool))
    with pytest.raises(ValueError, match=r"`value_mask` must have shape \(2, 5\) \(batch, value steps\), got "
                                         r"shape \(2, 3\)"):
        mha(x, x, value_mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match=r"was built for a value of shape \(None, 5, 6\), got shape \(2, 5, 7\)"):
        mha(x, torch.zeros(2, 5, 7), x)
