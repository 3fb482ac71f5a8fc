"""seqlab's layers, with Keras's names and defaults."""
from seqlab.layers.base import Layer
from seqlab.layers.convolutional import *  # noqa: F401,F403  Conv1D/2D, pooling
from seqlab.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from seqlab.layers.core import Activation, Dense
from seqlab.layers.input_layer import Input, InputLayer
from seqlab.layers.recurrent import *  # noqa: F401,F403  SimpleRNN, LSTM, GRU, wrappers, masking
from seqlab.layers.regularization import Dropout
from seqlab.layers.reshaping import Flatten, Reshape
# Keras 3's `keras.layers.serialize(layer)` / `deserialize(config)`; `get('LSTM')` is the class.
from seqlab.layers.registry import deserialize, get_class, registered, serialize
from seqlab.layers.registry import get_class as get
from seqlab.layers.preprocessing import *  # noqa: F401,F403  TextVectorization, lookups, Normalization...
from seqlab.layers.merging import *  # noqa: F401,F403  Add, Subtract, Multiply, Average, Maximum, Minimum
from seqlab.layers.axis_merging import Concatenate, Dot
from seqlab.layers.merge_functions import *  # noqa: F401,F403  add(), concatenate(), dot()...
from seqlab.layers.reshaping import Cropping1D, Permute, RepeatVector, UpSampling1D, ZeroPadding1D
from seqlab.layers.lambda_layer import Lambda, UnregisteredFunctionError
from seqlab.layers.serializable import get_registered_name, get_registered_object, register_keras_serializable
from seqlab.layers.normalization import BatchNormalization, GroupNormalization, LayerNormalization, UnitNormalization
from seqlab.layers.noise import ActivityRegularization, GaussianDropout, GaussianNoise, SpatialDropout1D
from seqlab.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
