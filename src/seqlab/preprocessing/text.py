"""Keras 2's ``keras.preprocessing.text`` path: ``Tokenizer``, ``tokenizer_from_json``,
``text_to_word_sequence``, ``one_hot``, ``hashing_trick``. The implementation is
:mod:`seqlab.data.tokenizer`."""
from seqlab.data.tokenizer import (
    Tokenizer, hashing_trick, one_hot, text_to_word_sequence, tokenizer_from_json,
)

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]
