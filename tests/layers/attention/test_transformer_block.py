"""A small Transformer encoder block — MultiHeadAttention + residual + layer norm + Dense —
inside a Sequential, trained with fit. Add and LayerNormalization are another room's layers
(issue 11, built in parallel), so the block writes them as plain torch ops here."""
import numpy as np
import torch
import torch.nn.functional as F

from seqlab.layers import Dense, GlobalAveragePooling1D, Layer, MultiHeadAttention
from seqlab.models import Sequential


class EncoderBlock(Layer):
    """``x = norm(x + mha(x, x))``; ``norm(x + Dense(Dense(x)))``, shapes unchanged."""

    def __init__(self, num_heads, key_dim, hidden, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.key_dim, self.hidden = num_heads, key_dim, hidden
        self.attention = MultiHeadAttention(num_heads, key_dim)
        self.expand = Dense(hidden, activation="relu")
        self.project = None

    def build(self, input_shape):
        # built here, not on the first call, so compile's optimizer sees every weight
        self.attention.build_from_shape([input_shape] * 3)
        self.expand.build_from_shape(input_shape)
        self.project = Dense(input_shape[-1])
        self.project.build_from_shape((*input_shape[:-1], self.hidden))

    def call(self, inputs, training=False, mask=None):
        width = inputs.shape[-1:]
        x = F.layer_norm(inputs + self.attention(inputs, inputs, training=training), width, eps=1e-3)
        return F.layer_norm(x + self.project(self.expand(x)), width, eps=1e-3)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim, "hidden": self.hidden}


def test_encoder_block_trains_with_fit():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 8)).astype("float32")
    y = (x[:, :, 0].mean(axis=1) > 0).astype("float32")[:, None]
    block = EncoderBlock(2, 4, 16, input_shape=(6, 8))
    model = Sequential([block, GlobalAveragePooling1D(), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    # MHA 3 * (8*2*4 + 2*4) + (2*4*8 + 8) = 3*72 + 72 = 288; Dense 8*16+16 = 144, 16*8+8 = 136; head 9
    assert model.count_params() == 288 + 144 + 136 + 9
    before = [w.copy() for w in block.attention.get_weights()]
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    after = block.attention.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))  # every MHA weight trained
    assert model.predict(x[:4], verbose=0).shape == (4, 1)
