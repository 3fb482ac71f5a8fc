"""``TextVectorization``: raw strings to token ids (or multi-hot, count, TF-IDF vectors).

Keras's pipeline (``keras/src/layers/preprocessing/text_vectorization.py``): standardize (lower
case, strip the punctuation of Keras's regex) -> split (whitespace or characters) -> n-grams
(joined by a space, all 1-grams first, then 2-grams...) -> a :class:`StringLookup` with mask
``""`` and OOV ``"[UNK]"``, so in ``int`` mode index 0 pads and 1 is the unknown token.
One difference: ``"lower"`` lower-cases every letter (Python's ``str.lower``), where
TensorFlow's op lower-cases ASCII letters only.
"""
from __future__ import annotations

import re

import numpy as np
import torch

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe
from seqlab.layers.inputs import string_array
from seqlab.layers.preprocessing import encoding
from seqlab.layers.preprocessing.base import PreprocessingLayer, adapt_batches
from seqlab.layers.preprocessing.index_lookup import OUTPUT_MODES
from seqlab.layers.preprocessing.lookups import StringLookup

# Keras's DEFAULT_STRIP_REGEX, character for character.
STRIP_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


class TextVectorization(PreprocessingLayer):
    """Turns strings into sequences of token ids (or bag-of-words vectors) from a vocabulary.

    Args:
        max_tokens: largest vocabulary, the pad and OOV indices included; None for no limit.
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``, ``"strip_punctuation"``,
            None, or a callable on one string.
        split: ``"whitespace"``, ``"character"``, None (each string is one token), or a callable
            from one string to a list of tokens.
        ngrams: None, an integer n (all 1..n-grams) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"`` (``"one_hot"``
            is accepted, as Keras, and encodes each token).
        output_sequence_length: ``int`` mode: pad with 0 or cut to this length; None pads to
            the longest text of each batch.
        pad_to_max_tokens: encode to ``max_tokens`` columns however small the vocabulary.
        vocabulary: a list of strings instead of ``adapt``.
        idf_weights: with ``vocabulary`` and ``output_mode="tf_idf"``.
        sparse, ragged: must be False (dense tensors only).
        encoding: ``"utf-8"``.

    Input shape:
        ``(batch,)`` or ``(batch, 1)`` strings: a list or NumPy array of str.

    Output shape:
        ``int``: ``(batch, output_sequence_length)`` int64; the other modes ``(batch, vocabulary_size)``.

    Keras's docstring example, same answers:

    >>> layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    >>> layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    >>> layer([["foo qux bar"], ["qux baz"]]).tolist()
    [[4, 1, 3, 0], [1, 2, 0, 0]]
    >>> TextVectorization(vocabulary=["earth", "wind", "and", "fire"]).get_vocabulary()
    ['', '[UNK]', 'earth', 'wind', 'and', 'fire']
    """

    takes_strings = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", **kwargs):
        owner = type(self).__name__
        self.standardize = _text_step(owner, "standardize", standardize, STANDARDIZE)
        self.split = _text_step(owner, "split", split, SPLIT)
        if ngrams is not None and not isinstance(ngrams, (int, tuple, list)) or isinstance(ngrams, bool):
            raise ValueError(f"{owner}: `ngrams` must be None, an integer or a tuple of integers, got {describe(ngrams)}")
        if isinstance(ngrams, (tuple, list)):
            ngrams = tuple(check_int(owner, "ngrams", n) for n in ngrams)
        elif ngrams is not None:
            check_int(owner, "ngrams", ngrams)
        self.ngrams = ngrams
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_choice(owner, "output_mode", output_mode, OUTPUT_MODES)
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(f"{owner}: `output_sequence_length` is only for output_mode='int', got "
                                 f"output_mode={output_mode!r}")
            check_int(owner, "output_sequence_length", output_sequence_length)
        self.output_sequence_length = output_sequence_length
        if check_bool(owner, "ragged", ragged):
            raise ValueError(f"{owner}: `ragged=True` needs TensorFlow's ragged tensors; seqlab pads with 0 "
                             "(leave `ragged` out)")
        self.ragged = False
        if max_tokens is not None and check_int(owner, "max_tokens", max_tokens) <= 1:
            raise ValueError(f"{owner}: `max_tokens` must be greater than 1 (it counts the pad and OOV "
                             f"indices too), got {max_tokens}")
        if check_bool(owner, "sparse", sparse):
            raise ValueError(f"{owner}: `sparse=True` needs TensorFlow's sparse tensors; seqlab returns dense "
                             "tensors (leave `sparse` out)")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` is only for output_mode='tf_idf', got output_mode={output_mode!r}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{owner}: with `vocabulary` given and output_mode='tf_idf', `idf_weights` "
                             "must be given too (or call adapt instead)")
        super().__init__(**kwargs)
        self.lookup_layer = StringLookup(
            max_tokens=max_tokens, mask_token="", oov_token="[UNK]", output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens, encoding=encoding, name=f"{self.name}_lookup")
        self.lookup_layer.describe_self = self.describe_self  # its errors name this layer
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    output_mode = property(lambda self: self.lookup_layer.output_mode)

    # ---- the text pipeline -------------------------------------------------------------
    def tokenize(self, strings: np.ndarray) -> list[list[str]]:
        """Each sample's tokens: standardized, split and made into n-grams."""
        if strings.ndim == 2 and strings.shape[1] == 1:
            strings = strings[:, 0]
        if strings.ndim != 1:
            raise ValueError(f"{self.describe_self()} takes one string per sample, shape (batch,) or "
                             f"(batch, 1); got shape {strings.shape}")
        return [self._ngrams(self._split(self._standardize(text))) for text in strings.tolist()]

    def _standardize(self, text: str) -> str:
        if callable(self.standardize):
            return self.standardize(text)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = STRIP_PUNCTUATION.sub("", text)
        return text

    def _split(self, text: str) -> list[str]:
        if callable(self.split):
            return list(self.split(text))
        if self.split == "whitespace":
            return text.split()  # runs of whitespace count once; ends are stripped (tf.strings.split)
        if self.split == "character":
            return list(text)
        return [text]

    def _ngrams(self, tokens: list[str]) -> list[str]:
        if self.ngrams is None:
            return tokens
        widths = range(1, self.ngrams + 1) if isinstance(self.ngrams, int) else self.ngrams
        return [" ".join(tokens[i:i + width]) for width in widths for i in range(len(tokens) - width + 1)]

    # ---- vocabulary --------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary from texts: by count, ties by the token descending (Keras)."""
        batches = adapt_batches(self, data, "its vocabulary")
        self.lookup_layer.learn_vocabulary(
            tokens for batch in batches for tokens in self.tokenize(self._strings(batch)))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        return self.lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        self.lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def vocabulary_size(self) -> int:
        return self.lookup_layer.vocabulary_size()

    # ---- call --------------------------------------------------------------------------
    def call(self, inputs, training=False, mask=None):
        documents = self.tokenize(self._strings(inputs))
        lengths = [len(d) for d in documents]
        flat = np.array([t for d in documents for t in d], dtype=str)
        ids = self.lookup_layer.lookup(flat)
        mode = self.output_mode
        width = self.output_sequence_length if mode == "int" and self.output_sequence_length else max(lengths, default=0)
        table = np.full((len(documents), width), 0 if mode == "int" else encoding.DROP, dtype=np.int64)
        start = 0
        for row, length in enumerate(lengths):  # pad with 0 (int) or drop (bags); cut to width
            kept = min(length, width)
            table[row, :kept] = ids[start:start + kept]
            start += length
        if mode == "int":
            return torch.as_tensor(table, device=self.device)
        return self.lookup_layer.encode_ids(table)

    def _strings(self, batch) -> np.ndarray:
        array = string_array(batch, self) if not torch.is_tensor(batch) else batch
        if torch.is_tensor(array) or array.dtype.kind != "U":
            raise TypeError(f"{self.describe_self()} takes strings, got {describe(batch)}")
        return array

    def validate_input_shape(self, input_shape):
        if len(input_shape) > 2 or (len(input_shape) == 2 and input_shape[1] != 1):
            raise ValueError(f"{self.describe_self()} takes one string per sample, shape (batch,) or "
                             f"(batch, 1); got shape {tuple(input_shape)}")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self.lookup_layer.depth())

    def get_config(self):
        lookup = self.lookup_layer.get_config()
        config = super().get_config()
        config.update({
            "max_tokens": lookup["max_tokens"], "standardize": _step_config(self.standardize),
            "split": _step_config(self.split), "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": lookup["pad_to_max_tokens"], "sparse": False, "ragged": False,
            "vocabulary": lookup["vocabulary"], "idf_weights": lookup["idf_weights"],
            "encoding": lookup["encoding"],
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                raise ValueError(f"TextVectorization: the saved `{key}` was the callable "
                                 f"{config[key]['callable']!r}, which JSON cannot hold; rebuild the layer "
                                 f"with {key}=... yourself and set_vocabulary(...)")
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _text_step(owner: str, argument: str, value, names: tuple):
    if value is None or callable(value):
        return value
    return check_choice(owner, argument, value, names)


def _step_config(value):
    if callable(value):
        return {"callable": getattr(value, "__qualname__", repr(value))}
    return value
