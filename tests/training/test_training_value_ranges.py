"""Values `fit` must refuse before training (issue 15, finding 8): binary cross-entropy targets
outside [0, 1], class weights for classes the model does not have, negative sample weights,
and a learning rate that is not a finite number."""
import numpy as np
import pytest

import seqlab
from seqlab.layers import Dense


def _model(units=1, activation="sigmoid", loss="binary_crossentropy"):
    model = seqlab.Sequential([Dense(units, activation=activation, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=loss)
    return model


X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)


def test_binary_crossentropy_refuses_targets_outside_0_1():
    # Keras computes it (a target of 5 makes the loss reward p -> 1 without bound); seqlab refuses
    y = np.array([0, 1, 1, 0, 5.0, 0, 1, 0])
    with pytest.raises(ValueError, match=r"fit: the loss 'binary_crossentropy' takes targets in \[0, 1\] "
                                         r"\(probabilities\), but `y` holds 5; scale the targets"):
        _model().fit(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"but `y` holds -0.5"):
        _model().evaluate(X, np.full(8, -0.5), verbose=0)
    with pytest.raises(ValueError, match=r"but `validation_data y` holds 2; scale"):
        _model().fit(X, np.ones(8), validation_data=(X, np.full(8, 2.0)), verbose=0)
    _model().fit(X, np.linspace(0, 1, 8), verbose=0)  # soft targets inside [0, 1] train


def test_class_weight_for_a_class_the_model_does_not_have_is_refused():
    three = _model(units=3, activation="softmax", loss="sparse_categorical_crossentropy")
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match=r"fit: `class_weight` names class 7, but the model has 3 classes \(0..2\)"):
        three.fit(X, labels, class_weight={0: 1.0, 7: 2.0}, verbose=0)
    with pytest.raises(ValueError, match=r"`class_weight` names class 2, but the model has 2 classes \(0..1\)"):
        _model().fit(X, labels % 2, class_weight={0: 1.0, 2: 3.0}, verbose=0)
    with pytest.raises(ValueError, match=r"`class_weight` names class -1, but the model has 3 classes"):
        three.fit(X, labels, class_weight={-1: 2.0}, verbose=0)
    with pytest.raises(TypeError, match=r"`class_weight` keys must be integer class indices, got 'a'"):
        three.fit(X, labels, class_weight={"a": 2.0}, verbose=0)
    with pytest.raises(ValueError, match=r"`class_weight\[1\]` must be a finite number >= 0, got -2.0"):
        three.fit(X, labels, class_weight={1: -2.0}, verbose=0)
    three.fit(X, labels, class_weight={0: 1.0, 2: 3.0}, verbose=0)


def test_class_weight_is_checked_once_an_unbuilt_model_is_built():
    model = seqlab.Sequential([Dense(3, activation="softmax")])  # no input shape: built by fit
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"`class_weight` names class 4, but the model has 3 classes"):
        model.fit(X, np.zeros(8), class_weight={4: 1.0}, verbose=0)


def test_negative_sample_weight_is_refused():
    with pytest.raises(ValueError, match=r"fit: `sample_weight` must be >= 0 \(a weight scales its sample's "
                                         r"loss\), got -1"):
        _model(loss="mse", activation=None).fit(X, np.ones(8), sample_weight=np.array([1, 1, -1, 1, 1, 1, 1, 1.0]),
                                                verbose=0)


@pytest.mark.parametrize("rate", [float("inf"), float("nan"), -1.0])
def test_an_optimizer_refuses_a_learning_rate_that_is_not_a_finite_number_at_least_0(rate):
    with pytest.raises(ValueError, match=rf"Adam: `learning_rate` must be a number >= 0, got {rate}"):
        seqlab.optimizers.Adam(learning_rate=rate)
    seqlab.optimizers.Adam(learning_rate=np.float32(0.01))  # a NumPy number is a number
