"""Bad input gets an error that names what was expected and what was received."""
import numpy as np
import pytest
import torch

from seqlab.layers import GRU, LSTM, Bidirectional, Dense, Embedding, Masking, SimpleRNN, TimeDistributed
from seqlab.models import Sequential


def test_2d_array_error_names_the_shape_and_the_notes_reshape():
    expected = (r"layer 'lstm\w*' \(LSTM\) expects 3-D input \(samples, timesteps, features\), got shape "
                r"\(32, 8\). .*X = X.reshape\(\(X.shape\[0\], X.shape\[1\], 1\)\)")
    with pytest.raises(ValueError, match=expected):
        LSTM(4)(np.zeros((32, 8)))
    model = Sequential([LSTM(4, input_shape=(8, 1)), Dense(1)])
    with pytest.raises(ValueError, match=expected):
        model(torch.zeros(32, 8))
    with pytest.raises(ValueError, match=r"expects 3-D input \(samples, timesteps, features\), got shape \(32, 8\)"):
        Bidirectional(GRU(2))(torch.zeros(32, 8))


def test_feature_count_change_after_build():
    layer = GRU(4)
    layer(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r"built for 3 features on its last axis, got input of shape \(2, 5, 2\)"):
        layer(torch.zeros(2, 5, 2))


@pytest.mark.parametrize("make, error, message", [
    (lambda: LSTM(-3), ValueError, r"LSTM: `units` must be a positive integer, got -3"),
    (lambda: GRU(0), ValueError, r"GRU: `units` must be a positive integer, got 0"),
    (lambda: SimpleRNN(2.5), TypeError, r"SimpleRNN: `units` must be a positive integer, got 2.5"),
    (lambda: LSTM(4, activation="relux"), ValueError, r"LSTM: `activation`: unknown activation 'relux'; expected one of"),
    (lambda: GRU(4, recurrent_activation="sigmoidal"), ValueError, r"GRU: `recurrent_activation`: unknown activation 'sigmoidal'"),
    (lambda: LSTM(4, activation=3), TypeError, r"LSTM: `activation`: activation must be a name or a callable, got int"),
    (lambda: LSTM(4, dropout=1.0), ValueError, r"LSTM: `dropout` must be in \[0, 1\), got 1.0"),
    (lambda: LSTM(4, dropout=-0.1), ValueError, r"LSTM: `dropout` must be in \[0, 1\), got -0.1"),
    (lambda: GRU(4, recurrent_dropout=1.5), ValueError, r"GRU: `recurrent_dropout` must be in \[0, 1\), got 1.5"),
    (lambda: LSTM(4, return_sequences="yes"), TypeError, r"LSTM: `return_sequences` must be True or False, got 'yes'"),
    (lambda: LSTM(4, use_cudnn="always"), ValueError, r"LSTM: `use_cudnn` must be 'auto', True or False, got 'always'"),
    (lambda: LSTM(4, activation="relu", use_cudnn=True), ValueError,
     r"LSTM: `use_cudnn=True` needs settings the fused kernels support .* got activation='relu'"),
    (lambda: GRU(4, reset_after=None), TypeError, r"GRU: `reset_after` must be True or False, got None"),
    (lambda: LSTM(4, seed=-1), ValueError, r"LSTM: `seed` must be None or a non-negative integer, got -1"),
    (lambda: Bidirectional(Dense(3)), TypeError, r"Bidirectional: `layer` must be a recurrent seqlab layer"),
    (lambda: Bidirectional(LSTM(3), merge_mode="max"), ValueError, r"`merge_mode` must be one of \['concat', 'sum', 'mul', 'ave', None\], got 'max'"),
    (lambda: TimeDistributed(torch.nn.Linear(2, 2)), TypeError, r"TimeDistributed: `layer` must be a seqlab layer, got Linear"),
    (lambda: Masking("0"), TypeError, r"Masking: `mask_value` must be a number, got '0'"),
    (lambda: Embedding(0, 4), ValueError, r"Embedding: `input_dim` must be a positive integer, got 0"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_initial_state_count_and_shape_are_checked():
    layer = LSTM(3)
    with pytest.raises(ValueError, match=r"has 2 state tensor\(s\), got 1 initial states"):
        layer(torch.zeros(2, 4, 1), initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"each initial state must have shape \(batch, units\) = \(2, 3\), got Tensor of shape \(2, 4\)"):
        layer(torch.zeros(2, 4, 1), initial_state=[torch.zeros(2, 4), torch.zeros(2, 4)])


def test_time_distributed_needs_a_time_axis():
    with pytest.raises(ValueError, match=r"needs input of at least 3 dimensions \(samples, timesteps, ...\), got shape \(3, 4\)"):
        TimeDistributed(Dense(2))(torch.zeros(3, 4))


def test_a_declared_2d_input_shape_is_named_with_the_fix():
    with pytest.raises(ValueError, match=r"got shape \(None, 7\): its input_shape=\(7,\) gives each sample one axis\. "
                                         r"Declare input_shape=\(timesteps, features\), e\.g\. input_shape=\(7, 1\)"):
        Sequential([LSTM(8, input_shape=(7,))])


def test_a_stacked_lstm_without_return_sequences_names_the_layer_to_fix():
    with pytest.raises(ValueError, match=r"layer 'second' \(LSTM\) gets the output of 'first' \(LSTM\) of shape "
                                         r"\(None, 8\): only its last timestep\. Give 'first' return_sequences=True"):
        Sequential([LSTM(8, input_shape=(7, 1), name="first"), LSTM(4, name="second"), Dense(1)])
