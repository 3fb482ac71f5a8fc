"""What the explorer shows as the input: numbers (a line per feature) or text (the tokens), the
labels of samples and steps, and the signals units can be ranked against — each checked once,
against the shape of ``x``."""
from __future__ import annotations

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.inspect.explorer.packing import ArrayStore


def as_numpy_input(x) -> np.ndarray:
    """``x`` as a NumPy array: ``(N, L, F)`` numbers or ``(N, L)`` integer token ids."""
    if torch.is_tensor(x):
        x = x.detach().cpu().numpy()
    try:
        x = np.asarray(x)
    except (TypeError, ValueError):
        raise TypeError(f"explore: `x` must be an array or tensor, got {describe(x)}") from None
    if x.dtype.kind in "iu":
        if x.ndim != 2:
            raise ValueError(f"explore: integer `x` is read as token ids and must be 2-D (samples, timesteps), "
                             f"got shape {x.shape}; add the sample axis with x[None] for one sequence")
    elif x.dtype.kind == "f":
        if x.ndim != 3:
            raise ValueError(f"explore: `x` must be 3-D (samples, timesteps, features), got shape {x.shape}; "
                             "for one sequence of one feature use x.reshape(1, -1, 1)")
        if not np.isfinite(x).all():
            raise ValueError("explore: `x` holds NaN or infinite values; the model cannot read them")
    else:
        raise TypeError(f"explore: `x` must hold numbers (float) or token ids (int), got dtype {x.dtype}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"explore: `x` must hold at least one sample of one timestep, got shape {x.shape}")
    return x if x.flags.writeable else x.copy()  # torch warns on read-only arrays (pandas' copy-on-write)


def input_meta(x: np.ndarray, store: ArrayStore, feature_names=None, tokens=None, vocabulary=None) -> dict:
    """The page's ``input`` entry: ``{'kind': 'numbers', 'features', 'array'}`` or
    ``{'kind': 'tokens', 'vocabulary', 'ids', 'join'}``."""
    samples, steps = x.shape[:2]
    if x.ndim == 3:
        if tokens is not None or vocabulary is not None:
            raise ValueError("explore: `tokens` and `vocabulary` are for token-id input (samples, timesteps) "
                             f"integers; `x` holds numbers of shape {x.shape}")
        features = x.shape[2]
        names = [f"feature {j}" for j in range(features)] if feature_names is None else [str(n) for n in feature_names]
        if len(names) != features:
            raise ValueError(f"explore: `feature_names` must name the {features} features of `x`, got {len(names)} names")
        return {"kind": "numbers", "features": names, "array": store.add(x, "float32")}
    if tokens is not None and vocabulary is not None:
        raise ValueError("explore: pass `tokens` (the strings of every step) or `vocabulary` (id -> string), not both")
    if tokens is not None:
        table, ids = _tokens_to_ids(tokens, samples, steps)
    else:
        table, ids = _vocabulary_table(vocabulary, x), x
    # Characters are shown side by side, words with a space between; what decides is the tokens
    # the input holds (a character vocabulary's reserved "[UNK]" is no word).
    join = "" if all(len(table[i]) <= 1 for i in np.unique(ids)) else " "
    return {"kind": "tokens", "vocabulary": table, "ids": store.add(ids, "int32"), "join": join}


def _tokens_to_ids(tokens, samples: int, steps: int):
    rows = [list(row) for row in tokens] if not isinstance(tokens, str) else None
    if rows is None or len(rows) != samples or any(len(row) != steps for row in rows):
        raise ValueError(f"explore: `tokens` must hold {samples} sequences of {steps} strings (one per "
                         f"timestep of `x`), got {describe(tokens)}")
    table = sorted({str(token) for row in rows for token in row})
    index = {token: i for i, token in enumerate(table)}
    return table, np.array([[index[str(token)] for token in row] for row in rows], dtype=np.int32)


def _vocabulary_table(vocabulary, x: np.ndarray) -> list[str]:
    if vocabulary is None:  # no strings known: the ids themselves
        return [str(i) for i in range(int(x.max()) + 1)]
    table = getattr(vocabulary, "tokens", vocabulary)  # a seqlab Vocabulary or a list of strings
    if isinstance(table, str) or not all(isinstance(token, str) for token in table):
        raise TypeError(f"explore: `vocabulary` must be a seqlab Vocabulary or a list of strings (id -> token), "
                        f"got {describe(vocabulary)}")
    table = list(table)
    if x.min() < 0 or x.max() >= len(table):
        raise ValueError(f"explore: token ids of `x` run from {x.min()} to {x.max()}, but `vocabulary` has "
                         f"{len(table)} tokens (ids 0..{len(table) - 1})")
    return table


def labels(values, count: int, what: str, argument: str) -> list[str] | None:
    """``count`` labels as strings, or None."""
    if values is None:
        return None
    values = [str(v.date()) if hasattr(v, "date") and getattr(v, "hour", 0) == 0 else str(v) for v in values]
    if len(values) != count:
        raise ValueError(f"explore: `{argument}` must give one label per {what} ({count}), got {len(values)}")
    return values


def step_labels(values, samples: int, steps: int) -> list[list[str]] | None:
    """Labels of the timesteps: ``(L,)`` shared by every sample or ``(N, L)``, one row per sample."""
    if values is None:
        return None
    table = np.asarray(values, dtype=object)
    if table.ndim == 2 and table.shape[0] == samples:
        return [labels(row, steps, "timestep", "step_labels") for row in table]
    if table.ndim != 1:
        raise ValueError(f"explore: `step_labels` must be (timesteps,) or (samples, timesteps) = "
                         f"({samples}, {steps}), got shape {table.shape}")
    return [labels(table, steps, "timestep", "step_labels")] * samples


def signals_meta(x: np.ndarray, signals, features: list[str] | None, store: ArrayStore) -> list[dict]:
    """The signals units can be ranked against: each input feature, then the caller's."""
    samples, steps = x.shape[:2]
    result = []
    if x.ndim == 3:
        for j, name in enumerate(features):
            result.append({"name": f"input: {name}", "array": store.add(x[:, :, j], "float32")})
    if signals is None:
        return result
    if not isinstance(signals, dict):
        raise TypeError(f"explore: `signals` must be a dict of name -> (samples, timesteps) array, got {describe(signals)}")
    for name, signal in signals.items():
        values = np.asarray(signal, dtype=np.float64)
        if values.shape != (samples, steps):
            raise ValueError(f"explore: signal {name!r} must have shape (samples, timesteps) = {(samples, steps)}, "
                             f"got {values.shape}")
        if not np.isfinite(values).all():
            raise ValueError(f"explore: signal {name!r} holds NaN or infinite values")
        result.append({"name": str(name), "array": store.add(values, "float32")})
    return result
