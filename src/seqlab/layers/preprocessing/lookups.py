"""``StringLookup`` and ``IntegerLookup``: a vocabulary of strings or of integers to indices.

Both are :class:`~seqlab.layers.preprocessing.index_lookup.IndexLookup` with Keras 3's defaults
(``keras/src/layers/preprocessing/string_lookup.py``, ``integer_lookup.py``): no mask token,
one OOV index (``"[UNK]"`` / ``-1``) at index 0.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.checks import check_choice
from seqlab.errors import describe
from seqlab.layers.inputs import string_array
from seqlab.layers.preprocessing.index_lookup import IndexLookup, string_hash_buckets


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (adapted or given).

    Args:
        max_tokens: largest vocabulary, mask and OOV indices included; None for no limit.
        num_oov_indices: indices for out-of-vocabulary tokens (0: an OOV token is an error;
            more than 1: tokens are hashed among them).
        mask_token: a token mapped to 0 in ``int`` mode (dropped in the other modes); None for none.
        oov_token: the token ``invert=True`` returns for an OOV index.
        vocabulary: a list of strings (no file paths: a model file must not point outside itself).
        idf_weights: the TF-IDF weights of the vocabulary, for ``output_mode="tf_idf"``.
        invert: map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: encode to ``max_tokens`` columns however small the vocabulary.
        sparse: must be False (dense tensors only).
        encoding: the text encoding of bytes input; only ``"utf-8"``.

    Input shape:
        Strings of any shape ``(batch, ...)``: a list or NumPy array of str.

    Output shape:
        ``int``: the input's shape, int64 indices. ``one_hot``: ``(..., vocabulary_size)``;
        ``multi_hot``/``count``/``tf_idf``: ``(batch, vocabulary_size)``.

    Keras's docstring example (``string_lookup.py``), same answers:

    >>> layer = StringLookup()
    >>> layer.adapt([["a", "c", "d"], ["d", "z", "b"]])
    >>> layer.get_vocabulary()
    ['[UNK]', 'd', 'z', 'c', 'b', 'a']
    >>> StringLookup(vocabulary=["a", "b", "c", "d"])([["a", "c", "d"], ["d", "z", "b"]]).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    takes_strings = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", **kwargs):
        self.encoding = check_choice(type(self).__name__, "encoding", encoding, ("utf-8",))
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, **kwargs)

    def check_token(self, argument, token):
        if token is not None and not isinstance(token, str):
            raise TypeError(f"{type(self).__name__}: `{argument}` must be a string or None, got {describe(token)}")
        return token

    token_dtype = str

    def token_array(self, batch) -> np.ndarray:
        if torch.is_tensor(batch):
            raise TypeError(f"{self.describe_self()} takes strings, got a tensor of dtype {batch.dtype}; "
                            "use IntegerLookup for integer ids")
        if isinstance(batch, (list, tuple)) and not batch:
            return np.array([], dtype=str)
        array = string_array(batch, self)
        if array.dtype.kind in "biuf":
            raise TypeError(f"{self.describe_self()} takes strings, got an array of {array.dtype}; "
                            "use IntegerLookup for integer ids")
        return array

    def oov_hash(self, tokens):
        return string_hash_buckets(tokens, self.num_oov_indices)

    def get_config(self):
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (adapted or given).

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode,
        pad_to_max_tokens, sparse: as :class:`StringLookup`.
        mask_token: an integer mapped to 0 in ``int`` mode; None (the default) for none.
        oov_token: the integer ``invert=True`` returns for an OOV index (-1).
        vocabulary_dtype: ``"int64"`` (or ``"int32"``).

    With ``num_oov_indices > 1`` an OOV value ``v`` goes to OOV index ``v mod num_oov_indices``
    (Keras's default ``oov_method="floormod"``).

    Input shape:
        Integers of any shape ``(batch, ...)``.

    Output shape:
        As :class:`StringLookup`.

    Keras's docstring example (``integer_lookup.py``), same answers:

    >>> layer = IntegerLookup()
    >>> layer.adapt([[12, 1138, 42], [42, 1000, 36]])
    >>> layer.get_vocabulary()
    [-1, 42, 1138, 1000, 36, 12]
    >>> IntegerLookup(vocabulary=[12, 36, 1138, 42])([[12, 1138, 42], [42, 1000, 36]]).tolist()
    [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, **kwargs):
        self.vocabulary_dtype = check_choice(type(self).__name__, "vocabulary_dtype", vocabulary_dtype,
                                             ("int64", "int32"))
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, **kwargs)

    token_dtype = np.int64

    def check_token(self, argument, token):
        if token is not None and (isinstance(token, bool) or not isinstance(token, (int, np.integer))):
            raise TypeError(f"{type(self).__name__}: `{argument}` must be an integer or None, got {describe(token)}")
        return None if token is None else int(token)

    def token_array(self, batch) -> np.ndarray:
        array = batch.detach().cpu().numpy() if torch.is_tensor(batch) else np.asarray(batch)
        if array.size == 0:
            return array.astype(np.int64)
        if array.dtype.kind == "f" and np.array_equal(array, np.round(array)):
            array = array.astype(np.int64)  # ids that arrived as floats (a float64 NumPy array)
        if array.dtype.kind not in "iub":
            raise TypeError(f"{self.describe_self()} takes integers, got an array of {array.dtype}"
                            f"{' with fractional values' if array.dtype.kind == 'f' else ''}; "
                            "use StringLookup for strings")
        return array.astype(np.int64)

    def oov_hash(self, tokens):
        return np.mod(tokens, self.num_oov_indices)

    def invert_output(self, tokens):
        return torch.as_tensor(tokens, dtype=torch.long, device=self.device)

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        return config
