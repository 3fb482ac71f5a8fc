"""Convolutional layers inside Sequential models: the notes' listings, summaries and errors."""
import numpy as np
import pytest
import torch

from seqlab.layers import Conv1D, Conv2D, Dense, Dropout, Flatten, MaxPooling1D, MaxPooling2D
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


def notes_mnist_model():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.2))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def test_notes_conv1d_summary_shows_the_notes_table():
    # Notes 002 "1D Convnet": conv1d (None, 3, 64) 384; max_pooling1d (None, 1, 64) 0;
    # dense (None, 1, 1) 65; Total params: 449.
    model = Sequential()
    model.add(Conv1D(64, kernel_size=5, input_shape=(7, 1), activation="relu", name="conv1d"))
    model.add(MaxPooling1D(pool_size=2, name="max_pooling1d"))
    model.add(Dense(1, activation="linear", name="dense"))
    text = model.summary(print_fn=None)
    lines = [line.split() for line in text.splitlines()]
    assert ["conv1d", "(Conv1D)", "(None,", "3,", "64)", "384"] in lines
    assert ["max_pooling1d", "(MaxPooling1D)", "(None,", "1,", "64)", "0"] in lines
    assert ["dense", "(Dense)", "(None,", "1,", "1)", "65"] in lines
    assert "Total params: 449" in text
    assert model(torch.zeros(4, 7, 1)).shape == (4, 1, 1)


def test_notes_mnist_model_parameter_counts():
    # (F*F*D1 + 1) * K: (9*1 + 1) * 32 = 320, (9*32 + 1) * 32 = 9248; Flatten 5*5*32 = 800;
    # (800 + 1) * 128 = 102528; (128 + 1) * 10 = 1290; total 113386.
    model = notes_mnist_model()
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [320, 0, 9248, 0, 0, 0, 102528, 1290]
    assert model.count_params() == 320 + 9248 + 102528 + 1290 == 113386
    assert model.output_shapes[5] == (None, 800)
    assert "Total params: 113,386" in model.summary(print_fn=None)


def test_flatten_follows_keras_channels_last_order():
    # Keras flattens (height, width, channels) with channels fastest; a Dense kernel copied
    # from Keras therefore needs the same order.
    set_random_seed(0)
    model = notes_mnist_model()
    model.eval()
    x = torch.rand(2, 28, 28, 1)
    features = x
    for layer in model.layers[:5]:
        features = layer(features)
    flat = model.layers[5](features)
    torch.testing.assert_close(flat, features.contiguous().reshape(2, -1))
    torch.testing.assert_close(flat[:, :32], features[:, 0, 0, :])


def test_images_without_channel_axis_get_the_notes_advice():
    model = notes_mnist_model()
    with pytest.raises(ValueError, match=r"layer 'conv2d\w*' \(Conv2D\) expects 4-D input \(batch, height, width, "
                                         r"channels\), got shape \(5, 28, 28\)\. The input has no channel axis: .*"
                                         r"use x\.reshape\(-1, 28, 28, 1\)"):
        model(torch.zeros(5, 28, 28))
    with pytest.raises(ValueError, match=r"use x\.reshape\(-1, 28, 28, 1\)"):
        Sequential([Conv2D(32, (3, 3), input_shape=(28, 28), activation="relu")])


@pytest.mark.parametrize("make, error, message", [
    (lambda: Conv2D(0, 3), ValueError, r"Conv2D: `filters` must be a positive integer, got 0"),
    (lambda: Conv2D(8, (3, 0)), ValueError, r"Conv2D: `kernel_size` must hold positive integers, got \(3, 0\)"),
    (lambda: Conv1D(8, 3, strides=0), ValueError, r"Conv1D: `strides` must hold positive integers, got 0"),
    (lambda: Conv2D(8, 3, strides=(1, -2)), ValueError, r"Conv2D: `strides` must hold positive integers, got \(1, -2\)"),
    (lambda: Conv2D(8, 3, dilation_rate=0), ValueError, r"`dilation_rate` must hold positive integers, got 0"),
    (lambda: Conv2D(8, "3"), TypeError, r"Conv2D: `kernel_size` must be an integer or a tuple of 2 integers, got '3'"),
    (lambda: Conv2D(8, 3.0), TypeError, r"`kernel_size` must be an integer or a tuple of 2 integers, got 3\.0"),
    (lambda: Conv2D(8, 3, padding="causal"), ValueError, r"Conv2D: `padding` must be one of \('valid', 'same'\), got 'causal'"),
    (lambda: Conv1D(8, 3, padding="full"), ValueError, r"`padding` must be one of \('valid', 'same', 'causal'\), got 'full'"),
    (lambda: Conv1D(6, 3, groups=4), ValueError, r"Conv1D: `filters`=6 must be divisible by `groups`=4"),
    (lambda: Conv1D(8, 3, activation="bogus"), ValueError, r"unknown activation 'bogus'"),
])
def test_bad_settings_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_kernel_larger_than_the_input_is_refused():
    with pytest.raises(ValueError, match=r"layer 'big' \(Conv2D\): `kernel_size`=\(5, 5\) is larger than the input's "
                                         r"spatial size \(4, 4\) with padding='valid', so the output would be empty"):
        Conv2D(2, 5, name="big")(torch.zeros(1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"`kernel_size`=\(3,\) \(dilated to \(7,\)\) is larger"):
        Sequential([Conv1D(2, 3, dilation_rate=3, input_shape=(6, 1))])
    # 'same' pads the input, so the same kernel is fine there.
    assert Conv2D(2, 5, padding="same")(torch.zeros(1, 4, 4, 1)).shape == (1, 4, 4, 2)


def test_channel_count_fixed_at_build():
    layer = Conv1D(2, 3)
    layer(torch.zeros(1, 5, 3))
    with pytest.raises(ValueError, match=r"was built for 3 input channels, got input of shape \(1, 5, 4\)"):
        layer(torch.zeros(1, 5, 4))
    assert layer(torch.zeros(2, 9, 3)).shape == (2, 7, 2)  # another length is fine
    first = Conv2D(2, 3, data_format="channels_first")
    first(torch.zeros(1, 3, 5, 5))
    assert first(torch.zeros(1, 3, 6, 8)).shape == (1, 2, 4, 6)
    with pytest.raises(ValueError, match=r"input's 3 channels must be divisible by `groups`=2"):
        Conv1D(2, 3, groups=2)(torch.zeros(1, 5, 3))


def test_a_conv_model_is_a_torch_module_that_learns():
    # Tiny task: is the bump in the first or the second half of a sequence?
    set_random_seed(0)
    x = np.zeros((64, 16, 1), dtype="float32")
    y = np.arange(64) % 2
    for i in range(64):
        start = np.random.randint(0, 6) + 8 * y[i]
        x[i, start:start + 3, 0] = 1.0
    model = Sequential([Conv1D(4, 3, padding="causal", activation="relu", input_shape=(16, 1)),
                        MaxPooling1D(2), Conv1D(4, 3, padding="same", activation="relu"),
                        Flatten(), Dense(2)])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    inputs, targets = torch.as_tensor(x), torch.as_tensor(y)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def every_convolutional_layer():
    import seqlab.layers.convolutional as package

    classes = {getattr(package, name) for name in package.__all__}  # aliases are the same class
    required = {"Conv1D": (3, 2), "Conv2D": (3, (2, 2)), "SeparableConv1D": (3, 2), "Conv1DTranspose": (3, 2)}
    return sorted(((cls, required.get(cls.__name__, ())) for cls in classes), key=lambda item: item[0].__name__)


@pytest.mark.parametrize("cls, args", every_convolutional_layer(), ids=lambda v: getattr(v, "__name__", ""))
def test_every_layer_round_trips_its_config_and_runs_after(cls, args):
    from seqlab.layers import deserialize, serialize

    layer = cls(*args)
    rebuilt = deserialize(serialize(layer))
    assert type(rebuilt) is cls and rebuilt.get_config() == layer.get_config()
    shape = (2, 6, 3) if "1D" in cls.__name__ else (2, 6, 5, 3)
    set_random_seed(0)
    x = torch.randn(*shape)
    layer.build_from_shape((None, *shape[1:]))
    rebuilt.build_from_shape((None, *shape[1:]))
    rebuilt.set_weights(layer.get_weights())
    torch.testing.assert_close(rebuilt(x), layer(x), rtol=0, atol=0)
