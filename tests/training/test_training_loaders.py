"""fit / evaluate / predict on a torch DataLoader or a generator of batches (Keras 3 on torch
accepts both). The reference is the same call on the same arrays, tested elsewhere against
hand-written torch loops: batch for batch, a loader must give the same numbers."""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

import seqlab
from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential


def arrays(n=24):
    generator = np.random.default_rng(0)
    x = generator.normal(size=(n, 5, 2)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None].astype("float32") * 0.1
    return x, y


def loader(x, y=None, weight=None, batch_size=8):
    tensors = [torch.as_tensor(t) for t in (x, y, weight) if t is not None]
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=False)


def model(metrics=("mae",), **layer_options):
    seqlab.utils.set_random_seed(0)
    m = Sequential([LSTM(4, **layer_options), Dense(1)])
    m.compile(loss="mse", optimizer="adam", metrics=list(metrics))
    return m


def test_fit_on_a_loader_matches_fit_on_the_same_arrays():
    # Built up front: a DataLoader draws a seed from torch's generator when it starts a pass,
    # so weights created after that would differ from the array run's.
    x, y = arrays()
    on_arrays, on_loader = model(input_shape=(5, 2)), model(input_shape=(5, 2))
    expected = on_arrays.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    got = on_loader.fit(loader(x, y), epochs=3, verbose=0).history
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6)
    for a, b in zip(on_loader.get_weights(), on_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_sample_weights_and_validation_loaders():
    x, y = arrays()
    weight = np.linspace(0.5, 2.0, len(x)).astype("float32")
    on_arrays, on_loader = model(input_shape=(5, 2)), model(input_shape=(5, 2))
    expected = on_arrays.fit(x[:16], y[:16], sample_weight=weight[:16], batch_size=8, epochs=2, shuffle=False,
                             validation_data=(x[16:], y[16:]), verbose=0).history
    got = on_loader.fit(loader(x[:16], y[:16], weight[:16]), validation_data=loader(x[16:], y[16:], batch_size=4),
                        epochs=2, verbose=0).history
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6)


def test_an_unbuilt_model_builds_from_the_first_batch():
    x, y = arrays()
    m = model()
    assert not m.built
    m.fit(loader(x, y), epochs=1, verbose=0)
    assert m.built and m.input_shape == (None, 5, 2) and m.output_shape == (None, 1)


def test_evaluate_and_predict_on_loaders():
    x, y = arrays()
    m = model()
    m.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(m.evaluate(loader(x, y), verbose=0), m.evaluate(x, y, batch_size=8, verbose=0),
                               rtol=1e-6)
    expected = m.predict(x)
    np.testing.assert_allclose(m.predict(loader(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(m.predict(loader(x, y)), expected, rtol=1e-6)  # targets ignored


def test_a_generator_with_steps_per_epoch_keeps_going_across_epochs():
    x, y = arrays()
    drawn = []

    def batches():
        while True:  # Keras-style endless generator
            for start in range(0, len(x), 6):
                drawn.append(start)
                yield x[start:start + 6], y[start:start + 6]

    m = model()
    history = m.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert drawn == [0, 6, 12, 18, 0, 6]  # the second epoch continues where the first stopped


def test_a_dataloader_with_steps_continues_then_restarts():
    x, y = arrays(12)  # 3 batches of 4
    seen = []

    class Recording(Dense):
        def call(self, inputs, training=False, mask=None):
            seen.append(round(float(inputs.sum()), 3))
            return super().call(inputs, training, mask)

    m = Sequential([Recording(1, input_shape=(10,))])
    m.compile(loss="mse", optimizer="sgd")
    flat = x.reshape(12, 10)
    m.fit(loader(flat, y, batch_size=4), steps_per_epoch=2, epochs=3, verbose=0)
    sums = [round(float(flat[i:i + 4].sum()), 3) for i in (0, 4, 8)]
    assert seen == [sums[0], sums[1], sums[2], sums[0], sums[1], sums[2]]


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.fit(loader(x, y), y=y, verbose=0),
     r"fit: `x` is a DataLoader, whose batches carry everything; leave `y` out"),
    (lambda m, x, y: m.fit(loader(x, y), batch_size=8, verbose=0),
     r"fit: `x` is a DataLoader, whose batches carry everything; leave `batch_size` out \(got 8\)"),
    (lambda m, x, y: m.fit(loader(x, y), validation_split=0.2, verbose=0),
     r"fit: `validation_split` needs arrays; with a DataLoader as `x`, pass validation_data"),
    (lambda m, x, y: m.fit(x, y, steps_per_epoch=2, verbose=0),
     r"fit: `steps_per_epoch` is for a DataLoader or a generator as `x`"),
    (lambda m, x, y: m.fit(iter([(x, y)]), epochs=1, verbose=0),
     r"fit: `x` \(list_iterator\) has no length, so the number of batches per pass is unknown; give `steps_per_epoch`"),
    (lambda m, x, y: m.fit(iter([(x, y)]), steps_per_epoch=2, verbose=0),
     r"fit: `x` ran out of batches; a generator must yield `steps_per_epoch` batches for every pass"),
    (lambda m, x, y: m.fit(loader(x), verbose=0),
     r"fit: each batch of `x` must be \(x, y\) or \(x, y, sample_weight\), got a batch of 1 element"),
    (lambda m, x, y: m.evaluate(iter([]), steps=1, verbose=0),
     r"evaluate: `x` ran out of batches"),
    (lambda m, x, y: m.predict(x, steps=3),
     r"predict: `steps` is for a DataLoader or a generator as `x`"),
])
def test_misuse_is_refused_by_name(call, message):
    x, y = arrays()
    with pytest.raises((TypeError, ValueError), match=message):
        call(model(), x, y)


def test_an_iterable_dataset_needs_steps():
    x, y = arrays()

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(zip(torch.as_tensor(x), torch.as_tensor(y)))

    m = model()
    with pytest.raises(ValueError, match=r"fit: `x` \(DataLoader\) has no length.*give `steps_per_epoch`"):
        m.fit(DataLoader(Stream(), batch_size=8), verbose=0)
    history = m.fit(DataLoader(Stream(), batch_size=8), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_a_stateful_model_refuses_a_loader_batch_of_another_size():
    x, y = arrays(10)
    m = Sequential([LSTM(3, stateful=True, batch_input_shape=(4, 5, 2)), Dense(1)])
    m.compile(loss="mse", optimizer="adam")
    with pytest.raises(ValueError, match=r"fixed batch size of 4 .* a batch of `x` has 2 samples"):
        m.fit(loader(x, y, batch_size=4), epochs=1, verbose=0)


def test_bad_values_inside_a_batch_are_named():
    x, y = arrays()
    x[9, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"fit: `x` contains 1 NaN value \(first at index \(1, 0, 0\)\)"):
        model().fit(loader(x, y), verbose=0)
