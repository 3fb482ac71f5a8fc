"""Padded timesteps do not count: a masked sequence output leaves them out of losses and metrics.

Keras 3 does the same (``Loss.__call__`` reads the output's mask; the mean is over the valid
timesteps). The references here run each sequence alone, unpadded, so padding can change
nothing; the padded targets hold garbage that would dominate any loss that counted them.
"""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Dense, Embedding, Masking
from seqlab.models import Sequential

LENGTHS = [5, 3, 2]
GARBAGE = 100.0


def padded_regression_batch():
    generator = np.random.default_rng(1)
    x = np.zeros((3, 5, 2), dtype="float32")
    y = np.full((3, 5, 1), GARBAGE, dtype="float32")
    for row, length in enumerate(LENGTHS):
        x[row, :length] = generator.uniform(0.1, 1.0, size=(length, 2))
        y[row, :length] = generator.normal(size=(length, 1))
    return x, y


def masked_regression_model(optimizer="sgd"):
    seqlab.utils.set_random_seed(0)
    model = Sequential([Masking(0.0, input_shape=(None, 2)), LSTM(4, return_sequences=True), Dense(1)])
    model.compile(loss="mse", optimizer=optimizer, metrics=["mae", seqlab.metrics.RootMeanSquaredError()])
    return model


def errors_of_each_sequence_alone(model, x, y):
    errors = []
    for row, length in enumerate(LENGTHS):
        prediction = model.predict(x[row:row + 1, :length], verbose=0)[0]
        errors.append((prediction - y[row, :length]).ravel().astype("float64"))
    return np.concatenate(errors)


def test_loss_and_metrics_average_over_the_valid_timesteps_only():
    x, y = padded_regression_batch()
    model = masked_regression_model()
    errors = errors_of_each_sequence_alone(model, x, y)
    assert len(errors) == sum(LENGTHS)
    loss, _, _ = model.evaluate(x, y, batch_size=3, verbose=0)
    np.testing.assert_allclose(loss, np.mean(errors ** 2), rtol=1e-5)
    # Metrics accumulate valid timesteps across batches (the epoch loss, as in Keras, is the
    # batch losses' mean weighted by batch size, so it is checked on one batch above).
    _, mae, rmse = model.evaluate(x, y, batch_size=2, verbose=0)
    np.testing.assert_allclose(mae, np.mean(np.abs(errors)), rtol=1e-5)
    np.testing.assert_allclose(rmse, np.sqrt(np.mean(errors ** 2)), rtol=1e-5)


def test_without_a_mask_every_timestep_counts():
    x, y = padded_regression_batch()
    seqlab.utils.set_random_seed(0)
    model = Sequential([LSTM(4, return_sequences=True, input_shape=(5, 2)), Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    loss = model.evaluate(x, y, batch_size=3, verbose=0)
    prediction = model.predict(x, verbose=0).astype("float64")
    np.testing.assert_allclose(loss, np.mean((prediction - y) ** 2), rtol=1e-5)
    assert loss > GARBAGE  # the garbage targets dominate


def test_one_training_step_follows_the_gradient_of_the_valid_timesteps():
    x, y = padded_regression_batch()
    model = masked_regression_model(optimizer=seqlab.optimizers.SGD(learning_rate=0.1))
    reference = masked_regression_model()
    reference.set_weights(model.get_weights())

    model.train_on_batch(x, y)

    # By hand: the summed squared error of each sequence alone over the count of valid steps.
    total = sum(((reference(torch.as_tensor(x[row:row + 1, :length])) - torch.as_tensor(y[row:row + 1, :length])) ** 2).sum()
                for row, length in enumerate(LENGTHS))
    (total / sum(LENGTHS)).backward()
    with torch.no_grad():
        expected = [p - 0.1 * p.grad for p in reference.parameters()]
    for trained, wanted in zip(model.parameters(), expected):
        np.testing.assert_allclose(trained.detach().numpy(), wanted.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("metric", ["accuracy", "sparse_categorical_accuracy"])
def test_embedding_mask_zero_leaves_padding_out_of_accuracy(metric):
    tokens = np.array([[3, 1, 2, 0, 0], [4, 4, 0, 0, 0]])  # 0 pads (mask_zero=True)
    seqlab.utils.set_random_seed(0)
    model = Sequential([Embedding(5, 3, mask_zero=True), LSTM(4, return_sequences=True), Dense(5, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=[metric])
    predicted = model.predict(tokens, verbose=0).argmax(-1)
    labels = predicted.copy()
    labels[0, 1] = (labels[0, 1] + 1) % 5  # one wrong answer among the five valid timesteps
    labels[tokens == 0] = (predicted[tokens == 0] + 1) % 5  # every padded answer wrong
    _, accuracy = model.evaluate(tokens, labels, verbose=0)
    np.testing.assert_allclose(accuracy, 4 / 5, rtol=1e-6)
