"""Keras's ``timeseries_dataset_from_array``: batches of sliding windows over an array.

Keras's rule (``keras/src/utils/timeseries_dataset_utils.py``), kept exactly: with
``start_index`` ``a`` and ``end_index`` ``b`` (default ``0`` and ``len(data)``), window ``i`` starts
at ``p_i = i * sequence_stride`` for every ``p_i < n`` where::

    n = b - a - (sequence_length - 1) * sampling_rate      (and at most len(targets))

it reads rows ``a + p_i, a + p_i + sampling_rate, ...`` (``sequence_length`` of them), and its
target is ``targets[a + p_i]``: the target of a window is the entry of ``targets`` at the
window's *first* row, so ``targets = data[sequence_length:]`` pairs a window with the step
after it. :class:`seqlab.data.WindowSpec` is not reused: its windows are contiguous (no
``sampling_rate``) and its targets are rows after the window's end in the same series, while
Keras's targets are a separate array indexed by the window's start.
"""
from __future__ import annotations

import numpy as np

from seqlab.checks import check_bool, check_int
from seqlab.errors import describe
from seqlab.utils.batching import batch_count, draw_seed, pass_order

_WHERE = "timeseries_dataset_from_array"


class TimeseriesDataset:
    """The batches of windows: re-iterable (one pass per epoch) with ``len()``, so ``fit`` takes
    it directly. Each batch is ``(x, y)`` NumPy arrays, or ``x`` alone without targets."""

    def __init__(self, data, targets, starts: np.ndarray, offsets: np.ndarray, batch_size, shuffle, seed):
        self.data, self.targets = data, targets
        self.starts = starts        # (windows,) absolute first row of each window
        self.offsets = offsets      # (sequence_length,) rows read, relative to the first
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self._passes = 0

    def start_at_epoch(self, epoch: int) -> None:
        """Called by a fit resumed at ``epoch`` from a model file: a dataset not yet iterated
        starts at the pass an uninterrupted fit would have reached, so its orders repeat
        (see :mod:`seqlab.training.rng_state`)."""
        if self._passes == 0:
            self._passes = epoch

    def __len__(self) -> int:
        return batch_count(len(self.starts), self.batch_size)

    @property
    def num_windows(self) -> int:
        return len(self.starts)

    def __iter__(self):
        starts = pass_order(self.starts, self.shuffle, self.seed, self._passes)
        self._passes += 1
        step = self.batch_size or 1
        for begin in range(0, len(starts), step):
            chosen = starts[begin:begin + step]
            x = self.data[chosen[:, None] + self.offsets]  # (batch, sequence_length, ...)
            y = None if self.targets is None else self.targets[chosen]
            if self.batch_size is None:
                x, y = x[0], None if y is None else y[0]
            yield x if y is None else (x, y)

    def __repr__(self) -> str:
        return (f"TimeseriesDataset(windows={len(self.starts)}, batches={len(self)}, "
                f"sequence_length={len(self.offsets)}, targets={self.targets is not None})")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Batches of sliding windows over ``data`` (axis 0 is time), as Keras builds them.

    Args:
        data: array of consecutive timesteps, ``(steps, ...)``.
        targets: ``targets[i]`` is the target of the window starting at row ``i``; None for
            batches of inputs alone.
        sequence_length: timesteps per window.
        sequence_stride: rows between the starts of consecutive windows.
        sampling_rate: rows between consecutive timesteps inside a window.
        batch_size: windows per batch (the last may be smaller); None yields single windows.
        shuffle: draw the windows in a random order instead of in time order.
        seed: the seed of that order (drawn at random when None, as Keras).
        start_index, end_index: rows before ``start_index`` and from ``end_index`` on are not used.

    Returns:
        A :class:`TimeseriesDataset`: iterate it for ``(x, y)`` batches with ``x`` of shape
        ``(batch, sequence_length, ...)``; ``len()`` is the number of batches.

    Keras's first documented example (indices 0..98, sequence_length=10, sampling_rate=2,
    sequence_stride=3):

    >>> ds = timeseries_dataset_from_array(np.arange(99), None, 10, sequence_stride=3, sampling_rate=2)
    >>> windows = np.concatenate(list(ds))
    >>> windows[0].tolist(), windows[1].tolist(), windows[-1].tolist()
    ([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], [3, 5, 7, 9, 11, 13, 15, 17, 19, 21], [78, 80, 82, 84, 86, 88, 90, 92, 94, 96])
    """
    data = _as_array(data, "data")
    n_rows = len(data)
    sequence_length = check_int(_WHERE, "sequence_length", sequence_length)
    sequence_stride = check_int(_WHERE, "sequence_stride", sequence_stride)
    sampling_rate = check_int(_WHERE, "sampling_rate", sampling_rate)
    if batch_size is not None:
        batch_size = check_int(_WHERE, "batch_size", batch_size)
    shuffle = check_bool(_WHERE, "shuffle", shuffle)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value >= n_rows:
            raise ValueError(f"{_WHERE}: `{name}` must be lower than the length of the data ({n_rows}), "
                             f"got {name}={value}")
    start = 0 if start_index is None else check_int(_WHERE, "start_index", start_index, minimum=0)
    end = n_rows if end_index is None else check_int(_WHERE, "end_index", end_index)
    if start >= n_rows:
        raise ValueError(f"{_WHERE}: `start_index` must be lower than the length of the data ({n_rows}), "
                         f"got start_index={start}")
    if end_index is not None and end >= n_rows:
        # Keras refuses end_index == len(data) too (leave it out to use every row).
        raise ValueError(f"{_WHERE}: `end_index` must be lower than the length of the data ({n_rows}), "
                         f"got end_index={end}; leave it out to use the data to its end")
    if end <= start:
        raise ValueError(f"{_WHERE}: `end_index` must be higher than `start_index`, got "
                         f"start_index={start}, end_index={end}")
    if targets is not None:
        targets = _as_array(targets, "targets")
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets) - start)
    if count <= 0:
        span = (sequence_length - 1) * sampling_rate + 1
        raise ValueError(f"{_WHERE}: a window of sequence_length={sequence_length} at sampling_rate="
                         f"{sampling_rate} spans {span} rows, but rows {start}..{end - 1} hold only "
                         f"{end - start}{' (or targets run out)' if targets is not None else ''}: no window fits")
    starts = start + np.arange(0, count, sequence_stride)
    offsets = np.arange(sequence_length) * sampling_rate
    if seed is None:
        seed = draw_seed()
    else:
        seed = check_int(_WHERE, "seed", seed, minimum=0)
    return TimeseriesDataset(data, targets, starts, offsets, batch_size, shuffle, seed)


def _as_array(value, name: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    try:
        array = np.asarray(value)
    except ValueError:
        array = None
    if array is None or array.ndim == 0 or array.dtype == object:
        raise TypeError(f"{_WHERE}: `{name}` must be an array of timesteps (axis 0 is time), "
                        f"got {describe(value)}")
    if len(array) == 0:
        raise ValueError(f"{_WHERE}: `{name}` is empty; it needs at least one timestep")
    return array
