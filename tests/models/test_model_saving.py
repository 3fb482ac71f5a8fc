"""One-file saving: round trips, exact resume, atomic writes, and damaged or foreign files."""
import json
import os
import zipfile

import numpy as np
import pytest
import torch
from safetensors import safe_open

import seqlab
from seqlab.errors import ModelFileError
from seqlab.layers import Dense, Dropout, Input
from seqlab.models import Sequential, load_model, saving
from seqlab.training.compile import MissingCustomObjectError
from seqlab.utils import set_random_seed


def rmse(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean().sqrt()


def data(n=24):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4)).astype("float32")
    return x, np.tanh(x @ rng.normal(size=(4, 2))).astype("float32")


def make_model(optimizer="adam", loss="mse", metrics=("mae",)):
    set_random_seed(0)
    model = Sequential([Input(shape=(4,)), Dense(8, activation="relu", name="hidden"), Dropout(0.1),
                        Dense(2, name="out")], name="probe_model")
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_save_load_gives_identical_predictions_and_settings(tmp_path):
    x, y = data()
    model = make_model(metrics=["mae", "accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.seqlab"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_config() == model.get_config()
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.compiled.metric_identifiers == ["mae", "accuracy"]
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_file_layout_is_documented_json_and_safetensors(tmp_path):
    model = make_model()
    model.fit(*data(), epochs=1, verbose=0)
    path = tmp_path / "model.seqlab"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["seqlab.json", "model.json", "model.weights.safetensors",
                                      "compile.json", "optimizer.safetensors", "optimizer.json",
                                      "training_state.safetensors", "training_state.json"]
        marker = json.loads(archive.read("seqlab.json"))
        assert marker["format"] == "seqlab.model" and marker["format_version"] == 1
        assert json.loads(archive.read("model.json"))["build_input_shape"] == [None, 4]
        from safetensors.torch import load
        weights = load(archive.read("model.weights.safetensors"))
        assert sorted(weights) == ["hidden/bias", "hidden/kernel", "out/bias", "out/kernel"]
        assert tuple(weights["hidden/kernel"].shape) == (4, 8)  # Keras layout (in, out)
        state = load(archive.read("optimizer.safetensors"))
        assert "hidden/kernel/m" in state and "out/bias/v" in state


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", lambda: seqlab.optimizers.SGD(0.05, momentum=0.9),
                                       "adagrad", "adamw"])
def test_fit_save_load_fit_equals_fitting_straight_through(tmp_path, optimizer):
    x, y = data()
    make = (lambda: make_model(optimizer=optimizer())) if callable(optimizer) else (lambda: make_model(optimizer=optimizer))
    straight = make()
    straight.layers[1].rate = 0.0  # no dropout randomness: the runs must match bit for bit
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = make()
    first.layers[1].rate = 0.0
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    first.save(tmp_path / "half.seqlab")
    resumed = load_model(tmp_path / "half.seqlab")
    resumed.layers[1].rate = 0.0
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 12


def test_learning_rate_changes_are_saved(tmp_path):
    model = make_model()
    model.fit(*data(), epochs=1, verbose=0)
    model.optimizer.learning_rate = 1e-5
    model.save(tmp_path / "m.seqlab")
    assert load_model(tmp_path / "m.seqlab").optimizer.learning_rate == pytest.approx(1e-5)


def test_custom_functions_come_back_through_custom_objects(tmp_path):
    model = make_model(loss=rmse, metrics=["mae", rmse])
    model.fit(*data(), epochs=1, verbose=0)
    path = tmp_path / "custom.seqlab"
    model.save(path)
    with pytest.raises(ValueError, match=r"compiled with a custom loss 'rmse', which cannot be stored in a file; "
                                         r"pass load_model\('.*custom.seqlab', custom_objects=\{'rmse': rmse\}\)"):
        load_model(path)
    loaded = load_model(path, custom_objects={"rmse": rmse})
    assert loaded.compiled.loss.fn is rmse
    uncompiled = load_model(path, compile=False)
    assert uncompiled.compiled is None
    np.testing.assert_array_equal(uncompiled.predict(data()[0]), model.predict(data()[0]))


def test_models_built_from_data_and_saved_without_optimizer(tmp_path):
    x, y = data()
    set_random_seed(0)
    model = Sequential([Dense(3), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.seqlab", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "m.seqlab") as archive:
        assert "optimizer.safetensors" not in archive.namelist()
    loaded = load_model(tmp_path / "m.seqlab")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert not loaded.optimizer.built


def test_the_same_weights_write_the_same_weights_file(tmp_path):
    # safetensors writes its metadata from a hash map whose order changes between saves (before
    # the fix, 12 saves of one model gave two different files)
    model = make_model()
    saved = []
    for k in range(12):
        model.save_weights(tmp_path / f"w{k}.safetensors")
        saved.append((tmp_path / f"w{k}.safetensors").read_bytes())
    assert all(data == saved[0] for data in saved)
    with safe_open(tmp_path / "w0.safetensors", "numpy") as weights:
        assert weights.metadata() == {"format": "seqlab.weights", "format_version": "1"}


def test_weights_only_files(tmp_path):
    x, _ = data()
    model = make_model()
    model.save_weights(tmp_path / "w.safetensors")
    other = make_model()
    with torch.no_grad():
        for p in other.parameters():
            p.zero_()
    other.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    model.save(tmp_path / "full.seqlab")
    other.load_weights(tmp_path / "full.seqlab")  # the weights inside a model file work too
    wrong = Sequential([Input(shape=(4,)), Dense(8, name="hidden"), Dense(3, name="out")])
    with pytest.raises(ModelFileError, match=r"layer 'out': weight 'kernel' has shape \(8, 3\), got an array of shape \(8, 2\)"):
        wrong.load_weights(tmp_path / "w.safetensors")
    renamed = Sequential([Input(shape=(4,)), Dense(8, name="first"), Dense(2, name="out")])
    with pytest.raises(ModelFileError, match=r"has no weights \['first/kernel', 'first/bias'\] for layer 'first'"):
        renamed.load_weights(tmp_path / "w.safetensors")


def test_an_interrupted_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.seqlab"
    model = make_model()
    model.save(path)
    before = path.read_bytes()
    model.fit(*data(), epochs=1, verbose=0)
    written = []
    real_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, name, payload, *args, **kwargs):
        name = getattr(name, "filename", name)  # save_model passes a ZipInfo (its fixed date)
        written.append(name)
        if name == "compile.json":  # die halfway through the archive
            raise OSError("disk full (simulated)")
        return real_writestr(self, name, payload, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert written[:3] == ["seqlab.json", "model.json", "model.weights.safetensors"]
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.seqlab"]  # no temporary file left behind
    monkeypatch.undo()
    load_model(path)


def test_missing_truncated_foreign_and_corrupted_files(tmp_path):
    model = make_model()
    model.fit(*data(), epochs=1, verbose=0)
    good = tmp_path / "good.seqlab"
    model.save(good)
    raw = good.read_bytes()

    with pytest.raises(ModelFileError, match=r"no model file at '.*nothing.seqlab'"):
        load_model(tmp_path / "nothing.seqlab")

    truncated = tmp_path / "truncated.seqlab"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match=r"'.*truncated.seqlab' is a truncated or corrupted seqlab model file"):
        load_model(truncated)

    text = tmp_path / "notes.txt"
    text.write_text("model.add(LSTM(32))\n")
    with pytest.raises(ModelFileError, match=r"'.*notes.txt' is not a seqlab model file \(it is not a zip archive"):
        load_model(text)

    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ModelFileError, match=r"'.*foreign.zip' is not a complete seqlab model file: it has no 'seqlab.json' marker"):
        load_model(foreign)

    corrupted = tmp_path / "corrupted.seqlab"
    data_start = raw.index(b"hidden/kernel")  # inside the weights entry's safetensors header
    flipped = bytearray(raw)
    flipped[data_start + 300] ^= 0xFF
    corrupted.write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match=r"'.*corrupted.seqlab' is corrupted: entry 'model.weights.safetensors' fails its check"):
        load_model(corrupted)

    newer = tmp_path / "newer.seqlab"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(newer, "w") as target:
        for name in source.namelist():
            payload = source.read(name)
            if name == "seqlab.json":
                payload = json.dumps({"format": "seqlab.model", "format_version": 99}).encode()
            target.writestr(name, payload)
    with pytest.raises(ModelFileError, match=r"uses model format version 99; this seqlab reads up to version 1"):
        load_model(newer)


def test_unknown_layer_class_in_a_file_is_a_model_file_error(tmp_path):
    model = make_model()
    path = tmp_path / "m.seqlab"
    model.save(path)
    edited = tmp_path / "edited.seqlab"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for name in source.namelist():
            payload = source.read(name)
            if name == "model.json":
                payload = payload.replace(b'"Dense"', b'"os.system"')
            target.writestr(name, payload)
    with pytest.raises(ModelFileError, match=r"cannot be rebuilt: unknown layer class 'os.system'"):
        load_model(edited)


def test_loading_never_unpickles(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("torch.load must never be used")

    monkeypatch.setattr(torch, "load", forbidden)
    import pickle
    monkeypatch.setattr(pickle, "loads", forbidden)
    model = make_model()
    model.save(tmp_path / "m.seqlab")
    load_model(tmp_path / "m.seqlab")
    assert saving.FORMAT == "seqlab.model"


def test_a_torch_optimizer_is_rebuilt_from_torch_optim_and_resumes(tmp_path):
    x, y = data()

    def make():
        set_random_seed(0)
        model = Sequential([Input(shape=(4,)), Dense(8, activation="relu", name="hidden"), Dense(2, name="out")])
        model.compile(optimizer=torch.optim.Adam(model.parameters(), lr=0.01), loss="mse")
        return model

    straight = make()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    half = make()
    half.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    half.save(tmp_path / "torch_adam.seqlab")
    resumed = load_model(tmp_path / "torch_adam.seqlab")
    assert isinstance(resumed.optimizer.torch_optimizer, torch.optim.Adam)
    resumed.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_seqlab_functions_given_as_objects_are_saved_by_name(tmp_path):
    # The notes' echo listing: loss=tf.keras.losses.categorical_crossentropy (a function object).
    set_random_seed(0)
    model = Sequential([Input(shape=(4,)), Dense(3, activation="softmax")])
    model.compile(loss=seqlab.losses.categorical_crossentropy,
                  optimizer=seqlab.optimizers.Adam(learning_rate=0.001),
                  metrics=[seqlab.metrics.categorical_accuracy, seqlab.metrics.RootMeanSquaredError()])
    model.save(tmp_path / "echo.seqlab")
    loaded = load_model(tmp_path / "echo.seqlab")  # no custom_objects needed
    x = np.random.default_rng(0).random((5, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1]]
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)


@pytest.mark.parametrize("name", ["best_model.h5", "model.keras", "w.weights.h5"])
def test_a_keras_file_name_gets_a_warning_but_still_round_trips(tmp_path, name):
    model = Sequential([Dense(2, input_shape=(3,))])
    path = tmp_path / name
    save = model.save_weights if name.startswith("w.") else model.save
    with pytest.warns(UserWarning, match=r"seqlab writes its own format \(JSON config and safetensors weights\), "
                                         r"not (HDF5|Keras's \.keras format); seqlab reads it back"):
        save(path)
    if save == model.save:
        np.testing.assert_array_equal(load_model(path).get_weights()[0], model.get_weights()[0])


def test_compile_config_is_none_before_compile_and_round_trips_keras_style():
    model = Sequential([Input(shape=(4,)), Dense(2)])
    assert model.get_compile_config() is None
    model.compile(optimizer=seqlab.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae", rmse])
    config = model.get_compile_config()
    assert json.loads(json.dumps(config)) == config  # plain JSON
    twin = Sequential([Input(shape=(4,)), Dense(2)])
    twin.compile_from_config(config, custom_objects={"rmse": rmse})
    assert twin.get_compile_config() == config
    assert twin.optimizer is not model.optimizer and twin.optimizer.get_config() == model.optimizer.get_config()
    assert twin.metrics_names == ["loss", "mae", "rmse"]


def test_compile_from_config_names_a_missing_custom_function():
    model = make_model(loss=rmse)
    twin = Sequential([Input(shape=(4,)), Dense(2)])
    with pytest.raises(MissingCustomObjectError, match="the compile config names a custom loss 'rmse'") as caught:
        twin.compile_from_config(model.get_compile_config())
    assert (caught.value.kind, caught.value.name) == ("loss", "rmse")


def test_load_model_builds_the_class_the_file_names_from_the_class_table(tmp_path, monkeypatch):
    # The next model class saves and loads through the same code by adding one entry.
    class Stack(Sequential):
        pass

    model = Stack([Input(shape=(4,)), Dense(2, name="out")])
    model.compile(loss="mse", optimizer="sgd")
    path = tmp_path / "stack.seqlab"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"holds a 'Stack' model; seqlab builds Sequential, Functional, Model models. If 'Stack' is your subclass"):
        load_model(path)
    monkeypatch.setitem(seqlab.models.MODEL_CLASSES, "Stack", Stack)
    loaded = load_model(path)
    assert type(loaded) is Stack and loaded.get_compile_config() == model.get_compile_config()
