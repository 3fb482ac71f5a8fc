"""Turn what users pass to ``fit``/``evaluate``/``predict`` into checked tensors.

Accepted: NumPy arrays, (nested) lists, pandas DataFrames/Series, torch tensors. Every check
names the argument it is about (``x``, ``y``, ``validation_data``...) and what was received, so
a wrong input fails before any training starts instead of deep inside a layer.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.checks import format_shape
from seqlab.errors import describe

_AXES = {
    2: "(batch, features)",
    3: "(batch, timesteps, features)",
    4: "(batch, height, width, channels)",
}


def as_array(value, name: str, where: str):
    """``value`` as a NumPy array or a torch tensor (tensors are kept as they are)."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if hasattr(value, "to_numpy") and callable(value.to_numpy):  # pandas DataFrame / Series
        value = value.to_numpy()
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError:
            raise ValueError(
                f"{where}: `{name}` is a ragged list (its rows have different lengths); pad the "
                "sequences to one length first, e.g. with seqlab.data.pad_sequences"
            ) from None
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{where}: `{name}` must be a NumPy array, list, pandas object or torch tensor, "
            f"got {describe(value)}"
        )
    return value


def _check_numeric(array, name: str, where: str) -> None:
    if isinstance(array, torch.Tensor):
        if array.dtype.is_complex:
            raise TypeError(f"{where}: `{name}` must hold real numbers, got a tensor of dtype {array.dtype}")
        return
    kind = array.dtype.kind
    if kind in "biuf":
        return
    example = array.ravel()[:3].tolist() if array.size else []
    if kind == "O" and array.size:
        # An object array of ragged rows is the usual cause: say so.
        first = array.ravel()[0]
        if isinstance(first, (list, tuple, np.ndarray)):
            raise ValueError(
                f"{where}: `{name}` holds sequences of different lengths (an object array of "
                f"shape {array.shape}); pad them to one length first, e.g. with "
                "seqlab.data.pad_sequences"
            )
    raise TypeError(
        f"{where}: `{name}` must hold numbers, got an array of dtype {array.dtype} "
        f"(values such as {example}); encode text or categories as numbers first"
    )


def to_tensor(value, name: str, where: str, dtype: torch.dtype, device, finite: bool = True) -> torch.Tensor:
    """Convert, check dtype (and NaN/inf), cast to ``dtype`` on ``device`` (one copy at most)."""
    array = as_array(value, name, where)
    _check_numeric(array, name, where)
    if finite:
        check_finite(array, name, where)
    if isinstance(array, np.ndarray):
        if array.dtype.kind == "b" or not array.flags.writeable:
            # torch cannot wrap read-only memory (pandas often hands it out): copy once.
            array = array.astype(np.float32 if array.dtype.kind == "b" else array.dtype)
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    else:
        tensor = array
    if tensor.ndim == 0:
        raise ValueError(f"{where}: `{name}` must have a batch axis, got a scalar")
    return tensor.to(device=device, dtype=dtype, non_blocking=True)


def check_finite(values, name: str, where: str) -> None:
    """Raise with the count and first position of NaN/inf values (one reduction if all finite).

    ``values`` is a NumPy array or a tensor; NumPy is checked with NumPy, which costs a few
    microseconds on small arrays where ``torch.isfinite`` costs tens.
    """
    if isinstance(values, np.ndarray):
        if values.dtype.kind != "f" or bool(np.isfinite(values).all()):
            return
        values = torch.from_numpy(values.copy())  # only to report; a read-only array cannot be wrapped
    elif not values.is_floating_point() or bool(torch.isfinite(values).all()):
        return
    for label, bad in (("NaN", torch.isnan(values)), ("infinite", torch.isinf(values))):
        count = int(bad.sum())
        if count:
            first = tuple(int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"{where}: `{name}` contains {count} {label} value{'s' if count > 1 else ''} "
                f"(first at index {first}); clean or impute the data first (seqlab.data.fill_interpolate, "
                "fill_constant and fill_seasonal impute a series and record where)"
            )


def check_same_length(named: list, where: str) -> int:
    """All leaves share the batch axis: 'x has 100 samples but y has 99', "x['price'] has 99
    samples but x['day'] has 100". ``named`` is ``[(name, tensor), ...]``, the first the reference."""
    first_name, first = named[0]
    if first.shape[0] == 0:
        raise ValueError(f"{where}: {first_name} has no samples")
    for name, array in named[1:]:
        if array.shape[0] != first.shape[0]:
            raise ValueError(
                f"{where}: {first_name} has {first.shape[0]} samples but {name} has "
                f"{array.shape[0]}; they must have one entry per sample"
            )
    return int(first.shape[0])


def check_input_shape(model, expected, shape: tuple, name: str, where: str) -> None:
    """Compare a data shape with the model's input shape ``expected`` (``None`` = any size)."""
    if expected is None:
        return
    expected = tuple(expected)
    ok = len(shape) == len(expected) and all(
        want is None or want == got for want, got in zip(expected[1:], shape[1:])
    )
    if ok:
        return
    axes = _AXES.get(len(expected), "")
    raise ValueError(
        f"{where}: model '{model.name}' expects {len(expected)}-D input {axes} of shape "
        f"{format_shape(expected)}, got `{name}` of shape {tuple(shape)}{_shape_hint(expected, tuple(shape), name)}"
    )


def _shape_hint(expected: tuple, shape: tuple, name: str) -> str:
    """What to change: the notes' reshape for a 2-D series, or the one axis that differs."""
    if len(expected) == 3 and len(shape) == 2 and expected[2] == 1 and expected[1] in (None, shape[1]):
        return (f". A 2-D `{name}` holds one feature per timestep: reshape it with "
                f"{name} = {name}.reshape(({name}.shape[0], {name}.shape[1], 1))")
    if len(expected) != len(shape) or len(expected) not in _AXES:
        return ""
    names = _AXES[len(expected)].strip("()").split(", ")
    wrong = [f"{axis} {got} where the model takes {want}"
             for axis, want, got in zip(names[1:], expected[1:], shape[1:]) if want is not None and want != got]
    return ": " + "; ".join(wrong) if wrong else ""
