"""Every bad input to compile/fit/evaluate/predict fails early with a message naming it."""
import numpy as np
import pytest

from seqlab.errors import NotCompiledError
from seqlab.layers import Dense, Input
from seqlab.models import Sequential


def sequence_model():
    model = Sequential([Input(shape=(7, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


X = np.zeros((10, 7, 1), dtype="float32")
Y = np.zeros((10, 7, 1), dtype="float32")


def with_nans(array, positions):
    array = array.copy()
    for position in positions:
        array[position] = np.nan
    return array


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.fit(np.zeros((32, 8)), np.zeros((32, 1)), verbose=0), ValueError,
     r"fit: model '.*' expects 3-D input \(batch, timesteps, features\) of shape \(None, 7, 1\), got `x` of shape \(32, 8\)"),
    (lambda m: m.predict(np.zeros((4, 6, 1))), ValueError,
     r"predict: model '.*' expects 3-D input .* of shape \(None, 7, 1\), got `x` of shape \(4, 6, 1\)"),
    (lambda m: m.fit(np.full((2, 7, 1), "a"), Y[:2], verbose=0), TypeError,
     r"fit: `x` must hold numbers, got an array of dtype <U1 \(values such as \['a', 'a', 'a'\]\); encode text"),
    (lambda m: m.fit([[1.0, 2.0], [3.0]], Y[:2], verbose=0), ValueError, r"fit: `x` is a ragged list"),
    (lambda m: m.fit(with_nans(X, [(4, 0, 0), (4, 3, 0), (9, 6, 0)]), Y, verbose=0), ValueError,
     r"fit: `x` contains 3 NaN values \(first at index \(4, 0, 0\)\)"),
    (lambda m: m.fit(X, np.where(np.arange(70).reshape(10, 7, 1) == 12, np.inf, 0.0), verbose=0), ValueError,
     r"fit: `y` contains 1 infinite value \(first at index \(1, 5, 0\)\)"),
    (lambda m: m.evaluate(X, with_nans(Y, [(2, 2, 0)]), verbose=0), ValueError, r"evaluate: `y` contains 1 NaN value"),
    (lambda m: m.fit(X, Y[:9], verbose=0), ValueError, r"fit: x has 10 samples but y has 9"),
    (lambda m: m.fit(X, Y, sample_weight=np.ones(8), verbose=0), ValueError, r"fit: x has 10 samples but sample_weight has 8"),
    (lambda m: m.fit(X, Y, validation_data=(X, Y[:3]), verbose=0), ValueError,
     r"fit: validation_data x has 10 samples but validation_data y has 3"),
    (lambda m: m.fit(X, Y, validation_data=X, verbose=0), TypeError, r"`validation_data` must be a tuple \(x_val, y_val\)"),
    (lambda m: m.fit(X, Y, batch_size=0, verbose=0), ValueError, r"fit: `batch_size` must be a positive integer, got 0"),
    (lambda m: m.fit(X, Y, batch_size=-3, verbose=0), ValueError, r"fit: `batch_size` must be a positive integer, got -3"),
    (lambda m: m.predict(X, batch_size=2.5), TypeError, r"predict: `batch_size` must be a positive integer, got 2.5"),
    (lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ValueError, r"fit: `validation_split` must be in \[0, 1\), got 1.0"),
    (lambda m: m.fit(X, Y, validation_split=-0.1, verbose=0), ValueError, r"`validation_split` must be in \[0, 1\), got -0.1"),
    (lambda m: m.fit(X[:1], Y[:1], validation_split=0.2, verbose=0), ValueError,
     r"fit: validation_split=0.2 leaves 0 of 1 samples for training"),
    (lambda m: m.fit(X, Y, epochs=-1, verbose=0), ValueError, r"fit: `epochs` must be a non-negative integer, got -1"),
    (lambda m: m.fit(X, Y, verbose=3), ValueError, r"fit: `verbose` must be 'auto', 0, 1 or 2, got 3"),
    (lambda m: m.fit(X, Y, shuffle="yes", verbose=0), TypeError, r"fit: `shuffle` must be True or False, got 'yes'"),
    (lambda m: m.fit(X, None, verbose=0), ValueError, r"fit: `y` \(the targets\) is required"),
    (lambda m: m.fit(X, Y, verbose=0, callbacks=[print]), TypeError, r"`callbacks` must hold seqlab.callbacks.Callback objects"),
    (lambda m: m.fit(X, Y, class_weight={0: 1.0}, sample_weight=np.ones(10), verbose=0), ValueError,
     r"pass either `class_weight` or `sample_weight`, not both"),
    (lambda m: m.fit({"x": X}, Y, verbose=0), TypeError, r"fit: `x` must be a NumPy array, list, pandas object or torch tensor, got \{'x'"),
])
def test_bad_fit_inputs_are_reported(call, error, message):
    with pytest.raises(error, match=message):
        call(sequence_model())


def test_fit_and_evaluate_before_compile():
    model = Sequential([Input(shape=(7, 1)), Dense(1)])
    with pytest.raises(NotCompiledError, match=r"model '.*' must be compiled before `fit`: call model.compile"):
        model.fit(X, Y)
    with pytest.raises(NotCompiledError, match="before `evaluate`"):
        model.evaluate(X, Y)
    assert model.predict(X).shape == (10, 7, 1)  # predicting needs no compile, as in Keras
    model.compile(optimizer="adam")
    with pytest.raises(NotCompiledError, match="was compiled without a loss, so `fit` has nothing to minimise"):
        model.fit(X, Y)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"loss": "mean_sqared_error"}, ValueError, r"unknown loss 'mean_sqared_error'; known losses: \["),
    ({"loss": "mse", "optimizer": "adamm"}, ValueError, r"unknown optimizer 'adamm'; known optimizers: \["),
    ({"loss": "mse", "metrics": ["acuracy"]}, ValueError, r"unknown metric 'acuracy'; known metrics: \["),
    ({"loss": "mse", "metrics": "accuracy"}, TypeError, r"compile: `metrics` must be a list, e.g. \['accuracy'\], got 'accuracy'"),
    ({"loss": "mse", "metrics": ["mae", "mae"]}, ValueError, r"metric names must be unique and not 'loss', got \['mae'\]"),
    ({"loss": "mse", "lr": 0.1}, TypeError, r"compile\(\) got unexpected keyword arguments \['lr'\]"),
    ({"loss": "mse", "device": "tpu"}, ValueError, r"compile: `device` must be None, 'auto', 'cpu', 'cuda' or a torch.device, got 'tpu'"),
])
def test_bad_compile_arguments_are_reported(kwargs, error, message):
    model = Sequential([Input(shape=(7, 1)), Dense(1)])
    with pytest.raises(error, match=message):
        model.compile(**kwargs)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'relu6x'; expected one of \["):
        Dense(1, activation="relu6x")


def test_fractional_labels_for_a_sparse_loss_are_rejected():
    model = Sequential([Input(shape=(3,)), Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="takes integer class labels, but `y` holds fractional values"):
        model.fit(np.zeros((4, 3)), np.array([0.5, 1, 2, 3]), verbose=0)


def test_targets_that_do_not_fit_the_output_name_both_shapes():
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"y_true of shape \(4, 3\) does not match y_pred \(the model's output\) of shape \(4, 1\)"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 3)), verbose=0)


@pytest.mark.parametrize("x_shape, message", [
    ((20, 7), r"got `x` of shape \(20, 7\)\. A 2-D `x` holds one feature per timestep: reshape it with "
              r"x = x\.reshape\(\(x\.shape\[0\], x\.shape\[1\], 1\)\)"),
    ((20, 5, 1), r"got `x` of shape \(20, 5, 1\): timesteps 5 where the model takes 7$"),
])
def test_sequence_input_of_the_wrong_shape_says_what_to_change(x_shape, message):
    from seqlab.layers import LSTM
    model = Sequential([LSTM(8, input_shape=(7, 1)), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    with pytest.raises(ValueError, match=message):
        model.fit(np.zeros(x_shape), np.zeros((20, 1)), verbose=0)
