"""The baselines a text generator must beat: unigram frequencies and interpolated Kneser-Ney
n-gram models, fitted on the train part, scored in bits per token on the same test positions.

Interpolated Kneser-Ney (Chen & Goodman 1998, their "interpolated KN" with one discount
``D = 0.75`` per order). With ``c`` the counts of the highest order and, below it, the
continuation counts ``N1+(• h w)`` (how many distinct tokens precede ``h w``)::

    P_k(w | h) = max(c(h w) - D, 0) / c(h) + D · N1+(h •) / c(h) · P_{k-1}(w | h[1:])
    P_k(w | h) = P_{k-1}(w | h[1:])                      when c(h) = 0
    P_0(w)     = 1 / V                                    (V: vocabulary size, OOV included)

so every test token, even one unseen in training, has a probability above zero.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

DISCOUNT = 0.75  # Chen & Goodman's usual single discount


def unigram_bits(train: np.ndarray, test: np.ndarray, vocabulary_size: int) -> float:
    """Mean ``-log2 p`` of ``test`` under add-one (Laplace) smoothed train frequencies."""
    counts = np.bincount(train, minlength=vocabulary_size).astype(np.float64)
    p = (counts + 1.0) / (counts.sum() + vocabulary_size)
    return float(-np.log2(p[test]).mean())


class KneserNey:
    """An interpolated Kneser-Ney model of ``order`` (3: two tokens of context).

    >>> model = KneserNey(2, vocabulary_size=3).fit(np.array([1, 2, 1, 2]))
    >>> round(model.probability((1,), 2), 6)     # the docs' hand computation
    0.765625
    """

    def __init__(self, order: int, vocabulary_size: int, discount: float = DISCOUNT):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"KneserNey: `order` must be a positive integer, got {order!r}")
        if not 0 < discount < 1:
            raise ValueError(f"KneserNey: `discount` must be in (0, 1), got {discount!r}")
        self.order, self.vocabulary_size, self.discount = order, vocabulary_size, discount

    def fit(self, ids: np.ndarray) -> "KneserNey":
        tokens = [int(t) for t in ids]
        grams = {k: Counter(zip(*(tokens[i:len(tokens) - k + 1 + i] for i in range(k))))
                 for k in range(1, self.order + 1)}
        # counts_[k]: raw counts for the highest order, continuation counts below it
        self.counts_ = {self.order: grams[self.order]}
        for k in range(1, self.order):
            self.counts_[k] = Counter(gram[1:] for gram in grams[k + 1])
        self.context_total_, self.context_types_ = {}, {}
        for k, counts in self.counts_.items():
            total, types = Counter(), Counter()
            for gram, count in counts.items():
                total[gram[:-1]] += count
                types[gram[:-1]] += 1
            self.context_total_[k], self.context_types_[k] = total, types
        return self

    def probability(self, history: tuple, token: int) -> float:
        """``P(token | history)``, using the last ``order - 1`` tokens of ``history`` (fewer at
        the start of a text: the order that many tokens allow)."""
        history = tuple(history[len(history) - self.order + 1:]) if self.order > 1 else ()
        return self._p(len(history) + 1, history, token)

    def _p(self, k: int, history: tuple, token: int) -> float:
        if k == 0:
            return 1.0 / self.vocabulary_size
        lower = self._p(k - 1, history[1:], token)
        total = self.context_total_[k].get(history, 0)
        if total == 0:
            return lower
        count = self.counts_[k].get((*history, token), 0)
        types = self.context_types_[k][history]
        return max(count - self.discount, 0.0) / total + self.discount * types / total * lower

    def bits(self, ids: np.ndarray, first: int, end: int, context_start: int = 0) -> float:
        """Mean ``-log2 P`` of ``ids[first:end]``, each token given the tokens before it from
        ``context_start`` on (a test part's context never reaches back into training text)."""
        tokens = [int(t) for t in ids[context_start:end]]
        offset = first - context_start
        total = 0.0
        for i in range(offset, len(tokens)):
            history = tuple(tokens[max(0, i - self.order + 1):i])
            total -= math.log2(self.probability(history, tokens[i]))
        return total / (end - first)
