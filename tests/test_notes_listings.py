"""The lecture notes' Keras listings, with only their imports changed, must run and give the
notes' parameter counts (the tables printed in ../shared/seeds/). Epochs are cut down so the
suite stays fast; what is asserted is structure, counts, and that training learns."""
import numpy as np
import pytest

import seqlab
import seqlab as keras
import seqlab as tf  # the notes' `tf.keras.` listings: `import tensorflow as tf` changed
from seqlab.layers import GRU, LSTM, Conv1D, Conv2D, CuDNNLSTM, Dense, Dropout, Flatten, MaxPooling1D, MaxPooling2D
from seqlab.models import Sequential


def param_table(model):
    return [(layer, shape, layer.count_params()) for layer, shape in zip(model.layers, model.output_shapes)]


def test_stock_lstm_listing_learns_a_series():
    # 001 "LSTM - Example": LSTM(5) -> Dense(1), mean_squared_error, adam, batch 20
    seqlab.utils.set_random_seed(0)
    window_size = 5
    values = (np.sin(np.linspace(0, 20, 300)) * 0.4 + 0.5).reshape(-1, 1).astype("float32")
    X = np.stack([values[i - window_size:i] for i in range(window_size, len(values))])
    y = values[window_size:]
    model = Sequential()
    model.add(LSTM(5, input_shape=(window_size, 1)))
    model.add(Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    history = model.fit(X, y, epochs=30, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.25 * history.history["loss"][0]
    assert model.predict(X).shape == (len(X), 1)


def test_simple_lstm_and_gru_listings_match_the_notes_tables():
    # 002: "lstm_1 (LSTM) (None, 32) 4352; dense_2 (Dense) (None, 1) 33; Total params: 4,385"
    model = Sequential()
    model.add(LSTM(32, input_shape=(7, 1), dropout=0.1, recurrent_dropout=0.1))
    model.add(Dense(1, activation="linear"))
    model.compile(loss="mae", optimizer="adam", metrics=["mean_absolute_error"])
    assert [(s, n) for _, s, n in param_table(model)] == [((None, 32), 4352), ((None, 1), 33)]
    assert "Total params: 4,385" in model.summary(print_fn=None)

    gru = Sequential()
    gru.add(GRU(32, input_shape=(7, 1), dropout=0.1, recurrent_dropout=0.1))
    gru.add(Dense(1, activation="linear"))
    gru.compile(loss="mae", optimizer="adam", metrics=["mean_absolute_error"])
    # Keras 3 GRU (reset_after=True): 3 * (32*1 + 32*32 + 2*32)
    assert gru.layers[0].count_params() == 3360
    history = gru.fit(np.random.rand(40, 7, 1), np.random.rand(40, 1), epochs=2, verbose=0,
                      validation_split=0.25)
    assert set(history.history) == {"loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"}


def test_conv1d_listing_matches_the_notes_table():
    # 002: conv1d (None, 3, 64) 384; max_pooling1d (None, 1, 64) 0; dense (None, 1, 1) 65; total 449
    model = Sequential()
    model.add(Conv1D(64, kernel_size=5, input_shape=(7, 1), activation="relu"))
    model.add(MaxPooling1D(pool_size=2))
    model.add(Dense(1, activation="linear"))
    model.compile(loss="mae", optimizer="adam", metrics=["mean_absolute_error"])
    assert [(s, n) for _, s, n in param_table(model)] == [((None, 3, 64), 384), ((None, 1, 64), 0), ((None, 1, 1), 65)]
    assert "Total params: 449" in model.summary(print_fn=None)

    # The notes fit it on targets of shape (635,) against outputs of shape (None, 1, 1): each
    # target must meet its own output (not all of them, as a plain broadcast would).
    generator = np.random.default_rng(0)
    X, y = generator.random((40, 7, 1)).astype("float32"), generator.random(40).astype("float32")
    loss, mae = model.evaluate(X, y, verbose=0)
    expected = np.abs(model.predict(X, verbose=0).reshape(-1) - y).mean()
    np.testing.assert_allclose([loss, mae], [expected, expected], rtol=1e-5)
    history = model.fit(X, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"}


@pytest.mark.parametrize("timesteps, outputs, dense_params, total", [(1, 2, 102, 10502), (3, 1, 51, 10451), (3, 3, 153, 10553)])
def test_one_to_many_many_to_one_many_to_many_listings(timesteps, outputs, dense_params, total):
    # 003: LSTM(50, activation='relu') -> Dense(k): lstm 10400, dense 102 / 51
    model = Sequential()
    model.add(LSTM(50, activation="relu", input_shape=(timesteps, 1)))
    model.add(Dense(outputs))
    model.compile(optimizer="adam", loss="mse")
    assert [n for _, _, n in param_table(model)] == [10400, dense_params]
    assert model.count_params() == total


def test_many_to_one_sum_problem_learns():
    # 003 many-to-one: [1,2,3] -> 6, [4,5,6] -> 15, ... ; LSTM(50, relu) -> Dense(1)
    seqlab.utils.set_random_seed(1)
    X = np.arange(1, 46, dtype="float32").reshape(15, 3, 1)
    Y = X.sum(axis=1)
    model = Sequential([LSTM(50, activation="relu", input_shape=(3, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, Y, epochs=300, validation_split=0.2, verbose=0, batch_size=3)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]


def test_echo_listing_with_tf_keras_names():
    # 004 "echo": LSTM(16) on (5, 10) -> Dense(10, softmax): 1728 + 170 = 1898
    timesteps, features = 5, 10
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.LSTM(16, input_shape=(timesteps, features)))
    model.add(tf.keras.layers.Dense(features, activation="softmax"))
    model.compile(loss=tf.keras.losses.categorical_crossentropy,
                  optimizer=tf.keras.optimizers.Adam(learning_rate=0.001), metrics=["accuracy"])
    assert [n for _, _, n in param_table(model)] == [1728, 170]
    rng = np.random.default_rng(0)
    sequence = rng.integers(0, features, size=timesteps)
    X = keras.utils.to_categorical(sequence, features).reshape(1, timesteps, features)
    y = X[:, 2]
    history = model.fit(X, y, shuffle=False, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"} and len(history.history["loss"]) == 1


def test_stateful_listing_and_reset_states():
    # 004: LSTM(2, stateful=True, batch_input_shape=(10, 5, 1)); fit(epochs=1) + reset_states() per epoch
    model = Sequential()
    model.add(LSTM(2, stateful=True, batch_input_shape=(10, 5, 1)))
    model.add(Dense(1))
    model.compile(loss="mse", optimizer="adam")
    X, y = np.random.rand(20, 5, 1), np.random.rand(20, 1)
    for _ in range(2):
        model.fit(X, y, epochs=1, batch_size=10, verbose=0, shuffle=False)
        model.reset_states()
    assert model.predict(X, batch_size=10).shape == (20, 1)


def rmse(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean().sqrt()


def mae(y_true, y_pred):
    return (y_pred - y_true).abs().mean()


def build_traffic_model(timesteps, multisteps, features, h_layers=2, h_neurons=64, activation="relu",
                        dropout_rate=0.5, deep_dense=False):
    # 004 "Algorithm 3" (traffic forecasting), transcribed line by line.
    model = Sequential()
    for i in range(h_layers):
        if i == 0:
            if i + 1 == h_layers:
                model.add(CuDNNLSTM(h_neurons, return_sequences=False, input_shape=(timesteps, features)))
            else:
                model.add(CuDNNLSTM(int(h_neurons / 2), return_sequences=True, input_shape=(timesteps, features)))
                model.add(Dropout(dropout_rate))
        elif i + 1 == h_layers:
            model.add(CuDNNLSTM(h_neurons * 2, return_sequences=False))
        else:
            model.add(CuDNNLSTM(h_neurons, return_sequences=True))
            model.add(Dropout(dropout_rate))
    model.add(Dense(h_neurons, activation=activation))
    model.add(Dropout(dropout_rate))
    if deep_dense:
        model.add(Dense(int(h_neurons / 2), activation=activation))
        model.add(Dropout(dropout_rate))
    model.add(Dense(multisteps))
    model.compile(loss=rmse, optimizer=keras.optimizers.Adam(), metrics=[mae, rmse])
    return model


def test_deep_lstm_builder_with_custom_rmse_loss_and_metrics():
    model = build_traffic_model(timesteps=12, multisteps=4, features=3, h_layers=3, h_neurons=8)
    shapes = [s for _, s, _ in param_table(model)]
    assert shapes[:5] == [(None, 12, 4), (None, 12, 4), (None, 12, 8), (None, 12, 8), (None, 16)]
    assert shapes[-1] == (None, 4)
    lstm_counts = [n for layer, _, n in param_table(model) if isinstance(layer, LSTM)]
    assert lstm_counts == [4 * (3 * 4 + 4 * 4 + 4), 4 * (4 * 8 + 8 * 8 + 8), 4 * (8 * 16 + 16 * 16 + 16)]
    history = model.fit(np.random.rand(16, 12, 3), np.random.rand(16, 4), epochs=2, verbose=0, validation_split=0.25)
    assert {"loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"} == set(history.history)


def test_mnist_cnn_listing_structure():
    # 000 MNIST CNN: parameter counts follow from (F*F*D1 + 1) * K and the flatten size 5*5*32
    model = Sequential()
    model.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.2))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    assert [n for _, _, n in param_table(model)] == [320, 0, 9248, 0, 0, 0, 102528, 1290]
    assert [s for _, s, _ in param_table(model)][:4] == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 32), (None, 5, 5, 32)]
    x = np.random.rand(8, 28, 28, 1).astype("float32")
    y = keras.utils.to_categorical(np.arange(8) % 10, 10)
    score = model.evaluate(x, y, verbose=0)
    assert len(score) == 2 and 0.0 <= score[1] <= 1.0
