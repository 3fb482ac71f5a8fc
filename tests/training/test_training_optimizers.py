"""Keras's update rules against float64 NumPy transcriptions of Keras 3's optimizer code, and
against torch.optim where the maths coincide."""
import math

import numpy as np
import pytest
import torch

from seqlab import optimizers
from seqlab.layers import Dense
from seqlab.models import Sequential
from seqlab.training import optimizer_state

STEPS = 5


def gradients(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)) for _ in range(STEPS)]


def run(optimizer, start, grads):
    parameter = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    optimizer.build([("layer/kernel", parameter)])
    for g in grads:
        parameter.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
    return parameter.detach().numpy()


START = np.linspace(-1, 1, 6).reshape(3, 2)


def keras_adam(p, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    m, v, v_hat = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        if amsgrad:
            v_hat = np.maximum(v_hat, v)
            p = p - alpha * m / (np.sqrt(v_hat) + eps)
        else:
            p = p - alpha * m / (np.sqrt(v) + eps)
    return p


def keras_sgd(p, grads, lr=0.01, momentum=0.0, nesterov=False):
    m = np.zeros_like(p)
    for g in grads:
        if momentum:
            m = -g * lr + m * momentum
            p = p + (-g * lr + m * momentum if nesterov else m)
        else:
            p = p - lr * g
    return p


def keras_rmsprop(p, grads, lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    v, mom, avg = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        if centered:
            avg = rho * avg + (1 - rho) * g
            denominator = v - avg * avg + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum:
            mom = momentum * mom + increment
            p = p - mom
        else:
            p = p - increment
    return p


def keras_adagrad(p, grads, lr=0.001, initial=0.1, eps=1e-7):
    acc = np.full_like(p, initial)
    for g in grads:
        acc += g * g
        p = p - lr * g / np.sqrt(acc + eps)
    return p


@pytest.mark.parametrize("optimizer, reference", [
    (lambda: optimizers.Adam(), lambda p, g: keras_adam(p, g)),
    (lambda: optimizers.Adam(learning_rate=0.1, beta_1=0.5, epsilon=1e-3, amsgrad=True),
     lambda p, g: keras_adam(p, g, lr=0.1, b1=0.5, eps=1e-3, amsgrad=True)),
    (lambda: optimizers.SGD(), lambda p, g: keras_sgd(p, g)),
    (lambda: optimizers.SGD(0.1, momentum=0.9), lambda p, g: keras_sgd(p, g, 0.1, 0.9)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), lambda p, g: keras_sgd(p, g, 0.1, 0.9, True)),
    (lambda: optimizers.RMSprop(), lambda p, g: keras_rmsprop(p, g)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
     lambda p, g: keras_rmsprop(p, g, 0.01, momentum=0.5, centered=True)),
    (lambda: optimizers.Adagrad(), lambda p, g: keras_adagrad(p, g)),
])
def test_update_rules_match_keras_float64(optimizer, reference):
    grads = gradients()
    np.testing.assert_allclose(run(optimizer(), START, grads), reference(START.copy(), grads), rtol=0, atol=1e-12)


def test_adamw_decays_before_the_adam_step():
    grads = gradients(1)
    p = START.copy()
    lr, wd = 0.01, 0.1
    expected = p.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        expected = expected - expected * wd * lr
        alpha = lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        m += (g - m) * 0.1
        v += (g * g - v) * 0.001
        expected = expected - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(run(optimizers.AdamW(lr, weight_decay=wd), p, grads), expected, atol=1e-12)


def test_keras_adam_equals_torch_adam_when_epsilon_is_zero():
    # The two differ only in where epsilon goes; with eps=0 the maths are the same.
    grads = gradients(2)
    ours = run(optimizers.Adam(learning_rate=0.01, epsilon=0.0), START, grads)
    parameter = torch.nn.Parameter(torch.tensor(START))
    reference = torch.optim.Adam([parameter], lr=0.01, eps=0.0)
    for g in grads:
        parameter.grad = torch.tensor(g)
        reference.step()
    np.testing.assert_allclose(ours, parameter.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_clipnorm_clips_each_gradient_and_global_clipnorm_all_together():
    big = [np.full((3, 2), 10.0)]
    clipped = run(optimizers.SGD(1.0, clipnorm=1.0), START, big)
    np.testing.assert_allclose(START - clipped, np.full((3, 2), 1.0 / math.sqrt(6)), atol=1e-12)
    clipped = run(optimizers.SGD(1.0, clipvalue=0.5), START, big)
    np.testing.assert_allclose(START - clipped, np.full((3, 2), 0.5), atol=1e-12)
    clipped = run(optimizers.SGD(1.0, global_clipnorm=2.0), START, big)
    np.testing.assert_allclose(np.linalg.norm(START - clipped), 2.0, atol=1e-12)


def test_learning_rate_can_be_read_and_set_before_and_after_build():
    optimizer = optimizers.Adam(learning_rate=0.01)
    assert optimizer.learning_rate == 0.01
    run(optimizer, START, gradients()[:1])
    optimizer.learning_rate = 0.001
    assert optimizer.engine.param_groups[0]["lr"] == 0.001
    assert optimizer.iterations == 1


@pytest.mark.parametrize("optimizer", [optimizers.Adam(0.01, amsgrad=True), optimizers.SGD(0.1, momentum=0.5),
                                       optimizers.RMSprop(rho=0.8), optimizers.Adagrad(), optimizers.AdamW(),
                                       optimizers.Adam(clipnorm=1.0)])
def test_config_round_trip(optimizer):
    clone = type(optimizer).from_config(optimizer.get_config())
    assert clone.get_config() == optimizer.get_config()


def test_get_by_name_and_errors():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamm'; known optimizers: \['adadelta', 'adagrad', 'adam', 'adamax', 'adamw', 'lion', 'nadam', 'rmsprop', 'sgd'\]"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Adam: `learning_rate` must be a number >= 0, got -0.1"):
        optimizers.Adam(learning_rate=-0.1)
    with pytest.raises(ValueError, match="only one of `clipnorm` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_torch_optimizers_are_accepted():
    parameter = torch.nn.Parameter(torch.zeros(2))
    wrapped = optimizers.get(torch.optim.SGD([parameter], lr=0.5))
    wrapped.build([("dense/bias", parameter)])
    parameter.grad = torch.ones(2)
    wrapped.step()
    np.testing.assert_allclose(parameter.detach().numpy(), [-0.5, -0.5])
    assert wrapped.learning_rate == 0.5


def test_a_zero_learning_rate_is_accepted_and_leaves_the_weights_alone():
    start = [np.array([[1.0], [-2.0]]), np.array([0.5])]
    model = Sequential([Dense(1, input_shape=(2,))])
    model.set_weights(start)
    model.compile(loss="mse", optimizer=optimizers.SGD(learning_rate=0.0))
    model.fit(np.ones((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0)
    for weight, expected in zip(model.get_weights(), start):
        np.testing.assert_array_equal(weight, expected)


def test_optimizer_state_is_none_before_the_first_step_and_round_trips_by_parameter_name():
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    def model():
        built = Sequential([Dense(2, input_shape=(3,), name="hidden"), Dense(1, name="out")])
        built.compile(optimizer="adam", loss="mse")
        return built

    trained = model()
    assert optimizer_state.get_optimizer_state(trained) is None
    trained.fit(x, y, epochs=1, batch_size=4, verbose=0)
    tensors, spec = optimizer_state.get_optimizer_state(trained)
    assert sorted(tensors) == sorted(f"{layer}/{weight}/{slot}" for layer in ("hidden", "out")
                                     for weight in ("kernel", "bias") for slot in ("m", "v"))
    assert spec["param_names"] == ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    twin = model()
    twin.set_weights(trained.get_weights())
    optimizer_state.set_optimizer_state(twin, tensors, spec)
    assert twin.optimizer.iterations == trained.optimizer.iterations == 2
    trained.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    twin.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(twin.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_optimizer_state_for_other_parameters_is_refused_by_name():
    trained = Sequential([Dense(1, input_shape=(3,), name="first")])
    trained.compile(optimizer="adam", loss="mse")
    trained.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    tensors, spec = optimizer_state.get_optimizer_state(trained)
    other = Sequential([Dense(1, input_shape=(3,), name="second")])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"the optimizer state is for parameters \['first/kernel', 'first/bias'\], "
                                         r"the model has \['second/kernel', 'second/bias'\]"):
        optimizer_state.set_optimizer_state(other, tensors, spec)
