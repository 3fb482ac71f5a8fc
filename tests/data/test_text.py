"""Vocabularies and next-character windows (the notes' Shakespeare and review examples)."""
import numpy as np
import pytest

from seqlab.data import Vocabulary, pad_sequences, sample_text_windows, text_windows
from seqlab.datasets import data_dir
from seqlab.errors import NotBuiltError


def test_char_vocabulary_round_trip_and_unknown():
    vocab = Vocabulary("char").fit("to be or not")
    assert vocab.tokens == ["", "[UNK]", " ", "b", "e", "n", "o", "r", "t"]
    ids = vocab.encode("not to be")
    assert ids.tolist() == [5, 6, 8, 2, 8, 6, 2, 3, 4]
    assert vocab.decode(ids) == "not to be"
    assert vocab.encode("toz").tolist() == [8, 6, 1]
    assert vocab.decode(vocab.encode("toz")) == "to[UNK]"


def test_word_vocabulary_frequency_order_max_tokens_and_padding():
    reviews = ["Great movie, great cast!", "Bad movie.", "great fun"]
    vocab = Vocabulary("word", max_tokens=2).fit(reviews)
    assert vocab.tokens == ["", "[UNK]", "great", "movie"]  # great x3, movie x2; the rest is unknown
    encoded = vocab.encode_batch(reviews)
    assert [e.tolist() for e in encoded] == [[2, 3, 2, 1], [1, 3], [2, 1]]
    padded = pad_sequences(encoded, maxlen=4, padding="post")
    assert padded.tolist() == [[2, 3, 2, 1], [1, 3, 0, 0], [2, 1, 0, 0]]
    assert vocab.decode(padded[1]) == "[UNK] movie"  # padding id 0 is skipped


def test_vocabulary_without_reserved_tokens_refuses_unknowns():
    vocab = Vocabulary("char", padding_token=None, unknown_token=None).fit("abc")
    assert vocab.tokens == ["a", "b", "c"] and len(vocab) == 3
    with pytest.raises(ValueError, match=r"token 'z' is not in the vocabulary and `unknown_token` is None"):
        vocab.encode("az")
    with pytest.raises(ValueError, match=r"id 7 is outside 0..2"):
        vocab.decode([7])
    with pytest.raises(NotBuiltError, match=r"call fit\(texts\) before encode/decode"):
        Vocabulary("word").encode("x")
    with pytest.raises(ValueError, match=r"`level` must be 'char' or 'word', got 'byte'"):
        Vocabulary("byte")


def test_text_windows_are_views_shifted_by_one():
    ids = np.arange(10)
    X, y = text_windows(ids, seq_length=4)
    assert X.shape == (6, 4) and np.shares_memory(X, ids)
    np.testing.assert_array_equal(y, X + 1)
    X, y = text_windows(ids, seq_length=4, stride=3, target="next")
    np.testing.assert_array_equal(X, [[0, 1, 2, 3], [3, 4, 5, 6]])
    np.testing.assert_array_equal(y, [4, 7])
    Xs, ys = sample_text_windows(ids, 4, batch_size=5, seed=1)
    Xs2, _ = sample_text_windows(ids, 4, batch_size=5, seed=1)
    np.testing.assert_array_equal(Xs, Xs2)
    np.testing.assert_array_equal(ys, Xs + 1)
    with pytest.raises(ValueError, match=r"at least seq_length \+ 1 = 11 ids, got shape \(10,\)"):
        text_windows(ids, seq_length=10)


@pytest.mark.skipif(data_dir() is None or not (data_dir() / "tinyshakespeare.txt").exists(),
                    reason="tinyshakespeare.txt is not in a data folder (../shared/data or $SEQLAB_DATA_DIR)")
def test_shakespeare_alphabet_of_the_notes():
    from seqlab.datasets import load_shakespeare

    text = load_shakespeare()
    vocab = Vocabulary("char", padding_token=None, unknown_token=None).fit(text)
    # The notes: 1,115,394 characters, 65 distinct: '\n', ' ', '!', '$', '&', "'", ',', '-', '.', '3', ...
    assert len(text) == 1_115_394 and len(vocab) == 65
    assert vocab.tokens[:10] == ["\n", " ", "!", "$", "&", "'", ",", "-", ".", "3"]
    ids = vocab.encode(text[:1000])
    assert vocab.decode(ids) == text[:1000]
    X, y = text_windows(ids, seq_length=100)
    assert X.shape == (900, 100) and vocab.decode(y[0]) == text[1:101]
