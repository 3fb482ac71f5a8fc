"""The generate task's corpus (split by position, train-only vocabulary, windows) and its
baselines (unigram, interpolated Kneser-Ney) against hand computations."""
import math

import numpy as np
import pytest

from seqlab.experiment.generate.corpus import (build_corpus, detokenize, scored_positions, tokenize,
                                                window_starts, windows)
from seqlab.experiment.generate.ngram import KneserNey, unigram_bits


def test_kneser_ney_bits_per_character_match_a_hand_computation():
    # Train "abab" (ids a=1, b=2; id 0 is OOV, so V = 3), discount 0.75, order 2.
    # Bigram counts: ab 2, ba 1. Continuation counts of the unigrams: N1+(• b) = 1 (a), N1+(• a) = 1 (b),
    # total 2, 2 types. P1(a) = P1(b) = (1 - .75)/2 + .75 * 2/2 * 1/3 = 0.375; P1(OOV) = .75 * 2/2 * 1/3 = 0.25.
    # P(b | a) = (2 - .75)/2 + .75 * 1/2 * P1(b) = 0.625 + 0.140625 = 0.765625
    # P(a | b) = (1 - .75)/1 + .75 * 1/1 * P1(a) = 0.25 + 0.28125 = 0.53125
    model = KneserNey(2, vocabulary_size=3).fit(np.array([1, 2, 1, 2]))
    assert model.probability((1,), 2) == pytest.approx(0.765625, abs=1e-12)
    assert model.probability((2,), 1) == pytest.approx(0.53125, abs=1e-12)
    assert model.probability((1,), 0) == pytest.approx(0.75 * 1 / 2 * 0.25, abs=1e-12)
    test = np.array([1, 2, 1])  # scored: b after a, a after b
    expected = -(math.log2(0.765625) + math.log2(0.53125)) / 2
    assert model.bits(test, first=1, end=3) == pytest.approx(expected, abs=1e-12)


def test_kneser_ney_is_a_distribution_at_every_order_and_context():
    ids = np.random.default_rng(0).integers(1, 6, 400)
    model = KneserNey(5, vocabulary_size=7).fit(ids)
    for history in [(), (1,), (2, 3), (1, 2, 3, 4), (6, 6, 6, 6), tuple(ids[10:14])]:
        assert sum(model.probability(history, w) for w in range(7)) == pytest.approx(1.0, abs=1e-12)


def test_kneser_ney_context_never_reaches_before_the_start_it_is_given():
    model = KneserNey(3, vocabulary_size=4).fit(np.array([1, 2, 3, 1, 2, 3, 1, 2, 3]))
    ids = np.array([3, 3, 1, 2])
    # from context_start = 2, the token at 2 has no history and the one at 3 has only (1,)
    expected = -(math.log2(model.probability((), 1)) + math.log2(model.probability((1,), 2))) / 2
    assert model.bits(ids, first=2, end=4, context_start=2) == pytest.approx(expected, abs=1e-12)


def test_unigram_bits_are_add_one_frequencies():
    # train counts: id1 3, id2 1, id0 0; V = 3, so p = (4, 2, 1)/7 for ids 1, 2, 0
    bits = unigram_bits(np.array([1, 1, 1, 2]), np.array([1, 2, 0]), 3)
    assert bits == pytest.approx(-(math.log2(4 / 7) + math.log2(2 / 7) + math.log2(1 / 7)) / 3, abs=1e-12)


def test_the_split_is_by_position_and_no_window_crosses_a_boundary():
    # every token of the text is its own position (ids 1..1000 after the OOV id), so a window's
    # ids say exactly which positions it read
    text = "".join(chr(0x4E00 + i) for i in range(1000))
    corpus = build_corpus(text, "char", validation=0.05, test=0.1)
    assert corpus.bounds == {"train": (0, 850), "validation": (850, 900), "test": (900, 1000)}
    assert corpus.vocabulary[1:] == sorted(text[:850])  # train characters only
    length = 30
    for part in ("train", "validation", "test"):
        start, end = corpus.bounds[part]
        x, y = windows(corpus, part, length)
        positions = np.concatenate([x, y[:, -1:]], axis=1)                    # (N, length + 1)
        if part == "train":
            positions = positions - 1                                         # id i + 1 is position i
            assert positions.min() >= start and positions.max() < end
        else:  # outside the train part every character is OOV: the starts say what each window read
            assert (x == 0).all() and (y == 0).all()
            starts = window_starts(start, end, length)
            assert len(starts) == len(x) and starts.min() >= start and starts.max() + length < end
        assert np.array_equal(y[:, :-1], x[:, 1:])  # targets are the inputs shifted by one
        n = len(x)
        assert start + n * length + 1 <= end < start + (n + 1) * length + 1  # as many as fit, no more
    x, y = windows(corpus, "train", length)
    assert np.array_equal(x[:, 0] - 1, np.arange(0, 850 - length, length))
    # the targets of consecutive windows cover every position after the part's first
    assert np.array_equal(np.concatenate(list(y)) - 1, np.arange(1, 1 + len(y) * length))
    first, end = scored_positions(corpus, "test", length)
    assert (first, end) == (901, 991)  # 3 windows of 30 targets after the test part's first token


def test_the_vocabulary_is_built_on_the_train_part_and_unseen_test_tokens_are_oov():
    text = "ab" * 450 + "abz" * 34
    corpus = build_corpus(text, "char", validation=0.0, test=0.1)
    assert corpus.vocabulary == ["\ufffd", "a", "b"]  # z appears only in the test part
    assert corpus.unknown_in_test == (corpus.part("test") == 0).sum() > 0


def test_word_tokens_round_trip_to_readable_text():
    tokens = tokenize("To be, or not\nto be.", "word")
    assert tokens == ["To", "be", ",", "or", "not", "\n", "to", "be", "."]
    assert detokenize(tokens, "word") == "To be, or not\nto be."
