"""Sampling from a next-token model, one token at a time, carrying the recurrent state.

A long sample costs O(length): the prime runs through the model once, then each new token
makes one step of every layer from the states the last step left (never a rerun of the prefix).
The step of a recurrent layer is the library's own loop (``run_loop``) over one timestep, with
the layer's own weights; the other layers (Embedding, Dense, Dropout ...) are called as usual.

>>> import numpy as np
>>> choose(np.array([0.1, 0.6, 0.3]), temperature=0.0, rng=np.random.default_rng(0))
1
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.layers.recurrent import RecurrentLayer
from seqlab.layers.recurrent.loop import run_loop


class Stepper:
    """Runs a Sequential next-token model step by step, keeping each recurrent layer's state.

    Input: token ids ``(N, L)``; output: next-token probabilities ``(N, V)`` after the last id.
    """

    def __init__(self, model):
        self.model = model
        self.layers = list(model.layers)
        for layer in self.layers:
            if isinstance(layer, RecurrentLayer) and (layer.go_backwards or not layer.return_sequences):
                raise ValueError(f"layer '{layer.name}': stepping needs return_sequences=True and go_backwards=False")
        self.states: dict[int, tuple] = {}

    def reset(self) -> None:
        self.states = {}

    @torch.no_grad()
    def feed(self, ids) -> np.ndarray:
        """Run ``ids`` ``(N, L)`` on from the carried states; the probabilities after the last."""
        weights = next(self.model.parameters())
        x = torch.as_tensor(np.asarray(ids, dtype=np.int64), device=weights.device)
        for i, layer in enumerate(self.layers):
            if isinstance(layer, RecurrentLayer):
                x = x.to(weights.dtype)
                states = self.states.get(i) or (x.new_zeros(layer.state_shape(tuple(x.shape))),) * layer.cell.num_states
                bias_ih, bias_hh = layer.split_bias()
                x, finals = run_loop(layer.cell, layer.project_inputs(x, bias_ih), states, layer.weight_hh, bias_hh,
                                     return_sequences=True)
                self.states[i] = tuple(finals)
            else:
                x = layer(x, training=False)
        return x[:, -1, :].double().cpu().numpy()                      # (N, V)


def choose(probabilities: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
           top_p: float | None = None, rng=None) -> int:
    """One token id drawn from ``probabilities`` ``(V,)``.

    ``temperature`` divides the log-probabilities (0: the likeliest token, no draw); ``top_k``
    keeps the k likeliest; ``top_p`` keeps the smallest set of likeliest tokens whose
    probability reaches p (nucleus sampling); what is kept is renormalised.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p!r}")
    p = np.asarray(probabilities, dtype=np.float64)
    if temperature == 0 or top_k == 1:
        return int(np.argmax(p))
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    order = np.argsort(-logits, kind="stable")                          # likeliest first
    keep = np.ones(len(p), dtype=bool)
    if top_k is not None:
        keep[order[top_k:]] = False
    weights = np.exp(logits - logits[order[0]])
    if top_p is not None:
        sorted_weights = weights[order] * keep[order]
        cumulative = np.cumsum(sorted_weights) / sorted_weights.sum()
        cut = int(np.searchsorted(cumulative, top_p)) + 1              # the first that reaches p stays in
        keep[order[cut:]] = False
    weights = np.where(keep, weights, 0.0)
    weights /= weights.sum()
    rng = rng if rng is not None else np.random.default_rng()
    # inverse CDF on one uniform draw: the same seed gives the same token on every platform
    return int(min(np.searchsorted(np.cumsum(weights), rng.random(), side="right"), len(p) - 1))


def sample_ids(model, prime_ids, length: int, temperature: float = 1.0, top_k: int | None = None,
               top_p: float | None = None, seed: int | None = None) -> list[int]:
    """``length`` token ids following ``prime_ids`` (at least one id), drawn step by step."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length!r}")
    if len(prime_ids) == 0:
        raise ValueError("the prime must hold at least one token")
    rng = np.random.default_rng(seed)
    stepper = Stepper(model)
    probabilities = stepper.feed(np.asarray(prime_ids)[None, :])[0]
    drawn = []
    for _ in range(length):
        token = choose(probabilities, temperature, top_k, top_p, rng)
        drawn.append(token)
        probabilities = stepper.feed(np.array([[token]]))[0]
    return drawn
