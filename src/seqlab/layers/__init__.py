"""seqlab's layers, with Keras's names and defaults."""
from seqlab.layers.base import Layer, deserialize, get_class, registered, serialize
from seqlab.layers.convolutional import *  # noqa: F401,F403  Conv1D/2D, pooling
from seqlab.layers.core import Activation, Dense
from seqlab.layers.input_layer import Input, InputLayer
from seqlab.layers.recurrent import *  # noqa: F401,F403  SimpleRNN, LSTM, GRU, wrappers, masking
from seqlab.layers.regularization import Dropout
from seqlab.layers.reshaping import Flatten, Reshape
