"""Files written before issue 10's restructuring (seqlab at commit 920d42e) still load, and
saving them again writes the same entries: the file format did not change.

The fixtures were written by ``fixtures/make_fixture_920d42e.py`` with ``PYTHONPATH`` pointing at
a checkout of 920d42e: an LSTM(2) + Dense(1) model fitted 2 epochs of 2 batches with Adam.
"""
import json
import zipfile
from pathlib import Path

import numpy as np
from safetensors import safe_open

from seqlab.layers import LSTM, Dense, Input
from seqlab.models import Sequential, load_model

FIXTURES = Path(__file__).parent / "fixtures"
MODEL_FILE = FIXTURES / "lstm_adam_920d42e.seqlab"
WEIGHTS_FILE = FIXTURES / "lstm_adam_920d42e.weights.safetensors"


def inputs():
    # The generator script's inputs (same seed and draw).
    return np.random.default_rng(0).random((8, 3, 1)).astype("float32")


def entries(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_model_file_from_920d42e_loads_with_its_weights_compile_settings_and_optimizer_state():
    model = load_model(MODEL_FILE)
    expected = np.load(FIXTURES / "lstm_adam_920d42e.predictions.npy")
    np.testing.assert_allclose(model.predict(inputs(), verbose=0), expected, rtol=1e-6, atol=1e-7)
    assert model.get_compile_config()["optimizer"]["class_name"] == "Adam"
    assert model.compiled.metric_identifiers == ["mae"]
    assert model.optimizer.iterations == 4  # 2 epochs of 2 batches


def test_saving_a_920d42e_file_again_writes_the_same_entries(tmp_path):
    model = load_model(MODEL_FILE)
    again = tmp_path / "again.seqlab"
    model.save(again)
    old, new = entries(MODEL_FILE), entries(again)
    assert list(new) == list(old)
    for name in old:
        if name == "seqlab.json":  # only the seqlab version inside may differ
            old_marker, new_marker = json.loads(old[name]), json.loads(new[name])
            old_marker.pop("seqlab_version"), new_marker.pop("seqlab_version")
            assert new_marker == old_marker
        else:
            assert new[name] == old[name], name


def weights_file(path) -> tuple[dict, dict]:
    with safe_open(str(path), framework="numpy") as handle:
        return handle.metadata(), {key: handle.get_tensor(key) for key in handle.keys()}


def test_a_weights_file_from_920d42e_loads_and_is_written_the_same(tmp_path):
    model = Sequential([Input(shape=(3, 1)), LSTM(2, name="lstm"), Dense(1, name="out")])
    model.load_weights(WEIGHTS_FILE)
    for saved, loaded in zip(load_model(MODEL_FILE).get_weights(), model.get_weights()):
        np.testing.assert_array_equal(loaded, saved)
    again = tmp_path / "again.weights.safetensors"
    model.save_weights(again)
    # Not byte for byte: safetensors writes its metadata keys in hash order.
    (old_metadata, old_arrays), (new_metadata, new_arrays) = weights_file(WEIGHTS_FILE), weights_file(again)
    assert new_metadata == old_metadata == {"format": "seqlab.weights", "format_version": "1"}
    assert list(new_arrays) == list(old_arrays)
    for key in old_arrays:
        assert new_arrays[key].dtype == old_arrays[key].dtype
        np.testing.assert_array_equal(new_arrays[key], old_arrays[key])
