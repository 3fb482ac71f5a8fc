"""Learning-rate schedules (keras.optimizers.schedules) and the LearningRateScheduler callback."""
import math

import numpy as np
import pytest
import torch

import seqlab
from seqlab.callbacks import LearningRateScheduler, ReduceLROnPlateau
from seqlab.layers import Dense
from seqlab.models import Sequential, load_model
from seqlab.optimizers import SGD, Adam
from seqlab.optimizers.schedules import (
    CosineDecay, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, deserialize,
    serialize,
)

# (schedule, step, value worked out by hand from Keras 3's formulas)
VALUES = [
    (ExponentialDecay(0.1, 10, 0.5), 5, 0.1 * 0.5 ** 0.5),
    (ExponentialDecay(0.1, 10, 0.5, staircase=True), 15, 0.05),
    (InverseTimeDecay(0.1, 10, 1.0), 10, 0.05),
    (InverseTimeDecay(0.1, 10, 1.0, staircase=True), 25, 0.1 / 3),
    (PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 10, 1.0),  # a boundary belongs to the left
    (PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 11, 0.5),
    (PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), 21, 0.1),
    (PolynomialDecay(0.1, 10, 0.01, power=2), 5, 0.09 * 0.25 + 0.01),
    (PolynomialDecay(0.1, 10, 0.01, power=2), 15, 0.01),  # held at the end
    (PolynomialDecay(0.1, 10, 0.01, power=2, cycle=True), 15, 0.09 * 0.25 ** 2 + 0.01),  # decays over 20
    (PolynomialDecay(0.1, 10, 0.01, cycle=True), 0, 0.1),
    (CosineDecay(0.1, 10, alpha=0.1), 5, 0.1 * (0.9 * 0.5 + 0.1)),
    (CosineDecay(0.1, 10, alpha=0.1), 20, 0.01),
    (CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=4), 2, 0.05),
    (CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=4), 9, 0.05),
]


@pytest.mark.parametrize("schedule, step, expected", VALUES, ids=lambda v: repr(v) if isinstance(v, int) else None)
def test_schedule_values_follow_keras(schedule, step, expected):
    assert schedule(step) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("schedule", sorted({id(s): s for s, _, _ in VALUES}.values(), key=repr), ids=repr)
def test_schedules_round_trip_through_their_config(schedule):
    clone = deserialize(serialize(schedule))
    assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    assert [clone(step) for step in range(30)] == [schedule(step) for step in range(30)]


def regression_data():
    generator = np.random.default_rng(0)
    x = generator.normal(size=(8, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3).astype("float32")


def linear_model(optimizer):
    seqlab.utils.set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(loss="mse", optimizer=optimizer)
    return model


def test_each_update_uses_the_schedule_at_the_updates_taken_so_far():
    x, y = regression_data()
    schedule = ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    model = linear_model(SGD(learning_rate=schedule))
    reference = torch.nn.Linear(3, 1)
    with torch.no_grad():
        reference.weight.copy_(model.layers[0].kernel.detach().t())
        reference.bias.copy_(model.layers[0].bias.detach())
    sgd = torch.optim.SGD(reference.parameters(), lr=0.1)

    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)  # 6 updates
    for step in range(6):
        batch = slice(4 * (step % 2), 4 * (step % 2) + 4)
        sgd.param_groups[0]["lr"] = schedule(step)
        sgd.zero_grad()
        ((reference(torch.as_tensor(x[batch])) - torch.as_tensor(y[batch])) ** 2).mean().backward()
        sgd.step()

    optimizer = model.optimizer
    assert optimizer.iterations == 6 and optimizer.learning_rate == pytest.approx(schedule(6))
    np.testing.assert_allclose(model.layers[0].kernel.detach().numpy().ravel(),
                               reference.weight.detach().numpy().ravel(), rtol=1e-6)


def test_a_saved_model_resumes_its_schedule(tmp_path):
    x, y = regression_data()
    model = linear_model(Adam(learning_rate=CosineDecay(0.05, decay_steps=10, alpha=0.1)))
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "m.seqlab")
    loaded = load_model(tmp_path / "m.seqlab")
    assert loaded.optimizer.schedule.get_config() == model.optimizer.schedule.get_config()
    assert loaded.optimizer.iterations == 4
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_scheduled_learning_rate_cannot_be_set():
    optimizer = Adam(learning_rate=ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="Adam: the learning rate follows the schedule ExponentialDecay given as "
                                        "`learning_rate`, so it cannot be set"):
        optimizer.learning_rate = 0.01
    x, y = regression_data()
    model = linear_model(optimizer)
    with pytest.raises(TypeError, match="ReduceLROnPlateau and LearningRateScheduler need a constant learning_rate"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10)])


@pytest.mark.parametrize("make, message", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), "ExponentialDecay: `decay_steps` must be > 0, got 0"),
    (lambda: CosineDecay("0.1", 10), "CosineDecay: `initial_learning_rate` must be a number, got '0.1'$"),
    (lambda: PiecewiseConstantDecay([10], [1.0]), "`values` must have one more entry than `boundaries`, got 1 values for 1 boundaries"),
    (lambda: PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), "`boundaries` must increase, got \\[20, 10\\]"),
    (lambda: deserialize({"class_name": "Pickle"}), "unknown learning-rate schedule"),
])
def test_bad_schedules_are_refused_by_name(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def test_learning_rate_scheduler_sets_each_epochs_rate_and_records_it():
    x, y = regression_data()
    model = linear_model(SGD(learning_rate=0.08))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    np.testing.assert_allclose(history.history["learning_rate"], [0.04, 0.02, 0.01], rtol=1e-12)

    one_argument = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))  # Keras's older form
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[one_argument])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05], rtol=1e-12)


def test_learning_rate_scheduler_refuses_a_schedule_that_returns_no_number():
    x, y = regression_data()
    model = linear_model("sgd")
    with pytest.raises(TypeError, match="LearningRateScheduler: `schedule` must return a number, got None at epoch 0"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda epoch, lr: None)])
    assert math.isclose(model.optimizer.learning_rate, 0.01)
