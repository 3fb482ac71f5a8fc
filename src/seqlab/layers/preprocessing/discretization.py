"""``Discretization``: values to the index of their bin, bins given or learned as quantiles.

Bins, as Keras: ``bin_boundaries=[0., 1., 2.]`` makes ``(-inf, 0)``, ``[0, 1)``, ``[1, 2)``,
``[2, inf)``. ``adapt`` estimates ``num_bins`` quantiles with Keras's own approximate method
(``keras/src/layers/preprocessing/discretization.py``), reimplemented here step for step so the
boundaries are the ones Keras learns: each batch is sorted and summarised by about
``1 / epsilon`` of its values (each weighing the values it stands for), summaries of
successive batches are merged and compressed back to ``1 / epsilon`` points by linear
interpolation of their cumulative weights, and the boundaries are the ``1/num_bins, 2/num_bins,
...`` points of the final summary, interpolated the same way. How exact: on one batch of fewer
than ``1 / epsilon`` values every value is kept, and the boundaries are interpolated quantiles
of the data; beyond, a boundary's rank is off by about ``epsilon`` of the data (a quantile
within ``epsilon``), plus the interpolation between neighbouring points. In float32, as Keras.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe
from seqlab.layers.preprocessing import encoding
from seqlab.layers.preprocessing.base import PreprocessingLayer, adapt_batches


class Discretization(PreprocessingLayer):
    """Buckets continuous values into ranges.

    Args:
        bin_boundaries: sorted boundaries (``adapt`` is then not needed).
        num_bins: the number of bins ``adapt`` learns.
        epsilon: the quantile error tolerance of ``adapt`` (see the module's notes).
        output_mode: ``"int"`` (bin indices), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: must be False.

    Input shape:
        Any shape ``(batch, ...)``.

    Output shape:
        ``int``: the input's shape (int64); the other modes as :class:`CategoryEncoding`, with
        ``len(bin_boundaries) + 1`` columns.

    Keras's docstring examples, same answers:

    >>> x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    >>> Discretization(bin_boundaries=[0., 1., 2.])(x).tolist()
    [[0, 2, 3, 1], [1, 3, 2, 1]]
    >>> layer = Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(x)
    >>> layer(x).tolist()
    [[0, 2, 3, 2], [1, 3, 3, 1]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if num_bins is not None:
            num_bins = check_int(owner, "num_bins", num_bins)
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in np.asarray(bin_boundaries, dtype=np.float64).reshape(-1)]
            if any(b > a for b, a in zip(bin_boundaries, bin_boundaries[1:])):
                raise ValueError(f"{owner}: `bin_boundaries` must be sorted ascending, got {bin_boundaries}")
            # An adapted layer's config holds both; they must agree (Keras's from_config).
            if num_bins is not None and len(bin_boundaries) != num_bins - 1:
                raise ValueError(f"{owner}: give `bin_boundaries` or `num_bins`, not both (unless there are "
                                 f"num_bins - 1 boundaries), got num_bins={num_bins} and {len(bin_boundaries)} "
                                 "boundaries")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon < 1:
            raise ValueError(f"{owner}: `epsilon` must be a number in (0, 1), got {describe(epsilon)}")
        self.bin_boundaries, self.num_bins, self.epsilon = bin_boundaries, num_bins, float(epsilon)
        self.output_mode = check_choice(owner, "output_mode", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if check_bool(owner, "sparse", sparse):
            raise ValueError(f"{owner}: `sparse=True` needs TensorFlow's sparse tensors (leave `sparse` out)")
        self.sparse = False

    def adapt(self, data, steps=None) -> None:
        """Learn ``num_bins`` quantile boundaries of ``data`` (see the module's notes)."""
        if self.num_bins is None:
            raise ValueError(f"{self.describe_self()} was made with `bin_boundaries`; adapt learns boundaries "
                             "for a layer made with `num_bins`")
        summary = np.zeros((2, 0), dtype=np.float32)
        for batch in adapt_batches(self, data, "its bin boundaries"):
            batch = np.asarray(batch, dtype=np.float32)
            summary = _compress(_merge(_summarize(batch, self.epsilon), summary), self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].astype(np.float64).tolist()

    def call(self, inputs, training=False, mask=None):
        if self.bin_boundaries is None:
            raise ValueError(f"{self.describe_self()} has no bins yet: pass `bin_boundaries` or call `adapt` "
                             "before using it")
        x = inputs if inputs.is_floating_point() else inputs.to(self.torch_dtype)
        boundaries = torch.as_tensor(self.bin_boundaries, dtype=x.dtype, device=x.device)
        ids = torch.bucketize(x, boundaries, right=True)  # boundaries[i-1] <= x < boundaries[i], as np.digitize
        if self.output_mode == "int":
            return ids
        return encoding.encode(ids, self.output_mode, len(self.bin_boundaries) + 1, self.torch_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoding.encoded_shape(input_shape, self.output_mode, len(self.bin_boundaries or ()) + 1)

    def get_config(self):
        config = super().get_config()
        config.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                       "output_mode": self.output_mode, "sparse": self.sparse})
        return config


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """(2, k): every ``len/(1/epsilon)``-th sorted value, and how many values each stands for."""
    values = np.sort(values.reshape(-1))
    increment = values.size * epsilon
    step = max(increment, 1)
    points = values[int(increment)::int(step)]
    return np.stack([points, np.ones_like(points) * step])


def _merge(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    merged = np.concatenate((new, old), axis=1)
    return np.take(merged, np.argsort(merged[0]), axis=1)


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """The summary at the cumulative-weight fractions ``epsilon, 2 epsilon, ..., 1``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    points = np.interp(fractions, at, summary[0])
    weights = np.diff(np.interp(fractions, at, cumulative), prepend=0.0)
    return np.stack((points, weights)).astype(np.float32)
