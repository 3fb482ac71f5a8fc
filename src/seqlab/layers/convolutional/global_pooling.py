"""Global pooling: the maximum or mean over every step (or pixel), one value per channel."""
from __future__ import annotations

from seqlab.checks import check_bool
from seqlab.layers.base import Layer
from seqlab.layers.convolutional import spatial


class BaseGlobalPooling(Layer):
    """Reduce all spatial axes by ``mode`` ('max' or 'average'); no weights."""

    def __init__(self, rank, mode, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.rank, self.mode = rank, mode
        self.input_ndim = rank + 2  # (batch, *spatial, channels)
        self.data_format = spatial.normalize_data_format(type(self).__name__, data_format)
        self.keepdims = check_bool(type(self).__name__, "keepdims", keepdims)

    def _axes(self) -> tuple[int, ...]:
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def rank_error(self, shape):
        return spatial.rank_error(self, shape, self.rank, self.data_format)

    def validate_input_shape(self, input_shape):
        if any(size == 0 for size in spatial.spatial_axes(input_shape, self.data_format)):
            raise ValueError(f"layer '{self.name}' cannot pool an empty input of shape {input_shape}")

    def check_built_sizes(self, shape):
        """No weights: any spatial size and channel count will do, only the rank is fixed."""

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))
        return tuple(size for axis, size in enumerate(input_shape) if axis not in axes)

    def call(self, inputs, training=False, mask=None):
        axes = self._axes()
        if self.mode == "max":
            return inputs.amax(dim=axes, keepdim=self.keepdims)
        return inputs.mean(dim=axes, keepdim=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}

    def __repr__(self):
        return spatial.settings_repr(self, {}, {"data_format": "channels_last", "keepdims": False})


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Maximum over all steps.

    Input shape: ``(N, steps, channels)``. Output shape: ``(N, channels)``
    (``(N, 1, channels)`` with ``keepdims=True``).

    >>> import torch, seqlab
    >>> seqlab.layers.GlobalMaxPooling1D()(torch.tensor([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
    [[3.0, 5.0]]
    """

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(1, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over all steps; with a mask (e.g. after ``Embedding(mask_zero=True)``), over the
    unmasked steps only, as in Keras.

    Input shape: ``(N, steps, channels)``, mask ``(N, steps)``. Output shape: ``(N, channels)``.

    >>> import torch, seqlab
    >>> seqlab.layers.GlobalAveragePooling1D()(torch.tensor([[[1.0, 5.0], [3.0, 2.0]]])).tolist()
    [[2.0, 3.5]]
    """

    supports_masking = True

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(1, "average", data_format, keepdims, **kwargs)

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            return super().call(inputs, training)
        axis = self._axes()[0]
        weights = mask.to(device=inputs.device, dtype=inputs.dtype).unsqueeze(-1 if axis == 1 else 1)  # (N, steps, 1)
        total = (inputs * weights).sum(dim=axis, keepdim=self.keepdims)
        # A sample whose steps are all masked averages nothing: 0, not 0/0.
        return total / weights.sum(dim=axis, keepdim=self.keepdims).clamp_min(1.0)

    def compute_mask(self, inputs, mask):
        return None  # the steps are gone


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Maximum over all pixels.

    Input shape: ``(N, height, width, channels)``. Output shape: ``(N, channels)``.

    >>> import torch, seqlab
    >>> seqlab.layers.GlobalMaxPooling2D()(torch.zeros(2, 5, 5, 3)).shape
    torch.Size([2, 3])
    """

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(2, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over all pixels. Input ``(N, height, width, channels)``, output ``(N, channels)``.

    >>> import torch, seqlab
    >>> seqlab.layers.GlobalAveragePooling2D(keepdims=True)(torch.ones(2, 5, 5, 3)).shape
    torch.Size([2, 1, 1, 3])
    """

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        super().__init__(2, "average", data_format, keepdims, **kwargs)


# Keras's aliases.
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
