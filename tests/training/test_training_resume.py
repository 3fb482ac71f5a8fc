"""Resuming a fit from a saved model repeats the uninterrupted fit bit for bit on the CPU.

The reference is the same fit run without a break, in the same test; ``torch.equal`` on every
weight and optimizer slot (no tolerance: the promise is bit identity). Before the generators'
states were kept in the model file, a shuffled fit resumed in a new process differed by 1.8e-4.
"""
import json
import os
import random
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from seqlab.callbacks import ModelCheckpoint
from seqlab.errors import ModelFileError
from seqlab.layers import LSTM, Dense, Dropout, GaussianNoise
from seqlab.models import Sequential, load_model
from seqlab.training import rng_state
from seqlab.utils import set_random_seed

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")
EPOCHS, BREAK = 4, 2


def make_data():
    rng = np.random.default_rng(0)
    return rng.random((37, 5, 2), dtype=np.float32), rng.random((37, 1), dtype=np.float32)


def make_model():
    """Every kind of draw a fit makes: unseeded dropout (torch's global generator), seeded
    dropout and noise (the layers' own generators), recurrent dropout with a seed."""
    set_random_seed(3)
    model = Sequential([LSTM(6, input_shape=(5, 2), dropout=0.2, recurrent_dropout=0.3, seed=11),
                        Dropout(0.3), Dropout(0.2, seed=4), GaussianNoise(0.1, seed=5), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def validation(kind, x, y):
    if kind == "split":
        return {"validation_split": 0.25}
    if kind == "data":
        return {"validation_data": (x[:9], y[:9])}
    return {}


def assert_same_training(a, b):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name
    state_a = a.compiled.optimizer.engine.state_dict()["state"]
    state_b = b.compiled.optimizer.engine.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for index in state_a:
        for slot, value in state_a[index].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(state_b[index][slot])), (index, slot)


def scramble_generators():
    # What a new process would have: other states in every generator.
    torch.manual_seed(999)
    np.random.seed(5)
    random.seed(7)


@pytest.mark.parametrize("kind", [None, "split", "data"])
def test_a_fit_resumed_from_a_checkpoint_repeats_the_uninterrupted_fit(tmp_path, kind):
    x, y = make_data()
    whole = make_model()
    history = whole.fit(x, y, epochs=EPOCHS, batch_size=8, verbose=0, shuffle=True, **validation(kind, x, y),
                        callbacks=[ModelCheckpoint(str(tmp_path / "ck-{epoch}.seqlab"), monitor="loss")])
    scramble_generators()
    resumed = load_model(tmp_path / f"ck-{BREAK}.seqlab")
    rest = resumed.fit(x, y, epochs=EPOCHS, initial_epoch=BREAK, batch_size=8, verbose=0, shuffle=True,
                       **validation(kind, x, y))
    assert_same_training(whole, resumed)
    assert rest.history["loss"] == history.history["loss"][BREAK:]  # the same floats, not close ones


def test_without_the_state_the_resumed_fit_differs(tmp_path):
    # The test above can fail: the same resume with the state taken out is not the same fit.
    x, y = make_data()
    whole = make_model()
    whole.fit(x, y, epochs=EPOCHS, batch_size=8, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ck-{epoch}.seqlab"), monitor="loss")])
    scramble_generators()
    resumed = load_model(tmp_path / f"ck-{BREAK}.seqlab")
    resumed._training_state = None
    resumed.fit(x, y, epochs=EPOCHS, initial_epoch=BREAK, batch_size=8, verbose=0)
    assert not torch.equal(whole.layers[-1].kernel, resumed.layers[-1].kernel)


def test_a_model_saved_after_fit_resumes_in_a_new_process(tmp_path):
    x, y = make_data()
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    first = make_model()
    first.fit(x, y, epochs=BREAK, batch_size=8, verbose=0)
    first.save(tmp_path / "half.seqlab")
    script = (
        "import sys, numpy as np\n"
        "from seqlab.models import load_model\n"
        "folder = sys.argv[1]\n"
        "x, y = np.load(folder + '/x.npy'), np.load(folder + '/y.npy')\n"
        "model = load_model(folder + '/half.seqlab')\n"
        f"model.fit(x, y, epochs={EPOCHS}, initial_epoch={BREAK}, batch_size=8, verbose=0)\n"
        "model.save(folder + '/whole.seqlab')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": os.path.abspath(SRC)})
    first.fit(x, y, epochs=EPOCHS, initial_epoch=BREAK, batch_size=8, verbose=0)  # this process went on
    assert_same_training(first, load_model(tmp_path / "whole.seqlab"))


def test_another_initial_epoch_warns_and_leaves_the_generators_alone(tmp_path):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=BREAK, batch_size=8, verbose=0)
    model.save(tmp_path / "m.seqlab")
    loaded = load_model(tmp_path / "m.seqlab")
    torch.manual_seed(1)
    before = torch.get_rng_state()
    with pytest.warns(UserWarning, match=r"initial_epoch=1, but the model's file records 2 finished epoch\(s\); "
                                         r"the random generators are not restored, .*pass initial_epoch=2"):
        loaded.fit(x, y, epochs=1, initial_epoch=1, verbose=0)  # no epoch runs: nothing draws
    assert torch.equal(torch.get_rng_state(), before)


def test_the_file_records_the_state_of_the_last_epochs_end(tmp_path):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=BREAK, batch_size=8, verbose=0)
    torch_state = torch.get_rng_state()
    torch.rand(3)  # a draw from torch after fit is not part of the training state
    random.random()  # NumPy's and Python's generators are read when the file is written
    expected = (torch_state, np.random.get_state(), random.getstate())
    model.save(tmp_path / "m.seqlab")
    state = load_model(tmp_path / "m.seqlab")._training_state
    assert state.epoch == BREAK
    assert torch.equal(state.torch_cpu, expected[0])
    assert np.array_equal(state.numpy[1], expected[1][1]) and state.numpy[2:] == expected[1][2:]
    assert state.python == expected[2]
    seeded = [model.layers[i].name for i in (0, 2, 3)]  # LSTM, Dropout(seed=4), GaussianNoise: by name
    assert sorted(state.layers) == sorted(seeded) and all(list(s) == ["cpu"] for s in state.layers.values())


def test_the_same_model_saves_the_same_bytes(tmp_path):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "a.seqlab")
    model.save(tmp_path / "b.seqlab")
    assert (tmp_path / "a.seqlab").read_bytes() == (tmp_path / "b.seqlab").read_bytes()


# ---- the members are checked like every other member of a model file -----------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("state")
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(folder / "m.seqlab")
    return folder / "m.seqlab"


def rewrite(source, target, change_json=None, change_tensors=None, drop=()):
    from safetensors.torch import load, save
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if change_json is not None:
        value = json.loads(members["training_state.json"])
        change_json(value)
        members["training_state.json"] = json.dumps(value).encode()
    if change_tensors is not None:
        tensors = load(members["training_state.safetensors"])
        change_tensors(tensors)
        members["training_state.safetensors"] = save(tensors)
    with zipfile.ZipFile(target, "w") as archive:
        for name, payload in members.items():
            if name not in drop:
                archive.writestr(name, payload)
    return target


def _set(key, value):
    def change(spec):
        where = spec
        *path, last = key.split(".")
        for part in path:
            where = where[part]
        where[last] = value
    return change


@pytest.mark.parametrize("key, value, pattern", [
    ("epoch", -1, r"key 'epoch' is -1; expected an integer from 0 to 2147483647"),
    ("epoch", "2", r"key 'epoch' is '2'; expected an integer"),
    ("numpy.pos", 625, r"key 'numpy.pos' is 625; expected an integer from 0 to 624"),
    ("numpy.cached_gaussian", None, r"key 'numpy.cached_gaussian' is None; expected a number"),
    ("python.version", 2, r"key 'python.version' is 2; expected an integer from 3 to 3"),
    ("python.extra", 1, r"key 'python.extra' is 1; expected no such key"),
])
def test_each_json_value_is_checked(saved, tmp_path, key, value, pattern):
    path = rewrite(saved, tmp_path / "bad.seqlab", change_json=_set(key, value))
    with pytest.raises(ModelFileError, match=r"'.*bad.seqlab': training_state.json " + pattern):
        load_model(path)


def _tensor(name, value):
    def change(tensors):
        if value is None:
            del tensors[name]
        else:
            tensors[name] = value
    return change


@pytest.mark.parametrize("name, value, pattern", [
    ("torch/cpu", torch.zeros(16, dtype=torch.uint8),
     r"holds 'torch/cpu': a uint8 tensor of shape \(16,\); expected a uint8 tensor of shape \(5056,\)"),
    ("numpy/keys", torch.zeros(624, dtype=torch.int64),
     r"holds 'numpy/keys': a int64 tensor of shape \(624,\); expected a uint32 tensor of shape \(624,\)"),
    ("python/state", None, r"training_state.safetensors has no 'python/state'"),
    ("torch/cuda/3", torch.zeros(16, dtype=torch.uint8), r"holds 'torch/cuda/3': a CUDA generator out of sequence"),
    ("layers/lstm/tpu", torch.zeros(16, dtype=torch.uint8), r"holds 'layers/lstm/tpu': the device 'tpu'"),
    ("optimizer/x", torch.zeros(1), r"holds 'optimizer/x': an unknown name"),
    # right sizes, but no Mersenne twister state (torch checks its position and seeded flag)
    ("torch/cpu", torch.zeros(5056, dtype=torch.uint8),
     r"the training state of torch's CPU generator is not one it accepts"),
])
def test_each_tensor_is_checked(saved, tmp_path, name, value, pattern):
    path = rewrite(saved, tmp_path / "bad.seqlab", change_tensors=_tensor(name, value))
    with pytest.raises(ModelFileError, match=r"'.*bad.seqlab'.*" + pattern):
        load_model(path)


def test_python_words_beyond_its_position_are_refused(saved, tmp_path):
    def change(tensors):
        tensors["python/state"][-1] = 700  # the position must be at most 624
    path = rewrite(saved, tmp_path / "bad.seqlab", change_tensors=change)
    with pytest.raises(ModelFileError, match=r"the training state of Python's generator is not one it accepts"):
        load_model(path)


def test_one_of_the_pair_alone_is_refused_and_neither_is_an_untrained_model(saved, tmp_path):
    path = rewrite(saved, tmp_path / "half.seqlab", drop=("training_state.safetensors",))
    with pytest.raises(ModelFileError, match=r"has 'training_state.json' but not 'training_state.safetensors'"):
        load_model(path)
    path = rewrite(saved, tmp_path / "none.seqlab", drop=("training_state.safetensors", "training_state.json"))
    assert load_model(path)._training_state is None


def test_the_state_sizes_are_torchs_own():
    assert rng_state.CPU_STATE_BYTES == torch.Generator().get_state().numel()
    assert rng_state.NUMPY_KEYS == len(np.random.get_state()[1])
    assert rng_state.PYTHON_WORDS == len(random.getstate()[1])


def test_a_shuffling_dataloader_resumes_exactly(tmp_path):
    # torch's RandomSampler draws each pass's order from torch's global generator when the pass
    # starts: restored before fit's source takes its first batch, the orders repeat.
    from torch.utils.data import DataLoader, TensorDataset
    x, y = make_data()

    def loader():
        return DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8, shuffle=True)

    whole = make_model()
    whole.fit(loader(), epochs=EPOCHS, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ck-{epoch}.seqlab"), monitor="loss")])
    scramble_generators()
    resumed = load_model(tmp_path / f"ck-{BREAK}.seqlab")
    resumed.fit(loader(), epochs=EPOCHS, initial_epoch=BREAK, verbose=0)
    assert_same_training(whole, resumed)


def test_a_shuffled_timeseries_dataset_resumes_at_its_pass(tmp_path):
    # The dataset orders pass p by seed + p; a new dataset (a new process) is told the epoch.
    from seqlab.utils import timeseries_dataset_from_array
    series = np.random.default_rng(1).random((60, 2), dtype=np.float32)

    def dataset():
        return timeseries_dataset_from_array(series, series[5:, :1], sequence_length=5, batch_size=8,
                                             shuffle=True, seed=3)

    whole = make_model()
    whole.fit(dataset(), epochs=EPOCHS, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ck-{epoch}.seqlab"), monitor="loss")])
    scramble_generators()
    resumed = load_model(tmp_path / f"ck-{BREAK}.seqlab")
    resumed.fit(dataset(), epochs=EPOCHS, initial_epoch=BREAK, verbose=0)
    assert_same_training(whole, resumed)
