"""Every loss against scikit-learn or a hand computation in float64, plus shapes and errors."""
import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss, mean_absolute_error, mean_absolute_percentage_error
from sklearn.metrics import mean_squared_error, mean_squared_log_error

from seqlab import losses

RNG = np.random.default_rng(0)
Y_TRUE = np.abs(RNG.normal(size=(8, 3))) + 0.5  # positive: MSLE and MAPE are defined for them
Y_PRED = np.abs(RNG.normal(size=(8, 3))) + 0.5


def t(array):
    return torch.as_tensor(array, dtype=torch.float64)


@pytest.mark.parametrize("name, reference", [
    ("mse", mean_squared_error),
    ("mean_squared_error", mean_squared_error),
    ("mae", mean_absolute_error),
    ("mean_absolute_error", mean_absolute_error),
    ("mape", lambda a, b: 100 * mean_absolute_percentage_error(a, b)),
    ("msle", mean_squared_log_error),
])
def test_regression_losses_match_sklearn(name, reference):
    value = losses.get(name)(t(Y_TRUE), t(Y_PRED)).item()
    assert value == pytest.approx(reference(Y_TRUE, Y_PRED), rel=1e-12)


def test_per_sample_functions_return_one_value_per_sample():
    values = losses.mean_squared_error(t(Y_TRUE), t(Y_PRED))
    np.testing.assert_allclose(values.numpy(), ((Y_TRUE - Y_PRED) ** 2).mean(axis=1), rtol=1e-12)


def test_huber_matches_hand_computation():
    error = Y_PRED - Y_TRUE
    delta = 0.7
    expected = np.where(np.abs(error) <= delta, 0.5 * error**2, delta * np.abs(error) - 0.5 * delta**2).mean()
    assert losses.Huber(delta=delta)(t(Y_TRUE), t(Y_PRED)).item() == pytest.approx(expected, rel=1e-12)
    assert losses.get("huber")(t(Y_TRUE), t(Y_PRED)).item() == pytest.approx(
        np.where(np.abs(error) <= 1, 0.5 * error**2, np.abs(error) - 0.5).mean(), rel=1e-12)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_categorical_crossentropy_matches_sklearn_log_loss():
    probabilities = softmax(RNG.normal(size=(10, 4)))
    labels = RNG.integers(0, 4, size=10)
    one_hot = np.eye(4)[labels]
    expected = log_loss(labels, probabilities, labels=range(4))
    assert losses.get("categorical_crossentropy")(t(one_hot), t(probabilities)).item() == pytest.approx(expected, rel=1e-12)
    assert losses.get("sparse_categorical_crossentropy")(torch.as_tensor(labels), t(probabilities)).item() == \
        pytest.approx(expected, rel=1e-12)
    logits = np.log(probabilities) + 3.0  # softmax is shift-invariant
    assert losses.CategoricalCrossentropy(from_logits=True)(t(one_hot), t(logits)).item() == pytest.approx(expected, rel=1e-10)


def test_categorical_crossentropy_clips_like_keras():
    # Keras renormalises then clips probabilities to [1e-7, 1 - 1e-7]: a zero for the true
    # class costs -log(1e-7) = 16.118..., not infinity.
    y_true = t([[0.0, 1.0], [1.0, 0.0]])
    y_pred = t([[1.0, 0.0], [2.0, 2.0]])  # second row is not normalised: Keras divides by 4
    values = losses.categorical_crossentropy(y_true, y_pred).numpy()
    np.testing.assert_allclose(values, [-np.log(1e-7), -np.log(0.5)], rtol=1e-12)


def test_binary_crossentropy_matches_sklearn_and_clips():
    p = 1.0 / (1.0 + np.exp(-RNG.normal(size=(12, 1))))
    y = RNG.integers(0, 2, size=(12, 1)).astype(float)
    assert losses.get("binary_crossentropy")(t(y), t(p)).item() == pytest.approx(log_loss(y.ravel(), p.ravel()), rel=1e-12)
    clipped = losses.binary_crossentropy(t([[1.0]]), t([[0.0]])).item()
    assert clipped == pytest.approx(-np.log(1e-7), rel=1e-9)
    logits = np.log(p / (1 - p))
    assert losses.BinaryCrossentropy(from_logits=True)(t(y), t(logits)).item() == \
        pytest.approx(log_loss(y.ravel(), p.ravel()), rel=1e-10)


def test_label_smoothing_follows_keras_formula():
    y, p = t([[0.0, 1.0, 0.0]]), t([[0.2, 0.5, 0.3]])
    smoothed = np.array([0.0, 1.0, 0.0]) * 0.9 + 0.1 / 3
    expected = -(smoothed * np.log([0.2, 0.5, 0.3])).sum()
    assert losses.CategoricalCrossentropy(label_smoothing=0.1)(y, p).item() == pytest.approx(expected, rel=1e-12)


def test_targets_of_shape_n_meet_outputs_of_shape_n_1_without_broadcasting():
    y_true, y_pred = t([1.0, 2.0, 3.0]), t([[1.0], [2.0], [5.0]])
    assert losses.get("mse")(y_true, y_pred).item() == pytest.approx(4.0 / 3.0, rel=1e-12)

    def user_mse(a, b):  # a user's function gets the same protection
        return ((a - b) ** 2).mean()

    assert losses.get(user_mse)(y_true, y_pred).item() == pytest.approx(4.0 / 3.0, rel=1e-12)


def test_sample_weights_scale_per_sample_values_over_the_batch_size():
    weights = t(np.arange(8.0))
    per_sample = ((Y_TRUE - Y_PRED) ** 2).mean(axis=1)
    expected = (per_sample * np.arange(8.0)).sum() / 8
    assert losses.get("mse")(t(Y_TRUE), t(Y_PRED), weights).item() == pytest.approx(expected, rel=1e-12)
    summed = losses.MeanSquaredError(reduction="sum")(t(Y_TRUE), t(Y_PRED)).item()
    assert summed == pytest.approx(per_sample.sum(), rel=1e-12)


def test_torch_loss_modules_are_called_as_input_target():
    y_true, y_pred = t([[0.0], [1.0]]), t([[0.5], [0.5]])
    bce = losses.get(torch.nn.BCELoss())
    assert bce(y_true, y_pred).item() == pytest.approx(np.log(2.0), rel=1e-12)


@pytest.mark.parametrize("loss", ["mse", "categorical_crossentropy", "binary_crossentropy", "huber"])
def test_losses_pass_gradcheck(loss):
    fn = losses.get(loss)
    y_true = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    y_pred = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: fn(y_true, p), (y_pred,))


def test_shape_mismatch_is_reported_with_both_shapes():
    with pytest.raises(ValueError, match=r"loss 'mean_squared_error': y_true of shape \(4, 3\) does not match "
                                         r"y_pred \(the model's output\) of shape \(4, 1\)"):
        losses.mean_squared_error(torch.zeros(4, 3), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="use seqlab.utils.to_categorical"):
        losses.categorical_crossentropy(torch.zeros(4), torch.zeros(4, 3))


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown loss 'mean_sqared_error'; known losses: \[.*'mse'"):
        losses.get("mean_sqared_error")
    with pytest.raises(TypeError, match="`loss` must be a name, a Loss or a callable, got 3"):
        losses.get(3)


@pytest.mark.parametrize("loss", [losses.MeanSquaredError(), losses.Huber(delta=2.0),
                                  losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                                  losses.SparseCategoricalCrossentropy(), losses.BinaryCrossentropy()])
def test_loss_objects_serialize_and_come_back(loss):
    clone = losses.deserialize(losses.serialize(loss))
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


@pytest.mark.parametrize("true_shape, pred_shape", [((6,), (6, 1, 1)), ((6, 1), (6, 1, 1)), ((6, 3), (6, 1, 3))])
def test_targets_that_differ_only_in_unit_axes_meet_their_own_outputs(true_shape, pred_shape):
    generator = np.random.default_rng(0)
    y_true = generator.normal(size=true_shape)
    y_pred = generator.normal(size=pred_shape)
    value = losses.MeanAbsoluteError()(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    np.testing.assert_allclose(value.item(), np.abs(y_pred.reshape(true_shape) - y_true).mean(), rtol=1e-12)


def test_targets_with_other_values_per_sample_are_refused_with_both_shapes():
    with pytest.raises(ValueError, match=r"loss 'mean_absolute_error': y_true of shape \(6, 2\) does not match "
                                         r"y_pred \(the model's output\) of shape \(6, 1, 1\)"):
        losses.MeanAbsoluteError()(torch.zeros(6, 2), torch.zeros(6, 1, 1))
