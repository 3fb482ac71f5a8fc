"""Keras's ``TensorBoard`` callback, writing real event files with torch's ``SummaryWriter``
(the ``tensorboard`` package: ``pip install 'seqlab[tensorboard]'``).

The layout is Keras's, so ``tensorboard --logdir logs`` shows what a Keras user expects: two runs,
``log_dir/train`` and ``log_dir/validation``; every epoch the scalars ``epoch_loss``,
``epoch_<metric>`` and ``epoch_learning_rate`` in ``train`` and the ``val_`` values, without their
prefix, in ``validation`` (so one chart holds both curves); after each validation pass
``evaluation_<name>_vs_iterations`` at the optimizer's step count. ``update_freq`` adds
``batch_<name>`` scalars every so many batches. ``histogram_freq`` writes each layer's weights
(``<layer>/<weight>/histogram``, Keras's layout of the weight) and, with ``write_images``, the
weights as images. What seqlab adds: the gates, cell and hidden states of every recurrent layer
over a fixed batch (``trace_data``), drawn by :func:`seqlab.inspect.plot_gates`, as the image
``<layer>/gates`` every ``trace_freq`` epochs, to watch gates saturate as training goes.
"""
from __future__ import annotations

import importlib.util
import os
import time

import numpy as np
import torch

from seqlab.checks import check_bool, check_int
from seqlab.errors import describe
from seqlab.training.callbacks import Callback

INSTALL_HINT = "pip install 'seqlab[tensorboard]' (or pip install tensorboard)"

# Keras arguments seqlab does not implement, with the value that means "off" in Keras.
UNSUPPORTED = {
    "profile_batch": (0, "profile with torch.profiler and its TensorBoard trace handler instead"),
    "embeddings_freq": (0, "the embedding projector reads TensorFlow checkpoints"),
    "embeddings_metadata": (None, "the embedding projector reads TensorFlow checkpoints"),
}


class TensorBoard(Callback):
    """Write training curves, weight histograms and gate traces for TensorBoard.

    Args:
        log_dir: the folder of the event files (``train/`` and ``validation/`` inside it).
        histogram_freq: every how many epochs (epoch 0 first) to write the weights' histograms;
            0 writes none.
        write_graph: write the model's layer table (``model.summary()``) as the text
            ``model_summary``. TensorBoard's Graphs tab shows TensorFlow graphs only, so it stays
            empty, as it does for Keras 3 on torch.
        write_images: also write each weight as an image (min-max scaled to grey levels) at the
            histogram epochs, as Keras does; needs ``histogram_freq >= 1``.
        write_steps_per_second: add ``epoch_steps_per_second`` (and ``batch_steps_per_second``
            with a batch ``update_freq``).
        update_freq: ``'epoch'``, ``'batch'`` (= 1) or an integer N: also write ``batch_<name>``
            every N training batches (each costs a host synchronisation).
        profile_batch, embeddings_freq, embeddings_metadata: Keras's, not supported: a value
            other than the default is an error.
        trace_freq: every how many epochs (epoch 0 first) to draw the gate traces; needs
            ``trace_data``.
        trace_data: a fixed small batch of inputs, e.g. ``x_val[:4]``, whose first sample's gate
            traces are drawn (the model must hold a SimpleRNN, LSTM or GRU); None draws none.

    >>> callback = TensorBoard(log_dir="logs", histogram_freq=1)
    >>> TensorBoard(profile_batch=5)
    Traceback (most recent call last):
    ...
    ValueError: TensorBoard: `profile_batch` is not supported by seqlab (got 5, expected 0): profile with torch.profiler and its TensorBoard trace handler instead
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None, trace_freq=1, trace_data=None):
        super().__init__()
        owner = "TensorBoard"
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"{owner}: `log_dir` must be a folder path, got {describe(log_dir)}")
        given = {"profile_batch": profile_batch, "embeddings_freq": embeddings_freq,
                 "embeddings_metadata": embeddings_metadata}
        refused = [f"`{name}` is not supported by seqlab (got {describe(value)}, expected "
                   f"{UNSUPPORTED[name][0]!r}): {UNSUPPORTED[name][1]}"
                   for name, value in given.items() if not _is_default(value, UNSUPPORTED[name][0])]
        if refused:
            raise ValueError(f"{owner}: " + "; ".join(refused))
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = check_int(owner, "histogram_freq", histogram_freq, minimum=0)
        self.write_graph = check_bool(owner, "write_graph", write_graph)
        self.write_images = check_bool(owner, "write_images", write_images)
        self.write_steps_per_second = check_bool(owner, "write_steps_per_second", write_steps_per_second)
        if self.write_images and not self.histogram_freq:
            raise ValueError(f"{owner}: `write_images=True` draws the weights at the epochs of "
                             "`histogram_freq`, which is 0; set histogram_freq >= 1")
        self.update_freq = _check_update_freq(update_freq)
        self.trace_freq = check_int(owner, "trace_freq", trace_freq)
        if trace_data is None and self.trace_freq != 1:
            raise ValueError(f"{owner}: `trace_freq={trace_freq}` needs `trace_data`, the inputs whose "
                             "gates are drawn (e.g. trace_data=x_val[:4])")
        if trace_data is not None and not (torch.is_tensor(trace_data) or isinstance(trace_data, (np.ndarray, list, tuple, dict))):
            raise TypeError(f"{owner}: `trace_data` must be an array or tensor of inputs, got {describe(trace_data)}")
        self.trace_data = trace_data
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError(f"{owner} writes event files with the tensorboard package, which is not "
                              f"installed: {INSTALL_HINT}")
        if self.update_freq != "epoch":
            # Batch hooks are only installed when wanted: the loop syncs the device every batch
            # for a callback that has them (seqlab.training.callbacks.overrides).
            self.on_train_batch_begin = self._batch_begin
            self.on_train_batch_end = self._batch_end
        self._writers: dict = {}
        self._global_batch = 0
        self._summary_written = False

    # ---- writers ----------------------------------------------------------------------
    def _writer(self, run: str):
        """The ``SummaryWriter`` of ``log_dir/<run>``, opened when first written to."""
        if run not in self._writers:
            try:
                # Lazy: tensorboard is an optional extra, and its writer takes ~1 s to import.
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as error:
                raise ImportError(f"TensorBoard needs the tensorboard package ({error}): {INSTALL_HINT}") from None
            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ---- hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if isinstance(learning_rate, (int, float)) and "learning_rate" not in train:
            train["learning_rate"] = float(learning_rate)
        if self.write_steps_per_second:
            train["steps_per_second"] = self.params.get("steps", 0) / max(time.perf_counter() - self._epoch_started, 1e-9)
        for name, value in train.items():
            self._writer("train").add_scalar(f"epoch_{name}", value, epoch)
        for name, value in logs.items():
            if name.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{name[4:]}", value, epoch)
        if self.write_graph and not self._summary_written:
            # Four spaces make the table a code block in the Text tab's Markdown.
            table = self.model.summary(print_fn=None)
            self._writer("train").add_text("model_summary", "\n".join("    " + line for line in table.splitlines()), 0)
            self._summary_written = True
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.trace_data is not None and epoch % self.trace_freq == 0:
            self._write_traces(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if not logs or not isinstance(iterations, int):
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        writer.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _batch_begin(self, batch, logs=None):
        self._global_batch += 1
        self._batch_started = time.perf_counter()

    def _batch_end(self, batch, logs=None):
        if self._global_batch % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", value, self._global_batch)
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._batch_started, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / seconds, self._global_batch)

    # ---- what is drawn ----------------------------------------------------------------
    def _write_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for tag, weight in _named_weights(self.model):
            values = weight.detach().float().cpu()
            writer.add_histogram(f"{tag}/histogram", values, epoch)
            if self.write_images:
                image = _weight_image(values.numpy())
                if image is not None:
                    writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")

    def _write_traces(self, epoch: int) -> None:
        # Lazy: seqlab.inspect loads matplotlib (~1 s); only a callback given trace_data needs it.
        from seqlab.inspect.plots import plot_gates
        # Lazy: as above (seqlab.inspect's package loads its figures).
        from seqlab.inspect.trace import trace

        writer = self._writer("train")
        for layer, result in trace(self.model, self.trace_data).items():
            parts = result.items() if isinstance(result, dict) else [(None, result)]  # Bidirectional
            for direction, layer_trace in parts:
                tag = f"{layer}/gates" if direction is None else f"{layer}/{direction}/gates"
                writer.add_image(tag, _figure_pixels(plot_gates(layer_trace)), epoch, dataformats="HWC")

    def get_config(self) -> dict:
        return {"log_dir": self.log_dir, "histogram_freq": self.histogram_freq, "write_graph": self.write_graph,
                "write_images": self.write_images, "write_steps_per_second": self.write_steps_per_second,
                "update_freq": self.update_freq, "trace_freq": self.trace_freq, "trace_data": self.trace_data}

    def __repr__(self) -> str:
        defaults = {"log_dir": "logs", "histogram_freq": 0, "write_graph": True, "write_images": False,
                    "write_steps_per_second": False, "update_freq": "epoch", "trace_freq": 1, "trace_data": None}
        shown = [f"{key}={describe(value) if key == 'trace_data' else repr(value)}"
                 for key, value in self.get_config().items() if not _is_default(value, defaults[key])]
        return f"TensorBoard({', '.join(shown)})"


def _is_default(value, default) -> bool:
    return value is None if default is None else (not isinstance(value, (np.ndarray, torch.Tensor)) and value == default)


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return update_freq
    if isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1:
        raise ValueError(f"TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer "
                         f"(batches), got {describe(update_freq)}")
    return update_freq


def _named_weights(model):
    """``(layer/weight, tensor)`` for every weight, in Keras's layout and order; a model held
    inside the model gives its own layers' weights."""
    for layer in model.layers:
        if hasattr(layer, "weight_names"):
            for name in layer.weight_names():
                yield f"{layer.name}/{name}", layer.keras_weight(name)
        else:
            yield from _named_weights(layer)


def _weight_image(values: np.ndarray):
    """Keras's picture of a weight, ``(N, H, W, 1)`` in [0, 1]: a bias as one column, a matrix
    with its longer side across, a kernel of three axes as one image per output channel; None
    for other ranks."""
    values = np.squeeze(values)
    if values.ndim == 1:
        values = values[None, :, None]
    elif values.ndim == 2:
        values = (values.T if values.shape[0] > values.shape[1] else values)[None]
    elif values.ndim == 3:  # (kernel, in, out): one image per output channel
        values = np.transpose(values, (2, 0, 1))
    else:
        return None
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    return scaled[..., None].astype(np.float32)


def _figure_pixels(figure) -> np.ndarray:
    """A matplotlib Figure drawn off screen, as ``(H, W, 3)`` uint8 pixels."""
    # Lazy: the Agg canvas (matplotlib) is only needed where a figure is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
