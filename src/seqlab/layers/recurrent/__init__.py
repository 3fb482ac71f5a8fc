"""Recurrent layers: SimpleRNN, LSTM, GRU on one step loop and torch's fused kernels, plus the
wrappers (Bidirectional, TimeDistributed) and the masking layers (Masking, Embedding).

The package layout is the design: ``cells.py`` holds each cell's maths once, ``loop.py`` the one
step loop, ``fused.py`` the second execution path on torch's kernels, ``layer.py`` what the
layers share, and one small file per public layer.
"""
from seqlab.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D
from seqlab.layers.recurrent.embedding import Embedding
from seqlab.layers.recurrent.gru import GRU, CuDNNGRU
from seqlab.layers.recurrent.layer import RecurrentLayer
from seqlab.layers.recurrent.lstm import LSTM, CuDNNLSTM
from seqlab.layers.recurrent.masking import Masking
from seqlab.layers.recurrent.simple_rnn import SimpleRNN
from seqlab.layers.recurrent.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU", "Bidirectional", "TimeDistributed",
    "Masking", "Embedding", "RecurrentLayer", "ConvLSTM1D", "ConvLSTM2D",
]
