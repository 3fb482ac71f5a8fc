"""Character- and word-level vocabularies, and next-token training windows over encoded text.

A :class:`Vocabulary` maps tokens to integer ids. Id 0 is reserved for padding (so
``pad_sequences`` output and ``Embedding(mask_zero=True)`` agree) and id 1 for unknown tokens;
either reservation can be switched off. Characters are ordered as ``sorted(set(text))`` (the
notes' Shakespeare alphabet: ``'\\n', ' ', '!', ...``), words by descending frequency so that
``max_tokens`` keeps the most frequent ones.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.checks import check_choice, check_int
from seqlab.errors import NotBuiltError, describe

_WORD = re.compile(r"[\w']+")


class Vocabulary:
    """Token ↔ id tables for character- or word-level text.

    Args:
        level: ``"char"`` or ``"word"``.
        max_tokens: keep at most this many tokens besides the reserved ones (most frequent first).
        lower: lower-case text before tokenising (default: True for words, False for characters).
        padding_token: the token of id 0, or ``None`` for no padding id.
        unknown_token: the token unknown tokens map to, or ``None`` to refuse unknown tokens.

    >>> vocab = Vocabulary("char").fit("hello")
    >>> vocab.tokens
    ['', '[UNK]', 'e', 'h', 'l', 'o']
    >>> vocab.encode("hole!").tolist(), vocab.decode([3, 5, 4, 2])
    ([3, 5, 4, 2, 1], 'hole')
    """

    def __init__(self, level: str = "char", max_tokens=None, lower=None, padding_token="", unknown_token="[UNK]"):
        self.level = check_choice("Vocabulary", "level", level, ("char", "word"))
        self.max_tokens = None if max_tokens is None else check_int("Vocabulary", "max_tokens", max_tokens)
        self.lower = (level == "word") if lower is None else bool(lower)
        self.padding_token, self.unknown_token = padding_token, unknown_token

    def __repr__(self) -> str:
        size = len(self.tokens) if hasattr(self, "tokens") else "unfitted"
        return f"Vocabulary({self.level!r}, size={size})"

    def __len__(self) -> int:
        self._check_fitted()
        return len(self.tokens)

    def tokenize(self, text: str) -> list[str]:
        """Characters, or words (runs of letters, digits, ``_`` and ``'``; punctuation dropped)."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary: text must be a str, got {describe(text)}")
        text = text.lower() if self.lower else text
        return list(text) if self.level == "char" else _WORD.findall(text)

    def fit(self, texts) -> "Vocabulary":
        """Learn the tokens of one text or a list of texts."""
        counts = Counter()
        for text in [texts] if isinstance(texts, str) else texts:
            counts.update(self.tokenize(text))
        reserved = [t for t in (self.padding_token, self.unknown_token) if t is not None]
        for token in reserved:
            counts.pop(token, None)
        if self.level == "char" and self.max_tokens is None:
            ordered = sorted(counts)
        else:
            # Most frequent first; ties alphabetically, so the table does not depend on text order.
            ordered = sorted(counts, key=lambda token: (-counts[token], token))
        ordered = ordered[: self.max_tokens]
        self.tokens = reserved + ordered
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.counts_ = counts
        return self

    def encode(self, text: str, dtype="int64") -> np.ndarray:
        """Ids of the tokens of ``text``, shape ``(tokens,)``; unknown tokens → the unknown id."""
        self._check_fitted()
        unknown = self.index.get(self.unknown_token) if self.unknown_token is not None else None
        ids = []
        for token in self.tokenize(text):
            i = self.index.get(token, unknown)
            if i is None:
                raise ValueError(f"Vocabulary.encode: token {token!r} is not in the vocabulary and "
                                 "`unknown_token` is None")
            ids.append(i)
        return np.asarray(ids, dtype=dtype)

    def encode_batch(self, texts, dtype="int64") -> list[np.ndarray]:
        """One id array per text (pad them with :func:`seqlab.data.pad_sequences`)."""
        return [self.encode(text, dtype=dtype) for text in texts]

    def decode(self, ids, skip_padding: bool = True) -> str:
        """Text back from ids: characters joined directly, words with spaces."""
        self._check_fitted()
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens)):
            bad = ids[(ids < 0) | (ids >= len(self.tokens))][0]
            raise ValueError(f"Vocabulary.decode: id {bad} is outside 0..{len(self.tokens) - 1}")
        pad = self.index.get(self.padding_token) if self.padding_token is not None else None
        tokens = [self.tokens[i] for i in ids.tolist() if not (skip_padding and i == pad)]
        return ("" if self.level == "char" else " ").join(tokens)

    def _check_fitted(self):
        if not hasattr(self, "tokens"):
            raise NotBuiltError("Vocabulary: call fit(texts) before encode/decode")


def text_windows(ids, seq_length: int, stride: int = 1, target: str = "shifted"):
    """Next-token training pairs over one encoded text, as read-only views.

    ``target="shifted"`` (the Shakespeare recipe): ``X[i] = ids[s:s+L]``, ``y[i] = ids[s+1:s+L+1]``
    (a target per step, for ``return_sequences=True``). ``target="next"``: ``y[i] = ids[s+L]``.

    Input shape: ``(n,)``. Output: ``X`` ``(samples, L)``; ``y`` ``(samples, L)`` or ``(samples,)``.

    >>> X, y = text_windows(np.arange(6), seq_length=3, stride=2)
    >>> X.tolist(), y.tolist()
    ([[0, 1, 2], [2, 3, 4]], [[1, 2, 3], [3, 4, 5]])
    """
    ids = np.asarray(ids)
    seq_length = check_int("text_windows", "seq_length", seq_length)
    stride = check_int("text_windows", "stride", stride)
    check_choice("text_windows", "target", target, ("shifted", "next"))
    if ids.ndim != 1 or ids.size < seq_length + 1:
        raise ValueError(f"text_windows: `ids` must be 1-D with at least seq_length + 1 = {seq_length + 1} "
                         f"ids, got shape {ids.shape}")
    views = sliding_window_view(ids, seq_length + 1)[::stride]  # (samples, L + 1)
    return views[:, :-1], (views[:, 1:] if target == "shifted" else views[:, -1])


def sample_text_windows(ids, seq_length: int, batch_size: int, seed=None, target: str = "shifted"):
    """A random batch of next-token windows (copies of ``batch_size`` windows, not the whole text).

    >>> X, y = sample_text_windows(np.arange(100), seq_length=4, batch_size=2, seed=0)
    >>> X.shape, bool(np.all(y[:, :-1] == X[:, 1:]))
    ((2, 4), True)
    """
    X, y = text_windows(ids, seq_length, target=target)
    batch_size = check_int("sample_text_windows", "batch_size", batch_size)
    chosen = np.random.default_rng(seed).integers(0, X.shape[0], size=batch_size)
    return X[chosen], y[chosen]
