"""Nadam, Adamax, Adadelta and Lion against float64 NumPy transcriptions of Keras 3's code
(keras/src/optimizers/{nadam,adamax,adadelta,lion}.py), against torch.optim.Adadelta where the
maths coincide, and through a model file: save mid-training, load, go on = never stopped."""
import json
import math

import numpy as np
import pytest
import torch

from seqlab import optimizers
from seqlab.layers import Dense
from seqlab.models import Sequential, load_model
from seqlab.training import optimizers as optimizer_registry

START = np.linspace(-1, 1, 6).reshape(3, 2)


def gradients(seed=0, steps=6):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)) for _ in range(steps)]


def run(optimizer, start, grads):
    parameter = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    optimizer.build([("layer/kernel", parameter)])
    for g in grads:
        parameter.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
    return parameter.detach().numpy()


def keras_nadam(p, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, v, u_product = np.zeros_like(p), np.zeros_like(p), 1.0
    for iterations, g in enumerate(grads):  # Keras's `iterations` before the update
        u_product = u_product * b1 * (1.0 - 0.5 * 0.96 ** (iterations + 1))  # _backend_update_step
        local_step, next_step = iterations + 1, iterations + 2
        u_t = b1 * (1.0 - 0.5 * 0.96**local_step)
        u_t_1 = b1 * (1.0 - 0.5 * 0.96**next_step)
        u_product_t_1 = u_product * u_t_1
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - b2**local_step)
        p = p - m_hat * lr / (np.sqrt(v_hat) + eps)
    return p


def keras_adamax(p, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(p), np.zeros_like(p)
    for iterations, g in enumerate(grads):
        beta_1_power = b1 ** (iterations + 1)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr * m / ((1 - beta_1_power) * (u + eps))
    return p


def keras_adadelta(p, grads, lr=0.001, rho=0.95, eps=1e-7):
    acc_grad, acc_delta = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        acc_grad = rho * acc_grad + (1 - rho) * g * g
        delta = -(np.sqrt(acc_delta + eps) * g) / np.sqrt(acc_grad + eps)
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta
        p = p + lr * delta
    return p


def keras_lion(p, grads, lr=0.001, b1=0.9, b2=0.99, weight_decay=None):
    m = np.zeros_like(p)
    for g in grads:
        if weight_decay:  # Keras's base optimizer: decoupled decay before the step
            p = p - p * weight_decay * lr
        p = p - lr * np.sign(m * b1 + g * (1.0 - b1))
        m = m * b2 + g * (1.0 - b2)
    return p


def paper_lion(p, grads, lr, b1, b2, wd):
    # Algorithm 2 of Chen et al. 2023: update = sign(interp(m, g)); p -= lr * (update + wd * p)
    m = np.zeros_like(p)
    for g in grads:
        update = np.sign(b1 * m + (1 - b1) * g)
        p = p - lr * (update + wd * p)
        m = b2 * m + (1 - b2) * g
    return p


@pytest.mark.parametrize("optimizer, reference", [
    (lambda: optimizers.Nadam(), lambda p, g: keras_nadam(p, g)),
    (lambda: optimizers.Nadam(0.05, beta_1=0.8, beta_2=0.9, epsilon=1e-3),
     lambda p, g: keras_nadam(p, g, 0.05, 0.8, 0.9, 1e-3)),
    (lambda: optimizers.Adamax(), lambda p, g: keras_adamax(p, g)),
    (lambda: optimizers.Adamax(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-2),
     lambda p, g: keras_adamax(p, g, 0.02, 0.5, 0.9, 1e-2)),
    (lambda: optimizers.Adadelta(), lambda p, g: keras_adadelta(p, g)),
    (lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-6), lambda p, g: keras_adadelta(p, g, 1.0, 0.9, 1e-6)),
    (lambda: optimizers.Lion(), lambda p, g: keras_lion(p, g)),
    (lambda: optimizers.Lion(0.01, beta_1=0.5, beta_2=0.9, weight_decay=0.1),
     lambda p, g: keras_lion(p, g, 0.01, 0.5, 0.9, weight_decay=0.1)),
])
def test_update_rules_match_keras_float64(optimizer, reference):
    grads = gradients()
    np.testing.assert_allclose(run(optimizer(), START, grads), reference(START.copy(), grads), rtol=0, atol=1e-12)


def test_lion_with_weight_decay_is_the_papers_algorithm():
    grads = gradients(3)
    ours = run(optimizers.Lion(0.01, beta_1=0.8, beta_2=0.95, weight_decay=0.5), START, grads)
    np.testing.assert_allclose(ours, paper_lion(START.copy(), grads, 0.01, 0.8, 0.95, 0.5), rtol=0, atol=1e-12)


def test_adadelta_equals_torch_adadelta_with_the_same_settings():
    grads = gradients(2)
    ours = run(optimizers.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6), START, grads)
    parameter = torch.nn.Parameter(torch.tensor(START))
    reference = torch.optim.Adadelta([parameter], lr=1.0, rho=0.9, eps=1e-6)
    for g in grads:
        parameter.grad = torch.tensor(g)
        reference.step()
    np.testing.assert_allclose(ours, parameter.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_nadam_is_not_torchs_nadam():
    # Documented difference: torch's momentum schedule is 0.96**(0.004 t), Keras's 0.96**t.
    grads = gradients(4)
    ours = run(optimizers.Nadam(learning_rate=0.01), START, grads)
    parameter = torch.nn.Parameter(torch.tensor(START))
    reference = torch.optim.NAdam([parameter], lr=0.01, eps=1e-7)
    for g in grads:
        parameter.grad = torch.tensor(g)
        reference.step()
    assert np.abs(ours - parameter.detach().numpy()).max() > 1e-4


@pytest.mark.parametrize("optimizer", [optimizers.Nadam(0.01, beta_2=0.99), optimizers.Adamax(epsilon=1e-5),
                                       optimizers.Adadelta(1.0, rho=0.9), optimizers.Lion(beta_1=0.95),
                                       optimizers.Lion(weight_decay=0.01, clipnorm=1.0)])
def test_config_round_trip(optimizer):
    clone = type(optimizer).from_config(optimizer.get_config())
    assert clone.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name", sorted(optimizer_registry._CLASSES))
def test_every_registered_optimizer_round_trips_through_json(name):
    optimizer = optimizer_registry._CLASSES[name](learning_rate=0.005, clipvalue=2.0)
    spec = json.loads(json.dumps(optimizer_registry.serialize(optimizer)))
    clone = optimizer_registry.deserialize(spec)
    assert type(clone) is type(optimizer) and clone.get_config() == optimizer.get_config()


@pytest.mark.parametrize("name, cls", [("nadam", optimizers.Nadam), ("Adamax", optimizers.Adamax),
                                       ("adadelta", optimizers.Adadelta), ("lion", optimizers.Lion)])
def test_names_and_defaults(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls and optimizer.learning_rate == 0.001
    keras_defaults = {"Nadam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
                      "Adamax": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
                      "Adadelta": {"rho": 0.95, "epsilon": 1e-7},
                      "Lion": {"beta_1": 0.9, "beta_2": 0.99}}[cls.__name__]  # keras/src/optimizers/*.py
    assert optimizer.settings == keras_defaults


def test_bad_settings_name_the_argument():
    with pytest.raises(ValueError, match=r"Lion: `beta_1` must be in \(0, 1\], got 0 \(the optimizer would degenerate to SignSGD\)"):
        optimizers.Lion(beta_1=0)
    with pytest.raises(ValueError, match=r"Nadam: `beta_2` must be in \[0, 1\), got 1.5"):
        optimizers.Nadam(beta_2=1.5)
    with pytest.raises(TypeError, match=r"Adadelta: `rho` must be a number in \[0, 1\), got 'x'"):
        optimizers.Adadelta(rho="x")
    with pytest.raises(ValueError, match=r"Adamax: `epsilon` must be a number >= 0, got -1"):
        optimizers.Adamax(epsilon=-1)
    with pytest.raises(TypeError, match=r"Lion\(\) got unexpected keyword arguments \['epsilon'\]"):
        optimizers.Lion(epsilon=1e-7)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")).astype("float32")


def make_model(optimizer):
    model = Sequential([Dense(6, activation="tanh", input_shape=(4,), name="hidden"), Dense(1, name="out")])
    model.compile(loss="mse", optimizer=optimizer())
    return model


@pytest.mark.parametrize("optimizer", [lambda: optimizers.Nadam(0.01), lambda: optimizers.Adamax(0.01),
                                       lambda: optimizers.Adadelta(1.0), lambda: optimizers.Lion(0.003)])
def test_save_load_and_go_on_equals_training_straight_through(tmp_path, optimizer):
    x, y = data()
    torch.manual_seed(0)
    straight = make_model(optimizer)
    start = straight.get_weights()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = make_model(optimizer)
    first.set_weights(start)
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "half.seqlab")
    resumed = load_model(tmp_path / "half.seqlab")
    assert type(resumed.optimizer) is type(first.optimizer)
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == 12
    if isinstance(resumed.optimizer, optimizers.Nadam):  # the running product came back too
        expected = math.prod(0.9 * (1 - 0.5 * 0.96**t) for t in range(1, 13))
        assert resumed.optimizer.engine.param_groups[0]["u_product"] == pytest.approx(expected, rel=1e-12)
