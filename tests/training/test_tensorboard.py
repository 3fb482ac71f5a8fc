"""The TensorBoard callback writes real event files in Keras's layout, read back with
TensorBoard's own reader: scalars equal to the History, weight histograms and images, gate
traces as images; Keras arguments seqlab does not implement are refused by name."""
import doctest
import importlib.util
import io
import os
import sys

import matplotlib.image
import numpy as np
import pytest

import seqlab
from seqlab.callbacks import CallbackList, LambdaCallback, TensorBoard
from seqlab.training import tensorboard as tensorboard_module

if importlib.util.find_spec("tensorboard") is None:
    if os.environ.get("CI"):
        pytest.fail("the tensorboard package is required in CI (pip install '.[dev]')", pytrace=False)
    pytest.skip("the tensorboard package is not installed (pip install 'seqlab[tensorboard]')",
                allow_module_level=True)

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

EVERYTHING = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}  # keep every event


def _read(path) -> EventAccumulator:
    accumulator = EventAccumulator(str(path), size_guidance=EVERYTHING)
    accumulator.Reload()
    return accumulator


def _data(samples=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 6, 2)).astype("float32")
    return x, x.sum(axis=(1, 2))[:, None]


def _model(learning_rate=0.01):
    seqlab.utils.set_random_seed(0)
    model = seqlab.Sequential([seqlab.layers.LSTM(4, input_shape=(6, 2), name="lstm"),
                               seqlab.layers.Dense(1, name="out")])
    model.compile(optimizer=seqlab.optimizers.Adam(learning_rate=learning_rate), loss="mse", metrics=["mae"])
    return model


def _fit(model, callbacks, epochs=3):
    x, y = _data()
    return model.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.25, verbose=0, callbacks=callbacks)


def test_epoch_scalars_equal_the_history_in_keras_layout(tmp_path):
    model = _model()
    history = _fit(model, [TensorBoard(tmp_path / "logs")]).history
    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    train, validation = _read(tmp_path / "logs" / "train"), _read(tmp_path / "logs" / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    for tag, key in (("epoch_loss", "loss"), ("epoch_mae", "mae")):
        events = train.Scalars(tag)
        assert [e.step for e in events] == [0, 1, 2]
        # event files hold float32: equal to the History's float64 within float32's precision
        np.testing.assert_allclose([e.value for e in events], history[key], rtol=1e-6)
        np.testing.assert_allclose([e.value for e in validation.Scalars(tag)], history[f"val_{key}"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_learning_rate")], [0.01] * 3, rtol=1e-6)
    # Keras's "evaluation_<name>_vs_iterations": the validation values at the optimizer's step count
    evaluation = validation.Scalars("evaluation_loss_vs_iterations")
    assert [e.step for e in evaluation] == [4, 8, 12]  # 30 training samples / batches of 8 = 4 steps an epoch
    np.testing.assert_allclose([e.value for e in evaluation], history["val_loss"], rtol=1e-6)


def test_model_summary_is_written_as_text(tmp_path):
    model = _model()
    _fit(model, [TensorBoard(tmp_path)], epochs=1)
    (event,) = _read(tmp_path / "train").Tensors("model_summary/text_summary")
    text = event.tensor_proto.string_val[0].decode()
    assert f"Total params: {model.count_params():,}" in text
    assert "lstm (LSTM)" in text


def test_histograms_and_weight_images_at_the_histogram_epochs(tmp_path):
    model = _model()
    _fit(model, [TensorBoard(tmp_path, histogram_freq=2, write_images=True)], epochs=3)
    train = _read(tmp_path / "train")
    expected = {f"{layer}/{weight}/histogram" for layer, weights in
                (("lstm", ("kernel", "recurrent_kernel", "bias")), ("out", ("kernel", "bias"))) for weight in weights}
    assert set(train.Tags()["histograms"]) == expected
    # the last histogram (epoch 2, the last epoch) describes the trained weights, in Keras's layout
    kernel, recurrent_kernel, bias = model.layers[0].get_weights()
    for name, weight in (("kernel", kernel), ("recurrent_kernel", recurrent_kernel), ("bias", bias)):
        events = train.Histograms(f"lstm/{name}/histogram")
        assert [e.step for e in events] == [0, 2]
        last = events[-1].histogram_value
        assert last.num == weight.size
        assert last.min == pytest.approx(weight.min(), abs=1e-6)
        assert last.max == pytest.approx(weight.max(), abs=1e-6)
        assert last.sum == pytest.approx(weight.astype(np.float64).sum(), abs=1e-5)
    # Keras's pictures: a (2, 16) kernel keeps its longer side across, a bias is one column
    (first, last) = train.Images("lstm/kernel/image")
    assert (first.step, last.step, last.height, last.width) == (0, 2, 2, 16)
    bias_image = train.Images("lstm/bias/image")[-1]
    assert (bias_image.height, bias_image.width) == (16, 1)


def test_gate_traces_are_images_of_plot_gates(tmp_path):
    x, _ = _data()
    model = _model()
    _fit(model, [TensorBoard(tmp_path, trace_data=x[:2], trace_freq=2)], epochs=3)
    events = _read(tmp_path / "train").Images("lstm/gates")
    assert [e.step for e in events] == [0, 2]
    written = matplotlib.image.imread(io.BytesIO(events[-1].encoded_image_string), format="png")
    # the same drawing, made here from the trained model: the first sample's gates and states
    expected = tensorboard_module._figure_pixels(
        seqlab.inspect.plot_gates(seqlab.inspect.trace(model, x[:2])["lstm"]))
    assert written.shape[:2] == expected.shape[:2]
    np.testing.assert_array_equal(np.round(written[..., :3] * 255).astype(np.uint8), expected)


def test_batch_scalars_every_update_freq_batches(tmp_path):
    seen = []
    recorder = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model = _model()
    _fit(model, [TensorBoard(tmp_path, update_freq=3), recorder], epochs=2)
    events = _read(tmp_path / "train").Scalars("batch_loss")
    # 4 batches an epoch, 8 in all, counted from 1 across epochs as Keras does: batches 3 and 6
    assert [e.step for e in events] == [3, 6]
    np.testing.assert_allclose([e.value for e in events], [seen[2], seen[5]], rtol=1e-6)


def test_batch_hooks_only_when_batch_scalars_are_asked_for():
    # the loop pays a device sync per batch for a callback with batch hooks
    assert not CallbackList([TensorBoard()]).batch_hooks["train"]
    assert CallbackList([TensorBoard(update_freq="batch")]).batch_hooks["train"]


def test_steps_per_second_is_written(tmp_path):
    _fit(_model(), [TensorBoard(tmp_path, write_steps_per_second=True)], epochs=1)
    (event,) = _read(tmp_path / "train").Scalars("epoch_steps_per_second")
    assert event.value > 0


def test_unsupported_keras_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match=r"`profile_batch` is not supported by seqlab \(got \(2, 4\), expected 0\)"):
        TensorBoard(profile_batch=(2, 4))
    with pytest.raises(ValueError, match=r"`embeddings_freq` .*\(got 1, .*; `embeddings_metadata` .*\(got 'meta.tsv'"):
        TensorBoard(embeddings_freq=1, embeddings_metadata="meta.tsv")
    TensorBoard(profile_batch=0, embeddings_freq=0, embeddings_metadata=None)  # Keras's "off" values


@pytest.mark.parametrize("kwargs, error, message", [
    ({"histogram_freq": -1}, ValueError, "`histogram_freq` must be a non-negative integer, got -1"),
    ({"write_graph": "yes"}, TypeError, "`write_graph` must be True or False, got 'yes'"),
    ({"update_freq": "step"}, ValueError, "`update_freq` must be 'epoch', 'batch' or a positive integer"),
    ({"update_freq": 0}, ValueError, "`update_freq` must be 'epoch', 'batch' or a positive integer .*got 0"),
    ({"write_images": True}, ValueError, "`write_images=True` draws the weights at the epochs of `histogram_freq`"),
    ({"trace_freq": 5}, ValueError, "`trace_freq=5` needs `trace_data`"),
    ({"trace_data": "x_val"}, TypeError, "`trace_data` must be an array or tensor of inputs, got 'x_val'"),
    ({"log_dir": 3}, TypeError, "`log_dir` must be a folder path, got 3"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        TensorBoard(**kwargs)


def test_a_model_without_recurrent_layers_cannot_be_traced(tmp_path):
    model = seqlab.Sequential([seqlab.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="has no recurrent layers"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0,
                  callbacks=[TensorBoard(tmp_path, trace_data=np.ones((1, 3)))])


def test_missing_tensorboard_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # what an absent package looks like to find_spec
    with pytest.raises(ImportError, match=r"pip install 'seqlab\[tensorboard\]'"):
        TensorBoard()


def test_repr_shows_only_what_differs_and_the_docstring_runs():
    assert repr(TensorBoard("runs/tb", histogram_freq=2, trace_data=np.zeros((2, 6, 2)))) == (
        "TensorBoard(log_dir='runs/tb', histogram_freq=2, trace_data=ndarray of shape (2, 6, 2))")
    result = doctest.testmod(tensorboard_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
