"""Float64 NumPy references for the attention layers, written from Keras's equations, loop by loop
(no shared code with seqlab's implementation)."""
import numpy as np

MASKED = 1e9  # Keras's additive mask bias (keras/src/layers/activations/softmax.py)


def softmax_rows(scores, keep):
    scores = np.array(scores, dtype=np.float64)
    if keep is not None:
        scores = scores - MASKED * (1.0 - keep.astype(np.float64))
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=-1, keepdims=True)


def keep_mask(batch, tq, tv, value_mask=None, causal=False, query_mask=None, explicit=None):
    keep = np.ones((batch, tq, tv), dtype=bool)
    for n in range(batch):
        for i in range(tq):
            for j in range(tv):
                if value_mask is not None and not value_mask[n, j]:
                    keep[n, i, j] = False
                if causal and j > i:
                    keep[n, i, j] = False
                if query_mask is not None and not query_mask[n, i]:
                    keep[n, i, j] = False
                if explicit is not None and not explicit[n, i, j]:
                    keep[n, i, j] = False
    return keep


def luong(query, value, key=None, scale=None, score_mode="dot", concat_weight=1.0,
          query_mask=None, value_mask=None, causal=False):
    """Keras's Attention: returns (outputs, weights)."""
    key = value if key is None else key
    batch, tq, _ = query.shape
    tv = value.shape[1]
    scores = np.zeros((batch, tq, tv))
    for n in range(batch):
        for i in range(tq):
            for j in range(tv):
                if score_mode == "dot":
                    s = np.dot(query[n, i], key[n, j])
                    scores[n, i, j] = s * (1.0 if scale is None else scale)
                else:
                    pair = query[n, i] + key[n, j]
                    pair = pair * (1.0 if scale is None else scale)
                    scores[n, i, j] = concat_weight * np.tanh(pair).sum()
    return _apply(scores, value, query_mask, value_mask, causal)


def bahdanau(query, value, key=None, scale=None, query_mask=None, value_mask=None, causal=False):
    """Keras's AdditiveAttention: returns (outputs, weights)."""
    key = value if key is None else key
    batch, tq, dim = query.shape
    tv = value.shape[1]
    scale = np.ones(dim) if scale is None else scale
    scores = np.zeros((batch, tq, tv))
    for n in range(batch):
        for i in range(tq):
            for j in range(tv):
                scores[n, i, j] = (scale * np.tanh(query[n, i] + key[n, j])).sum()
    return _apply(scores, value, query_mask, value_mask, causal)


def _apply(scores, value, query_mask, value_mask, causal):
    batch, tq, tv = scores.shape
    keep = None
    if value_mask is not None or causal:
        keep = keep_mask(batch, tq, tv, value_mask=value_mask, causal=causal)
    weights = softmax_rows(scores, keep)
    outputs = np.einsum("nij,njd->nid", weights, value)
    if query_mask is not None:
        outputs = outputs * query_mask[:, :, None]
    return outputs, weights


def multi_head(weights, query, value, key=None, key_dim=None, query_mask=None, value_mask=None,
               attention_mask=None, causal=False, use_bias=True):
    """Keras's MultiHeadAttention from its get_weights() list; returns (outputs, probabilities)."""
    key = value if key is None else key
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = weights
    else:
        (wq, wk, wv, wo), bq = weights, None
        bk = bv = bo = None
    heads = wq.shape[1]
    key_dim = wq.shape[2]
    batch, tq, _ = query.shape
    tv = value.shape[1]
    out_sizes = wo.shape[2:]
    wo_flat = wo.reshape(heads, wo.shape[1], -1)
    keep = None
    if any(m is not None for m in (query_mask, value_mask, attention_mask)) or causal:
        keep = keep_mask(batch, tq, tv, value_mask=value_mask, causal=causal, query_mask=query_mask,
                         explicit=attention_mask)
    probabilities = np.zeros((batch, heads, tq, tv))
    outputs = np.zeros((batch, tq, wo_flat.shape[-1]))
    for h in range(heads):
        q = query @ wq[:, h, :] + (0 if bq is None else bq[h])  # (N, T, key_dim)
        k = key @ wk[:, h, :] + (0 if bk is None else bk[h])
        v = value @ wv[:, h, :] + (0 if bv is None else bv[h])
        scores = np.einsum("ntk,nsk->nts", q, k) / np.sqrt(key_dim)
        p = softmax_rows(scores, keep)
        probabilities[:, h] = p
        outputs += np.einsum("nts,nsv->ntv", p, v) @ wo_flat[h]
    if bo is not None:
        outputs += bo.reshape(-1)
    return outputs.reshape(batch, tq, *out_sizes), probabilities
