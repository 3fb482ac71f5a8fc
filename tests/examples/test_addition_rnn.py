"""examples/addition_rnn.py on a small slice: the data it makes, its encoding, and that it trains.

The 99% exact-match figure comes from the full run recorded in docs/examples.md, not from here.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab


def load_addition_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "addition_rnn.py"
    spec = importlib.util.spec_from_file_location("addition_rnn_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


ex = load_addition_example()


def test_questions_are_unique_padded_and_answered_as_keras_makes_them():
    questions, expected = ex.generate_questions(500, np.random.default_rng(0), reverse=True)
    assert len(questions) == len(expected) == 500
    assert ex.MAXLEN == 7 and all(len(q) == 7 for q in questions)
    assert all(len(a) == 4 for a in expected)
    pairs = []
    for q, a in zip(questions, expected):
        text = q[::-1]  # reversed queries: '  543+21' is '12+345  '
        assert text == text.rstrip().ljust(7)  # padding only at the end of the unreversed query
        left, right = text.strip().split("+")
        assert 1 <= len(left) <= 3 and 1 <= len(right) <= 3
        assert a.rstrip() == str(int(left) + int(right)) and a == a.rstrip().ljust(4)
        pairs.append(tuple(sorted((int(left), int(right)))))
    assert len(set(pairs)) == 500  # a+b and b+a count once
    plain, _ = ex.generate_questions(500, np.random.default_rng(0), reverse=False)
    assert plain == [q[::-1] for q in questions]


def test_one_hot_encoding_round_trips_exactly():
    ctable = ex.CharacterTable(ex.CHARS)
    assert ctable.chars == sorted("0123456789+ ") and len(ctable.chars) == 12
    questions, expected = ex.generate_questions(200, np.random.default_rng(1))
    x, y = ex.vectorize(questions, expected, ctable)
    assert x.shape == (200, 7, 12) and y.shape == (200, 4, 12)
    assert (x.sum(axis=-1) == 1).all() and (y.sum(axis=-1) == 1).all()  # one character per step
    assert [ctable.decode(row) for row in x] == questions
    assert [ctable.decode(row) for row in y] == expected
    indices = y[0].argmax(axis=-1)
    assert ctable.decode(indices, calc_argmax=False) == expected[0]


def test_exact_match_counts_whole_answers_only():
    ctable = ex.CharacterTable(ex.CHARS)
    y = np.stack([ctable.encode("12  ", 4), ctable.encode("1998", 4)])

    class Fixed:  # a model whose predictions are given: the first right, the second one digit off
        def predict(self, x, verbose=0):
            return np.stack([ctable.encode("12  ", 4), ctable.encode("1997", 4)])

    score, guesses = ex.exact_match(Fixed(), None, y, ctable)
    assert score == 0.5 and guesses == ["12  ", "1997"]


def test_the_example_trains_on_a_small_slice(capsys):
    model = ex.build_model(units=16)
    assert [w.shape for w in model.get_weights()][-2:] == [(16, 12), (12,)]
    threads = torch.get_num_threads()  # main() sets the thread count: give the suite's back after
    try:
        result = ex.main(["--samples", "400", "--epochs", "2", "--units", "16", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    loss = result["history"]["loss"]
    assert len(loss) == 2 and loss[1] < loss[0]
    assert 0.0 <= result["exact_match"] <= 1.0
    out = capsys.readouterr().out
    assert "val_accuracy" in out and "Exact-match accuracy on 40 held-out sums" in out
    assert out.count("Q ") == 10 and ("☑" in out or "☒" in out)


def test_backend_flag_picks_seqlab_by_default_and_keras_on_request():
    assert ex.parse_args([]).backend == "seqlab"
    assert ex.backend_module("seqlab") is seqlab
    with pytest.raises(SystemExit):
        ex.parse_args(["--backend", "tensorflow"])  # argparse refuses what is not a choice
