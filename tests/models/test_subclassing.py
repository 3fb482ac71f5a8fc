"""Subclassing seqlab.Model: __init__ + call(inputs, training=None), as in Keras."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.errors import ModelFileError
from seqlab.layers import LSTM, Dense, Dropout
from seqlab.models import load_model


class Forecaster(seqlab.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.rnn = LSTM(units, name="rnn")
        self.drop = Dropout(0.5)
        self.head = Dense(1, name="head")

    def call(self, inputs, training=None):
        return self.head(self.drop(self.rnn(inputs), training=training))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Bare(seqlab.Model):
    def __init__(self, width):
        super().__init__()
        self.dense = Dense(width)

    def call(self, inputs, training=None):
        return self.dense(inputs)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 1)).astype("float32")
    return x, x[:, -1] * 0.5


def test_layers_assigned_as_attributes_are_tracked_and_built_on_first_call():
    model = Forecaster()
    assert not model.built and [layer.name for layer in model.layers][::2] == ["rnn", "head"]
    assert model(torch.zeros(2, 6, 1)).shape == (2, 1)
    assert model.built and model.output_shape == (None, 1)
    assert model.count_params() == 4 * (4 * (1 + 4) + 4) + 5  # Keras: LSTM 4*(units*(F+units)+units), Dense 5
    assert set(dict(model.named_modules())) >= {"rnn", "drop", "head"}


def test_subclassed_model_trains_with_fit_evaluate_predict():
    torch.manual_seed(0)
    x, y = _data()
    model = Forecaster()
    model.compile(optimizer="adam", loss="mse")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 20
    assert model.evaluate(x, y, verbose=0) < before
    assert model.predict(x, verbose=0).shape == (32, 1)


def test_training_flag_reaches_call():
    class Recording(Bare):
        def call(self, inputs, training=None):
            self.seen = training
            return super().call(inputs)

    model = Recording(1)
    model.eval()
    model(torch.zeros(1, 2))
    assert model.seen is False  # None becomes the module's mode, as Keras's learning phase
    model(torch.zeros(1, 2), training=True)
    assert model.seen is True


def test_save_with_get_config_rebuilds_the_architecture(tmp_path):
    model = Forecaster(units=3, name="forecaster")
    x, _ = _data()
    model(torch.as_tensor(x[:2]))
    path = tmp_path / "sub.seqlab"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"holds a 'Forecaster' model.*custom_objects=\{'Forecaster': Forecaster\}"):
        load_model(path)
    loaded = load_model(path, custom_objects={"Forecaster": Forecaster})
    assert type(loaded) is Forecaster and loaded.units == 3 and loaded.name == "forecaster"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_without_get_config_the_weights_save_and_loading_whole_says_why(tmp_path):
    model = Bare(2)
    model(torch.zeros(1, 3))
    weights = tmp_path / "bare.weights.safetensors"
    model.save_weights(weights)
    twin = Bare(2)
    twin(torch.zeros(1, 3))
    twin.load_weights(weights)
    np.testing.assert_array_equal(twin.get_weights()[0], model.get_weights()[0])
    path = tmp_path / "bare.seqlab"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"Bare.from_config cannot rebuild the model .*defines get_config\(\) and from_config\(\)"):
        load_model(path, custom_objects={"Bare": Bare})


def test_a_model_without_call_says_what_to_define():
    class Empty(seqlab.Model):
        pass

    with pytest.raises(NotImplementedError, match=r"defines no `call\(inputs, training=None\)`"):
        Empty()(torch.zeros(1, 2))
