"""Stateful sampling: stepping with the carried state equals re-running the prefix; the
temperature, top-k and top-p rules; a seed repeats a draw."""
import numpy as np
import pytest
import torch

from seqlab.experiment.generate.sampling import Stepper, choose, sample_ids
from seqlab.layers import GRU, LSTM, Dense, Embedding, Input
from seqlab.models import Sequential

V = 12


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(3)
    model = Sequential([Input(shape=(None,)), Embedding(V, 6), LSTM(10, return_sequences=True),
                        GRU(8, return_sequences=True), Dense(V, activation="softmax")])
    with torch.no_grad():  # sharper than a fresh model's near-uniform output, as a trained one is
        for parameter in model.layers[-1].parameters():
            parameter.mul_(20.0)
    return model


def test_stepping_with_the_carried_state_equals_rerunning_the_prefix(model):
    ids = [3, 1, 4, 1, 5, 9, 2, 6]
    stepper = Stepper(model)
    stepped = [stepper.feed(np.array([ids[:2]]))[0]]
    for token in ids[2:]:
        stepped.append(stepper.feed(np.array([[token]]))[0])
    for k, probabilities in enumerate(stepped):
        rerun = model.predict(np.array([ids[:k + 2]]), verbose=0)[0, -1]
        np.testing.assert_allclose(probabilities, rerun, rtol=0, atol=1e-6)


def test_a_sample_is_the_same_with_the_same_seed_and_differs_with_another(model):
    first = sample_ids(model, [1, 2], 40, temperature=1.0, seed=5)
    assert first == sample_ids(model, [1, 2], 40, temperature=1.0, seed=5)
    assert first != sample_ids(model, [1, 2], 40, temperature=1.0, seed=6)


def test_greedy_ways_agree_top_k_one_equals_temperature_zero_equals_argmax(model):
    greedy = sample_ids(model, [1], 30, temperature=0.0)
    assert sample_ids(model, [1], 30, temperature=1.0, top_k=1, seed=0) == greedy
    # the greedy path is the argmax at every step of a re-run prefix
    ids = [1] + greedy
    for k in range(1, len(ids)):
        assert int(np.argmax(model.predict(np.array([ids[:k]]), verbose=0)[0, -1])) == ids[k]


def test_a_temperature_near_zero_draws_the_argmax():
    rng = np.random.default_rng(4)
    for _ in range(20):
        p = rng.dirichlet(np.ones(8))
        assert all(choose(p, 1e-4, rng=rng) == int(np.argmax(p)) for _ in range(20))


def test_top_k_and_top_p_keep_only_the_likeliest_tokens():
    p = np.array([0.05, 0.4, 0.1, 0.3, 0.15])
    rng = np.random.default_rng(0)
    drawn_k = {choose(p, 1.0, top_k=2, rng=rng) for _ in range(500)}
    assert drawn_k == {1, 3}
    # top_p = 0.75: 0.4 + 0.3 = 0.7 < 0.75, so the third likeliest (0.15) is kept too
    drawn_p = {choose(p, 1.0, top_p=0.75, rng=rng) for _ in range(500)}
    assert drawn_p == {1, 3, 4}
    assert {choose(p, 1.0, top_p=0.3, rng=rng) for _ in range(100)} == {1}


def test_temperature_one_draws_in_proportion_to_the_probabilities_and_lower_sharpens():
    p = np.array([0.1, 0.6, 0.3])
    rng = np.random.default_rng(1)
    counts = np.bincount([choose(p, 1.0, rng=rng) for _ in range(20000)], minlength=3) / 20000
    np.testing.assert_allclose(counts, p, atol=0.015)  # 3 standard errors at n = 20000 is ~0.01
    sharp = np.bincount([choose(p, 0.5, rng=rng) for _ in range(20000)], minlength=3) / 20000
    expected = p ** 2 / (p ** 2).sum()  # temperature 0.5 squares the probabilities
    np.testing.assert_allclose(sharp, expected, atol=0.015)


@pytest.mark.parametrize("arguments, message", [
    ({"temperature": -1.0}, r"temperature must be >= 0, got -1.0"),
    ({"top_k": 0}, r"top_k must be a positive integer or None, got 0"),
    ({"top_p": 1.5}, r"top_p must be in \(0, 1\] or None, got 1.5"),
])
def test_bad_sampling_settings_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        choose(np.array([0.5, 0.5]), **{"temperature": 1.0, **arguments})
