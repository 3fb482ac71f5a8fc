"""Keras 2's Tokenizer: the expected values were produced by keras_preprocessing 1.1.2's
``keras_preprocessing/text.py`` (the Tokenizer of Keras 2 / tf.keras) on the same texts, and the
tf-idf values are also computed here from Keras's formula."""
import json

import numpy as np
import pytest

from seqlab.preprocessing.text import Tokenizer, hashing_trick, text_to_word_sequence, tokenizer_from_json

TEXTS = ["The cat sat on the mat.", "The dog ate my homework.", "the cat"]


def test_word_index_counts_and_sequences_are_keras():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS[:2])
    # keras_preprocessing 1.1.2: {'the': 1, 'cat': 2, 'sat': 3, 'on': 4, 'mat': 5, 'dog': 6, ...}
    assert tokenizer.word_index == {"the": 1, "cat": 2, "sat": 3, "on": 4, "mat": 5, "dog": 6, "ate": 7,
                                    "my": 8, "homework": 9}
    assert tokenizer.index_word[6] == "dog" and tokenizer.document_count == 2
    assert tokenizer.word_counts["the"] == 3 and tokenizer.word_docs["the"] == 2
    assert tokenizer.texts_to_sequences(["the dog sat on a hat"]) == [[1, 6, 3, 4]]  # unknown words dropped
    assert tokenizer.sequences_to_texts([[1, 6, 3, 4]]) == ["the dog sat on"]


def test_num_words_keeps_the_num_words_minus_one_most_frequent():
    tokenizer = Tokenizer(num_words=4)
    tokenizer.fit_on_texts(TEXTS[:2])
    assert len(tokenizer.word_index) == 9  # the index keeps every word; sequences do not
    assert tokenizer.texts_to_sequences(["the cat sat on the dog"]) == [[1, 2, 3, 1]]  # keras_preprocessing 1.1.2
    assert tokenizer.texts_to_matrix(["on the mat"]).shape == (1, 4)


def test_oov_token_takes_index_1_and_replaces_unknown_and_rare_words():
    tokenizer = Tokenizer(num_words=6, oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.word_index["<OOV>"] == 1 and tokenizer.word_index["the"] == 2
    # keras_preprocessing 1.1.2: [[2, 3, 4, 5, 2, 1, 1]] ('dog' is index 7 >= num_words)
    assert tokenizer.texts_to_sequences(["the cat sat on the dog quickly"]) == [[2, 3, 4, 5, 2, 1, 1]]
    assert tokenizer.sequences_to_texts([[2, 3, 9, 1]]) == ["the cat <OOV> <OOV>"]


def test_matrix_modes():
    tokenizer = Tokenizer(num_words=6, oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    text = ["the cat the cat dog"]  # ids 2, 3, 2, 3, 1
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(text, mode="binary"), [[0, 1, 1, 1, 0, 0]])
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(text, mode="count"), [[0, 1, 2, 2, 0, 0]])
    np.testing.assert_allclose(tokenizer.texts_to_matrix(text, mode="freq"), [[0, 0.2, 0.4, 0.4, 0, 0]])
    # Keras's tf-idf: (1 + log(count)) * log(1 + documents / (1 + documents holding the word));
    # '<OOV>' was in no document, 'the' in 3, 'cat' in 2 (of 3)
    expected = [0, np.log(1 + 3 / 1), (1 + np.log(2)) * np.log(1 + 3 / 4), (1 + np.log(2)) * np.log(1 + 3 / 3), 0, 0]
    np.testing.assert_allclose(tokenizer.texts_to_matrix(text, mode="tfidf"), [expected], rtol=1e-12)
    # the same numbers keras_preprocessing 1.1.2 gives
    np.testing.assert_allclose(tokenizer.texts_to_matrix(text, mode="tfidf")[0, 1:4],
                               [1.38629436112, 0.94751189354, 1.173600194478], rtol=1e-10)


def test_char_level_lists_of_tokens_and_analyzer():
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abba", "Bc"])
    assert chars.word_index == {"b": 1, "a": 2, "c": 3}
    assert chars.texts_to_sequences(["cab"]) == [[3, 2, 1]]
    tokens = Tokenizer()
    tokens.fit_on_texts([["New", "York"], ["new", "jersey"]])  # lists are tokens already (only lower-cased)
    assert tokens.word_index == {"new": 1, "york": 2, "jersey": 3}
    by_pairs = Tokenizer(analyzer=lambda text: [text[i:i + 2] for i in range(0, len(text), 2)])
    by_pairs.fit_on_texts(["aabbaa"])
    assert by_pairs.word_index == {"aa": 1, "bb": 2}


def test_json_round_trip_is_keras_format():
    tokenizer = Tokenizer(num_words=5, oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    text = tokenizer.to_json()
    spec = json.loads(text)
    assert spec["class_name"] == "Tokenizer"
    assert json.loads(spec["config"]["word_index"]) == tokenizer.word_index  # tables as JSON strings, as Keras
    again = tokenizer_from_json(text)
    assert again.word_index == tokenizer.word_index and again.index_word == tokenizer.index_word
    assert again.texts_to_sequences(TEXTS) == tokenizer.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(again.texts_to_matrix(TEXTS, "tfidf"), tokenizer.texts_to_matrix(TEXTS, "tfidf"))
    again.fit_on_texts(["more text"])  # the restored tables keep counting
    assert again.document_count == 4


def test_helpers():
    assert text_to_word_sequence("Hello, World!\tit's me") == ["hello", "world", "it's", "me"]
    ids = hashing_trick("the cat sat", 10, hash_function="md5")
    assert ids == [6, 3, 1]  # keras_preprocessing 1.1.2 with hash_function='md5'
    assert all(1 <= i <= 9 for i in hashing_trick("a b c d e f g", 10))


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"`texts` must be a list of texts, got a single string 'the cat'; pass \[text\]"):
        Tokenizer().fit_on_texts("the cat")
    with pytest.raises(ValueError, match=r"Tokenizer: `num_words` must be a positive integer, got 0"):
        Tokenizer(num_words=0)
    with pytest.raises(ValueError, match=r"Tokenizer: `mode` must be 'binary' or 'count' or 'tfidf' or 'freq', got 'tf-idf'"):
        Tokenizer(num_words=3).texts_to_matrix(["a"], mode="tf-idf")
    with pytest.raises(ValueError, match=r"specify a dimension \(`num_words` argument\), or fit on some text data first"):
        Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(ValueError, match=r"fit the Tokenizer on some data before using tfidf mode"):
        Tokenizer(num_words=3).texts_to_matrix(["a"], mode="tfidf")
    with pytest.raises(TypeError, match=r"Tokenizer\(\) got unexpected keyword arguments \['numwords'\]"):
        Tokenizer(numwords=3)
    with pytest.raises(ValueError, match=r"tokenizer_from_json: not a Tokenizer's JSON"):
        tokenizer_from_json('{"config": {}}')
