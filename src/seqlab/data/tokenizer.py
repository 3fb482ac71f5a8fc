"""Keras 2's text ``Tokenizer`` (``keras.preprocessing.text``), the one of the Keras 2 tutorials.

The behaviour is Keras's, rule for rule (``keras/src/legacy/preprocessing/text.py``): words are
lower-cased, the characters of ``filters`` become separators, and the text is split on
``split``; ``word_index`` numbers the words from 1 by descending count (ties in the order first
seen), after ``oov_token`` at 1 if one is given; index 0 is never a word (it is padding).
``num_words`` keeps only indices below it, that is the ``num_words - 1`` most frequent words
(``num_words - 2`` besides the out-of-vocabulary token). ``to_json`` /
:func:`tokenizer_from_json` store everything but an ``analyzer`` function, as Keras does.

What differs, on purpose: wrong arguments are refused with an error naming them (a single string
given to ``fit_on_texts`` would be read by Keras as a list of one-character texts), and an
unknown ``texts_to_matrix`` mode is refused before any work.
"""
from __future__ import annotations

import collections
import hashlib
import json
import warnings

import numpy as np

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'  # Keras's default: punctuation, tabs and newlines
MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text: str, filters: str = FILTERS, lower: bool = True, split: str = " ") -> list[str]:
    """Keras's word splitter: ``"Hello, world!"`` → ``['hello', 'world']``."""
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def hashing_trick(text: str, n: int, hash_function=None, filters: str = FILTERS, lower: bool = True,
                  split: str = " ", analyzer=None) -> list[int]:
    """Each word to ``hash(word) % (n - 1) + 1`` (ids 1..n-1; 0 stays padding).

    ``hash_function='md5'`` gives the same ids in every process; Python's ``hash`` (the default,
    as in Keras) changes between processes unless ``PYTHONHASHSEED`` is set.
    """
    check_int("hashing_trick", "n", n, minimum=2)
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text: str, n: int, filters: str = FILTERS, lower: bool = True, split: str = " ",
            analyzer=None) -> list[int]:
    """Keras's ``one_hot``: :func:`hashing_trick` with Python's ``hash`` (not a one-hot matrix)."""
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Words (or characters) to integer ids, counts and document-term matrices.

    Args:
        num_words: keep the ``num_words - 1`` most frequent words in sequences and matrices
            (``None``: all); ``word_index`` still holds every word.
        filters: characters removed from the texts (each becomes a separator).
        lower: lower-case the texts first.
        split: the word separator.
        char_level: every character is a token.
        oov_token: if given, takes index 1 and replaces words outside the vocabulary (or beyond
            ``num_words``) instead of dropping them.
        analyzer: a function ``text -> list of tokens`` used instead of the splitting above.

    >>> tokenizer = Tokenizer(num_words=4)
    >>> tokenizer.fit_on_texts(["The cat sat on the mat.", "The dog ate my homework."])
    >>> tokenizer.word_index["the"], tokenizer.word_index["cat"]
    (1, 2)
    >>> tokenizer.texts_to_sequences(["the cat sat on the dog"])
    [[1, 2, 3, 1]]
    """

    def __init__(self, num_words=None, filters: str = FILTERS, lower: bool = True, split: str = " ",
                 char_level: bool = False, oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 1's name, which Keras 2 still takes with a warning
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.", stacklevel=2)
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer() got unexpected keyword arguments {sorted(kwargs)}")
        self.num_words = None if num_words is None else check_int("Tokenizer", "num_words", num_words)
        for argument, value in (("filters", filters), ("split", split)):
            if not isinstance(value, str):
                raise TypeError(f"Tokenizer: `{argument}` must be a string, got {describe(value)}")
        if analyzer is not None and not callable(analyzer):
            raise TypeError(f"Tokenizer: `analyzer` must be a function text -> tokens, got {describe(analyzer)}")
        self.filters, self.split = filters, split
        self.lower = check_bool("Tokenizer", "lower", lower)
        self.char_level = check_bool("Tokenizer", "char_level", char_level)
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = check_int("Tokenizer", "document_count", document_count, minimum=0)
        self.word_counts: dict[str, int] = collections.OrderedDict()
        self.word_docs: dict[str, int] = collections.defaultdict(int)  # documents holding each word
        self.index_docs: dict[int, int] = collections.defaultdict(int)  # the same, by index
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    # ---- tokens ------------------------------------------------------------------------------
    def _tokens(self, text) -> list[str]:
        """One text as Keras splits it; a list is taken as tokens already (only lower-cased)."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [token.lower() for token in text] if isinstance(text, list) else text.lower()
            return list(text)
        if not isinstance(text, str):
            raise TypeError(f"Tokenizer: each text must be a string or a list of tokens, got {describe(text)}")
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    @staticmethod
    def _texts(texts, argument: str = "texts"):
        if isinstance(texts, str):
            raise TypeError(f"Tokenizer: `{argument}` must be a list of texts, got a single string "
                            f"{describe(texts)}; pass [text]")
        return texts

    # ---- fitting -----------------------------------------------------------------------------
    def fit_on_texts(self, texts) -> None:
        """Count the words of ``texts`` (strings, or lists of tokens) and renumber ``word_index``."""
        for text in self._texts(texts):
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable: words of equal count keep the order they were first seen in
        by_count = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + [word for word, _ in by_count]
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences) -> None:
        """Count documents per index from sequences of ids (what ``tfidf`` needs)."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    # ---- texts <-> sequences -----------------------------------------------------------------
    def texts_to_sequences(self, texts) -> list[list[int]]:
        """Each text as a list of word indices (words beyond ``num_words`` or unknown: dropped,
        or ``oov_token``'s index)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        oov_index = self.word_index.get(self.oov_token)
        for text in self._texts(texts):
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (self.num_words and index >= self.num_words):
                    sequence.append(index)
                elif self.oov_token is not None and oov_index is not None:
                    sequence.append(oov_index)
            yield sequence

    def sequences_to_texts(self, sequences) -> list[str]:
        """The inverse: indices back to words joined by spaces (lossy: case and punctuation are gone)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif self.oov_token is not None and oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    # ---- matrices ----------------------------------------------------------------------------
    def texts_to_matrix(self, texts, mode: str = "binary") -> np.ndarray:
        """``(len(texts), num_words)`` float64 matrix; ``mode`` is ``'binary'``, ``'count'``,
        ``'tfidf'`` or ``'freq'``. Column 0 (padding) stays 0."""
        check_choice("Tokenizer", "mode", mode, MODES)
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode: str = "binary") -> np.ndarray:
        """As :meth:`texts_to_matrix`, from sequences of indices. ``tfidf`` is Keras's
        ``(1 + log(count)) * log(1 + documents / (1 + documents holding the word))``."""
        check_choice("Tokenizer", "mode", mode, MODES)
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer: specify a dimension (`num_words` argument), or fit on some text data first")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit the Tokenizer on some data before using tfidf mode")
        matrix = np.zeros((len(sequences), num_words))
        for row, sequence in enumerate(sequences):
            if not sequence:
                continue
            counts = collections.Counter(index for index in sequence if index < num_words)
            for index, count in counts.items():
                if mode == "count":
                    matrix[row, index] = count
                elif mode == "freq":
                    matrix[row, index] = count / len(sequence)  # Keras: over the whole sequence
                elif mode == "binary":
                    matrix[row, index] = 1
                else:  # tfidf, weighting scheme 2 of https://en.wikipedia.org/wiki/Tf%E2%80%93idf
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))
                    matrix[row, index] = (1 + np.log(count)) * idf
        return matrix

    # ---- saving ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras's config: the settings, and the learned tables as JSON strings."""
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs) -> str:
        """``{"class_name": "Tokenizer", "config": ...}``, readable by Keras's
        ``tokenizer_from_json`` and by :func:`tokenizer_from_json`; ``kwargs`` go to ``json.dumps``."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)

    def __repr__(self) -> str:
        settings = "" if self.num_words is None else f"num_words={self.num_words}, "
        return f"Tokenizer({settings}words={len(self.word_counts)}, documents={self.document_count})"


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """A :class:`Tokenizer` from :meth:`Tokenizer.to_json` (or Keras's own ``to_json``).

    Raises:
        ValueError: the text is not a tokenizer's JSON.
    """
    try:
        config = dict(json.loads(json_string)["config"])
        tables = {key: json.loads(config.pop(key)) for key in
                  ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"tokenizer_from_json: not a Tokenizer's JSON ({type(error).__name__}: {error})") from None
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = collections.OrderedDict(tables["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, tables["word_docs"])
    # JSON keys are strings; the indices are integers again
    tokenizer.index_docs = collections.defaultdict(int, {int(k): v for k, v in tables["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
