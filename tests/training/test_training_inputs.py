"""The input road on nested structures: a model with several inputs takes a dict or list of
arrays, converted leaf by leaf, checked for one length across all leaves, and batched together.

No such model exists yet, so these tests drive the road's pieces with a ModelInfo that says
``nested=True``; a Sequential (``nested=False``) keeps reading a list as one array.
"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import LSTM, Dense
from seqlab.training.inputs import Batch, Role, convert_batch, road, tree
from seqlab.training.inputs.arrays import ArraySource
from seqlab.training.inputs.rules import ModelInfo


def nested_info(fixed=None) -> ModelInfo:
    model = SimpleNamespace(name="two_inputs", built=False)
    declared = None if fixed is None else (fixed, 3)
    return ModelInfo(model, declared, None, torch.float32, torch.float32, False, nested=True)


SETUP = SimpleNamespace(loss=SimpleNamespace(integer_targets=False, name="mse"))


def data(n=10):
    rng = np.random.default_rng(0)
    price = rng.random((n, 3)).astype("float32")
    day = np.arange(n, dtype="float32").reshape(n, 1)
    return price, day, day * 2.0


def test_a_dict_of_arrays_is_converted_leaf_by_leaf_and_batched_together():
    price, day, y = data()
    batch = convert_batch(nested_info(), SETUP, Role.FIT, {"price": price, "day": day}, y, None, "fit")
    assert set(batch.x) == {"price", "day"} and all(isinstance(t, torch.Tensor) for t in batch.x.values())
    assert batch.size == 10
    source = ArraySource(nested_info(), Role.FIT, batch, 4, "cpu", "fit", shuffle=True)
    torch.manual_seed(0)
    seen = list(source.batches())
    assert [b.size for b in seen] == [4, 4, 2] and source.steps == 3
    for b in seen:  # shuffled, yet every leaf and the targets keep their rows together
        torch.testing.assert_close(b.y, b.x["day"] * 2.0)
        assert b.x["price"].shape[1:] == (3,)
    days = torch.cat([b.x["day"] for b in seen]).flatten().sort().values
    torch.testing.assert_close(days, torch.arange(10, dtype=torch.float32))


def test_a_list_of_arrays_keeps_its_order_and_type():
    price, day, y = data()
    batch = convert_batch(nested_info(), SETUP, Role.PREDICT, [price, day], None, None, "predict")
    assert isinstance(batch.x, list) and batch.y is None
    first = next(ArraySource(nested_info(), Role.PREDICT, batch, 3, "cpu", "predict").batches())
    torch.testing.assert_close(first.x[0], torch.from_numpy(price[:3]))
    torch.testing.assert_close(first.x[1], torch.from_numpy(day[:3]))
    assert tree.batch_shape(batch.x) == [(None, 3), (None, 1)]


def test_the_length_check_names_the_leaf():
    price, day, y = data(100)
    with pytest.raises(ValueError, match=r"fit: x\['price'\] has 99 samples but y has 100; they must have one entry"):
        convert_batch(nested_info(), SETUP, Role.FIT, {"price": price[:99]}, y, None, "fit")
    with pytest.raises(ValueError, match=r"predict: x\[0\] has 100 samples but x\[1\] has 99"):
        convert_batch(nested_info(), SETUP, Role.PREDICT, [price, day[:99]], None, None, "predict")


def test_a_bad_leaf_is_named_in_the_error():
    price, day, y = data()
    with pytest.raises(TypeError, match=r"fit: `x\['day'\]` must be a NumPy array, list, pandas object"):
        convert_batch(nested_info(), SETUP, Role.FIT, {"price": price, "day": object()}, y, None, "fit")
    with pytest.raises(ValueError, match=r"fit: `validation_data x\['day'\]` contains 1 NaN value"):
        day[3] = np.nan
        convert_batch(nested_info(), SETUP, Role.VALIDATE, {"price": price, "day": day}, y, None, "fit")


def test_the_fixed_batch_rule_reads_the_first_leaf():
    price, day, y = data()
    batch = convert_batch(nested_info(fixed=4), SETUP, Role.FIT, {"price": price, "day": day}, y, None, "fit")
    with pytest.raises(ValueError, match="fixed batch size of 4 .* x has 10 samples"):
        ArraySource(nested_info(fixed=4), Role.FIT, batch, 4, "cpu", "fit")


def test_a_single_array_stays_a_plain_tensor():
    x = np.ones((5, 2), dtype="float32")
    info = ModelInfo(SimpleNamespace(name="one", built=False), None, None, torch.float32, torch.float32, False)
    batch = convert_batch(info, SETUP, Role.FIT, x.tolist(), x[:, :1], None, "fit")  # a list is one array
    assert isinstance(batch.x, torch.Tensor) and batch.x.shape == (5, 2)
    assert isinstance(Batch(batch.x).take(slice(0, 2)).x, torch.Tensor)


def test_roles_carry_what_differs():
    assert Role.FIT.targets and Role.FIT.shuffles and Role.FIT.steps_argument == "steps_per_epoch"
    assert Role.VALIDATE.packed and Role.VALIDATE.prefix == "validation_data " and not Role.VALIDATE.shuffles
    assert not Role.PREDICT.targets and not Role.PREDICT_BATCH.targets and Role.PREDICT_BATCH.one_batch
    assert Role.BATCH.targets and Role.BATCH.one_batch and Role.EVALUATE.steps_argument == "steps"


# The single-batch calls take the same road with Role.BATCH / Role.PREDICT_BATCH.

def stateful_model():
    model = seqlab.Sequential([LSTM(4, stateful=True, batch_input_shape=(2, 3, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize("call", ["train_on_batch", "test_on_batch", "predict_on_batch"])
def test_single_batch_calls_check_a_fixed_batch_size_before_the_layers(call):
    model = stateful_model()
    arguments = (np.ones((3, 3, 1)),) if call == "predict_on_batch" else (np.ones((3, 3, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match=rf"{call}: model '\w+' has a fixed batch size of 2 .*"
                                         r"a batch of `x` has 3 samples"):
        getattr(model, call)(*arguments)
    assert model.predict_on_batch(np.ones((2, 3, 1))).shape == (2, 1)


def test_single_batch_calls_take_arrays_not_loaders():
    model = stateful_model()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 3, 1), torch.ones(4, 1)),
                                         batch_size=2)
    with pytest.raises(TypeError, match="train_on_batch: `x` must be a NumPy array, list, pandas object or torch"):
        model.train_on_batch(loader, None)


def test_fit_attaches_the_optimizer_once_not_again_for_its_validation_data(monkeypatch):
    calls = []
    real = road.attach_optimizer
    monkeypatch.setattr(road, "attach_optimizer", lambda model, optimizer: calls.append(1) or real(model, optimizer))
    model = seqlab.Sequential([seqlab.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="adam", loss="mse")
    data = (np.ones((4, 2), "float32"), np.ones((4, 1), "float32"))
    model.fit(*data, validation_data=data, epochs=1, verbose=0)
    assert len(calls) == 1
    model.evaluate(*data, verbose=0)  # scoring attaches too, as fit does: the model is ready to train
    assert len(calls) == 2
