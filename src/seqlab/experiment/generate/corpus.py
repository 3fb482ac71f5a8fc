"""The corpus of a generate run: tokens, the vocabulary (train part only), the split by position
and the windows a next-token model learns from.

The text is cut by position: the first part trains (its end validates), the last ``text.test``
fraction tests. Windows of ``sequence_length + 1`` tokens are cut inside one part, never across
a boundary, with a stride of ``sequence_length`` so that the targets of consecutive windows
cover every position of the part after its first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# A word token: a run of letters, digits and apostrophes; a punctuation mark; or a newline.
_WORD = re.compile(r"\n|[\w']+|[^\w\s]")
OOV = {"char": "\ufffd", "word": "<unk>"}  # id 0: a test token the train part never had


def tokenize(text: str, level: str) -> list[str]:
    """Characters, or words and punctuation marks (newlines kept, other spaces dropped).

    >>> tokenize("To be, or\\nnot.", "word")
    ['To', 'be', ',', 'or', '\\n', 'not', '.']
    """
    if level == "char":
        return list(text)
    if level == "word":
        return _WORD.findall(text)
    raise ValueError(f"level must be 'char' or 'word', got {level!r}")


def detokenize(tokens: list[str], level: str) -> str:
    """Tokens back to text (words joined by one space, none around a newline)."""
    if level == "char":
        return "".join(tokens)
    text = ""
    for token in tokens:
        glue = "" if not text or text.endswith("\n") or token == "\n" or not _is_word(token) else " "
        text += glue + token
    return text


def _is_word(token: str) -> bool:
    return bool(re.fullmatch(r"[\w']+", token))


@dataclass
class Corpus:
    """Token ids of the whole text, the vocabulary and the bounds of each part (``[start, end)``)."""

    ids: np.ndarray  # (n_tokens,) int64
    vocabulary: list[str]  # id -> token; id 0 is the OOV token
    bounds: dict  # {"train": (0, a), "validation": (a, b), "test": (b, n)}
    level: str
    unknown_in_test: int  # test tokens that map to OOV

    def part(self, name: str) -> np.ndarray:
        start, end = self.bounds[name]
        return self.ids[start:end]


def split_bounds(n_tokens: int, validation: float, test: float) -> dict:
    """Position bounds: train first, then validation, then the last ``test`` fraction."""
    test_start = n_tokens - int(round(test * n_tokens))
    validation_start = test_start - int(round(validation * n_tokens))
    if validation_start < 2 or test_start >= n_tokens:
        raise ValueError(f"a text of {n_tokens} tokens is too short to split into train, validation "
                         f"({validation}) and test ({test}) parts")
    return {"train": (0, validation_start), "validation": (validation_start, test_start),
            "test": (test_start, n_tokens)}


def build_corpus(text: str, level: str, validation: float, test: float) -> Corpus:
    """Tokenise, split by position, and number the tokens with a vocabulary of the train part."""
    tokens = tokenize(text, level)
    bounds = split_bounds(len(tokens), validation, test)
    train_end = bounds["train"][1]
    vocabulary = [OOV[level], *sorted(set(tokens[:train_end]) - {OOV[level]})]
    index = {token: i for i, token in enumerate(vocabulary)}
    ids = np.fromiter((index.get(token, 0) for token in tokens), dtype=np.int64, count=len(tokens))
    unknown = int((ids[bounds["test"][0]:] == 0).sum())
    return Corpus(ids, vocabulary, bounds, level, unknown)


def encode(tokens: list[str], vocabulary: list[str]) -> np.ndarray:
    index = {token: i for i, token in enumerate(vocabulary)}
    return np.asarray([index.get(token, 0) for token in tokens], dtype=np.int64)


def window_starts(start: int, end: int, length: int) -> np.ndarray:
    """Starts of the windows of ``length + 1`` tokens inside ``[start, end)``, stride ``length``."""
    return np.arange(start, end - length, length, dtype=np.int64)


def windows(corpus: Corpus, part: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` ``(N, length)`` and next-token targets ``y`` ``(N, length)`` inside one part."""
    start, end = corpus.bounds[part]
    starts = window_starts(start, end, length)
    rows = starts[:, None] + np.arange(length + 1)[None, :]            # (N, length + 1)
    return corpus.ids[rows[:, :-1]], corpus.ids[rows[:, 1:]]


def scored_positions(corpus: Corpus, part: str, length: int) -> tuple[int, int]:
    """``[first, end)``: the positions whose tokens the windows of a part predict (every
    position after the part's first, up to the last full window)."""
    start, end = corpus.bounds[part]
    starts = window_starts(start, end, length)
    if len(starts) == 0:
        raise ValueError(f"the {part} part has {end - start} tokens, fewer than text.sequence_length + 1 "
                         f"= {length + 1}: lower text.sequence_length or give a longer text")
    return start + 1, int(starts[-1]) + length + 1
