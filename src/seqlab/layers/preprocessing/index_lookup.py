"""Vocabulary lookup, Keras's ``IndexLookup`` (the base of StringLookup and IntegerLookup).

The index layout, as ``keras/src/layers/preprocessing/index_lookup.py``: in ``int`` mode with a
mask token, index 0 is the mask, then ``num_oov_indices`` OOV indices, then the vocabulary;
in the other modes the mask is not in the vocabulary (its ids are dropped) and the OOV indices
come first. ``adapt`` orders the vocabulary by count, most frequent first, ties broken by the
token itself *descending* (Keras sorts ``np.lexsort((tokens, counts))[::-1]``), then keeps the
first ``max_tokens - (mask + OOV)``. TF-IDF weights are ``log(1 + documents / (1 + document
frequency))``, and each OOV index gets the mean of the vocabulary's weights.

Decision on saving: Keras 3 writes an adapted vocabulary to an asset file (``vocabulary.txt``)
and a vocabulary given to ``__init__`` into the config; seqlab's model file has no assets, so
the config always holds the vocabulary (and the TF-IDF weights), as JSON lists.
"""
from __future__ import annotations

import collections
import zlib

import numpy as np
import torch

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe
from seqlab.layers.preprocessing import encoding
from seqlab.layers.preprocessing.base import PreprocessingLayer, adapt_batches

OUTPUT_MODES = ("int", *encoding.MODES)


class IndexLookup(PreprocessingLayer):
    """Base class of the lookup layers (not instantiated on its own); see StringLookup."""

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None, idf_weights=None,
                 invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if max_tokens is not None and check_int(owner, "max_tokens", max_tokens) <= 1:
            raise ValueError(f"{owner}: `max_tokens` must be greater than 1 (it counts the mask and OOV "
                             f"indices too), got {max_tokens}")
        self.max_tokens = max_tokens
        self.num_oov_indices = check_int(owner, "num_oov_indices", num_oov_indices, minimum=0)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        self.output_mode = check_choice(owner, "output_mode", output_mode, OUTPUT_MODES)
        self.invert = check_bool(owner, "invert", invert)
        self.pad_to_max_tokens = check_bool(owner, "pad_to_max_tokens", pad_to_max_tokens)
        if check_bool(owner, "sparse", sparse):
            raise ValueError(f"{owner}: `sparse=True` needs TensorFlow's sparse tensors; seqlab returns dense "
                             "tensors (leave `sparse` out)")
        self.sparse = False
        if self.invert and self.output_mode != "int":
            raise ValueError(f"{owner}: `invert=True` needs output_mode='int', got output_mode={output_mode!r}")
        if self.pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{owner}: `pad_to_max_tokens=True` needs `max_tokens`, got max_tokens=None")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"{owner}: `idf_weights` is only for output_mode='tf_idf', got "
                             f"output_mode={self.output_mode!r}")
        if self.output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{owner}: with `vocabulary` given and output_mode='tf_idf', `idf_weights` "
                             "must be given too (or call adapt instead)")
        self.mask_token = self.check_token("mask_token", mask_token)
        self.oov_token = self.check_token("oov_token", oov_token)
        self.tokens_: list | None = None  # the learned or given vocabulary, special tokens left out
        self.idf_: np.ndarray | None = None  # (vocabulary_size,) float64, OOV entries included
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---- what subclasses say -----------------------------------------------------------
    def check_token(self, argument: str, token):
        """A special token of the right type (override)."""
        return token

    token_dtype: type = object  # str or np.int64 (subclasses)

    def token_array(self, batch) -> np.ndarray:
        """One batch as an array of tokens (override: strings or integers)."""
        raise NotImplementedError

    def oov_hash(self, tokens: np.ndarray) -> np.ndarray:
        """Bucket of each OOV token among ``num_oov_indices`` (override)."""
        raise NotImplementedError

    # ---- the index layout --------------------------------------------------------------
    def oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def token_start(self) -> int:
        return self.oov_start() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """Indices in use: mask and OOV included (Keras's ``vocabulary_size()``)."""
        return self.token_start() + len(self.tokens_ or ())

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The token of every index (the mask at 0, the OOV token at each OOV index)."""
        tokens = list(self.tokens_ or ())
        if not include_special_tokens:
            return tokens
        return [self.mask_token] * self.oov_start() + [self.oov_token] * self.num_oov_indices + tokens

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (and TF-IDF weights) directly; special tokens at its start, in
        Keras's order, are recognised and left out."""
        owner = self.describe_self()
        if (idf_weights is None) == (self.output_mode == "tf_idf"):
            raise ValueError(f"{owner}: `idf_weights` must be given exactly when output_mode='tf_idf' "
                             f"(output_mode={self.output_mode!r}, idf_weights={describe(idf_weights)})")
        if isinstance(vocabulary, str):
            raise TypeError(f"{owner}: `vocabulary` must be a list of tokens; vocabulary files are not read "
                            f"(a model file must not point outside itself), got {vocabulary!r}")
        tokens = list(self.token_array(vocabulary).tolist())
        if not tokens:
            raise ValueError(f"{owner}: `vocabulary` is empty; give at least one token")
        special = self.get_vocabulary()[: self.token_start()]
        found_special = tokens[: len(special)] == special
        if found_special:
            tokens = tokens[len(special):]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{owner}: `vocabulary` repeats the tokens {repeated}; each token may appear once")
        for argument, token in (("mask_token", self.mask_token), ("oov_token", self.oov_token)):
            if token is not None and token in tokens and (argument == "mask_token" or self.invert):
                raise ValueError(f"{owner}: `vocabulary` holds the {argument} {token!r} among its tokens; "
                                 f"leave it out, or put the special tokens first in this order: {special}")
        size = self.token_start() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{owner}: the vocabulary has {size} indices (special tokens included), more "
                             f"than max_tokens={self.max_tokens}")
        if idf_weights is not None:
            idf = np.asarray(idf_weights, dtype=np.float64).reshape(-1)
            given = len(tokens) + (len(special) if found_special else 0)
            if len(idf) != given:
                raise ValueError(f"{owner}: `idf_weights` has {len(idf)} values for a vocabulary of {given}")
            if not found_special:  # Keras: the OOV entries get the mean weight
                idf = np.concatenate([np.full(self.token_start(), idf.mean()), idf])
            self.idf_ = idf
        self.tokens_ = tokens

    # ---- adapt -------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary from ``data`` (its tokens, counted); replaces any vocabulary.
        Each row of a batch is one document (a 1-D batch: one token per document)."""
        batches = [self.token_array(b) for b in adapt_batches(self, data, "its vocabulary")]
        self.learn_vocabulary(row for batch in batches for row in batch.reshape(len(batch), -1).tolist())

    def learn_vocabulary(self, documents) -> None:
        """Count the tokens of ``documents`` (lists of tokens) and keep the most frequent."""
        counts: collections.Counter = collections.Counter()
        document_counts: collections.Counter = collections.Counter()
        number = 0
        for document in documents:
            counts.update(document)
            document_counts.update(set(document))
            number += 1
        for token in (self.mask_token, self.oov_token):
            counts.pop(token, None)
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - self.token_start()]
        self.tokens_ = [token for token, _ in ranked]
        if self.output_mode == "tf_idf":
            df = np.array([document_counts[t] for t in self.tokens_], dtype=np.float64)
            idf = np.log(1.0 + number / (1.0 + df))
            self.idf_ = np.concatenate([np.full(self.token_start(), idf.mean() if len(idf) else 0.0), idf])

    # ---- call --------------------------------------------------------------------------
    def lookup(self, tokens: np.ndarray) -> np.ndarray:
        """Token -> index, int64, with the mask, OOV and OOV-bucket rules."""
        table = {token: index for index, token in enumerate(self.tokens_ or (), start=self.token_start())}
        flat = tokens.reshape(-1).tolist()
        ids = np.fromiter((table.get(t, -1) for t in flat), dtype=np.int64, count=len(flat)).reshape(tokens.shape)
        oov = ids == -1
        if self.mask_token is not None:
            masked = tokens == self.mask_token
            oov &= ~masked
            ids[masked] = 0 if self.output_mode == "int" else encoding.DROP
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(f"{self.describe_self()}: with num_oov_indices=0 every input must be in the "
                                 f"vocabulary, found OOV values {sorted(set(tokens[oov].tolist()))[:10]}; "
                                 "consider num_oov_indices=1")
            if self.num_oov_indices == 1:
                ids[oov] = self.oov_start()
            else:
                ids[oov] = self.oov_start() + self.oov_hash(tokens[oov])
        return ids

    def invert_lookup(self, ids: np.ndarray) -> np.ndarray:
        vocabulary = self.get_vocabulary()
        flat = [vocabulary[i] if 0 <= i < len(vocabulary) else self.oov_token for i in ids.reshape(-1).tolist()]
        return np.array(flat, dtype=self.token_dtype).reshape(ids.shape)

    def depth(self) -> int:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self.tokens_ is None:
            raise RuntimeError(f"{self.describe_self()}: output_mode={self.output_mode!r} needs the vocabulary "
                               "before the layer is called: pass `vocabulary=` or call `adapt` first")
        return self.vocabulary_size()

    def encode_ids(self, ids: np.ndarray):
        """Indices to the output: int64 ids, or their encoding, on the layer's device."""
        tensor = torch.as_tensor(ids, dtype=torch.long, device=self.device)
        if self.output_mode == "int":
            return tensor
        depth = self.depth()
        idf = None
        if self.output_mode == "tf_idf":
            idf = torch.zeros(depth, dtype=torch.float64)
            idf[: len(self.idf_)] = torch.as_tensor(self.idf_)  # pad_to_max_tokens: zeros beyond
            idf = idf.to(self.device)
        return encoding.encode(tensor, self.output_mode, depth, self.torch_dtype, idf_weights=idf)

    def call(self, inputs, training=False, mask=None):
        if self.invert:
            return self.invert_output(self.invert_lookup(_ids_array(self, inputs)))
        return self.encode_ids(self.lookup(self.token_array(inputs)))

    def invert_output(self, tokens: np.ndarray):
        return tokens

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoding.encoded_shape(input_shape, self.output_mode, self.depth())

    def get_config(self):
        config = super().get_config()
        config.update({
            "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
            "mask_token": self.mask_token, "oov_token": self.oov_token, "output_mode": self.output_mode,
            "invert": self.invert, "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": self.sparse,
            "vocabulary": None if self.tokens_ is None else list(self.tokens_),
            "idf_weights": None if self.idf_ is None else self.idf_[self.token_start():].tolist(),
        })
        return config


def _ids_array(layer, inputs) -> np.ndarray:
    """``invert=True``'s input: integer indices as int64."""
    array = inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else np.asarray(inputs)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{layer.describe_self()} with invert=True takes integer indices, got an array of "
                        f"{array.dtype}")
    return array.astype(np.int64)


def string_hash_buckets(tokens: np.ndarray, buckets: int) -> np.ndarray:
    """OOV bucket of each string: CRC-32 of its UTF-8 bytes modulo ``buckets``. Keras uses
    FarmHash64 (a TensorFlow op), so with num_oov_indices > 1 the buckets differ from Keras's."""
    return np.array([zlib.crc32(t.encode("utf-8")) % buckets for t in tokens.tolist()], dtype=np.int64)
