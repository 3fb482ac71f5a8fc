"""Convolution and pooling layers with Keras's names, defaults and channels-last shapes.

- :mod:`.arithmetic`: the output-size formula ``W2 = (W1 - F + 2P)/S + 1`` and padding rules.
- :mod:`.spatial`: channel-axis handling and input checks shared by all of them.
- :mod:`.conv`: ``Conv1D``, ``Conv2D`` (one N-d implementation).
- :mod:`.separable`: ``SeparableConv1D`` (depthwise then pointwise).
- :mod:`.transpose`: ``Conv1DTranspose``.
- :mod:`.pooling`: ``MaxPooling1D/2D``, ``AveragePooling1D/2D``.
- :mod:`.global_pooling`: ``GlobalMaxPooling1D/2D``, ``GlobalAveragePooling1D/2D``.
"""
from seqlab.layers.convolutional.conv import Conv1D, Conv2D, Convolution1D, Convolution2D
from seqlab.layers.convolutional.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)
from seqlab.layers.convolutional.separable import SeparableConv1D, SeparableConvolution1D
from seqlab.layers.convolutional.transpose import Conv1DTranspose, Convolution1DTranspose
from seqlab.layers.convolutional.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)

__all__ = [
    "Conv1D", "Conv2D", "Convolution1D", "Convolution2D",
    "SeparableConv1D", "SeparableConvolution1D", "Conv1DTranspose", "Convolution1DTranspose",
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
]
