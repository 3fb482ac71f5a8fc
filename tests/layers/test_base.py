"""The layer contract: input shapes, build, weights in Keras layout, repr, errors."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.errors import NotBuiltError
from seqlab.layers import Dense, Dropout, Flatten, Input, Reshape


def test_layer_builds_on_first_call_and_remembers_shape():
    layer = Dense(3)
    assert not layer.built
    layer(torch.zeros(2, 5))
    assert layer.built and layer.input_shape_ == (None, 5)
    assert layer.kernel.shape == (5, 3)


def test_feature_count_change_after_build_is_an_error():
    layer = Dense(3)
    layer(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"built for 5 features on its last axis, got input of shape \(2, 4\)"):
        layer(torch.zeros(2, 4))


def test_rank_change_after_build_is_an_error():
    layer = Dense(3)
    layer(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"expects 2-D input with shape \(None, 5\), got shape \(2, 7, 5\)"):
        layer(torch.zeros(2, 7, 5))


def test_a_bad_first_input_is_named_with_the_shape_received():
    # Before the fix the error showed the shape the layer was to be built for, "(None, 28, 28)".
    from seqlab.layers import Conv2D
    with pytest.raises(ValueError, match=r"expects 4-D input \(batch, height, width, channels\), got shape \(6, 28, 28\)\. "):
        Conv2D(2, 3)(torch.zeros(6, 28, 28))
    with pytest.raises(ValueError, match=r"\(Dense\) needs inputs whose last axis has a fixed size, got shape \(5,\)"):
        Dense(3)(torch.zeros(5))
    layer = Dense(3)
    layer(torch.zeros(6, 4))
    assert layer.input_shape_ == (None, 4)  # still built for any batch size


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Dense(0), ValueError, r"Dense: `units` must be a positive integer, got 0"),
        (lambda: Dense(-3), ValueError, r"Dense: `units` must be a positive integer, got -3"),
        (lambda: Dense(2.5), TypeError, r"Dense: `units` must be a positive integer, got 2.5"),
        (lambda: Dense(2, activation="relux"), ValueError, r"unknown activation 'relux'; expected one of"),
        (lambda: Dense(2, kernel_initializer="glorot"), ValueError, r"unknown initializer 'glorot'"),
        (lambda: Dropout(1.0), ValueError, r"Dropout: `rate` must be in \[0, 1\), got 1.0"),
        (lambda: Dropout(-0.1), ValueError, r"Dropout: `rate` must be in \[0, 1\), got -0.1"),
        (lambda: Dense(2, input_shape=(0, 3)), ValueError, r"`input_shape` sizes must be positive integers or None"),
        (lambda: Dense(2, input_shape="7"), TypeError, r"`input_shape` must be a tuple such as \(timesteps, features\)"),
        (lambda: Dense(2, dtype="float16"), ValueError, r"`dtype`: Cannot convert .float16. to a dtype policy: expected one of .float32., .float64."),
        (lambda: Dense(2, name="a/b"), ValueError, r"layer `name` must be a non-empty string"),
        (lambda: Reshape((2, -1, -1)), ValueError, r"at most one -1"),
    ],
)
def test_bad_settings_get_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_get_weights_before_build_explains_what_to_do():
    with pytest.raises(NotBuiltError, match="has no weights yet"):
        Dense(2).get_weights()


def test_set_weights_checks_count_and_shapes():
    layer = Dense(2)
    layer(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"has 2 weights \['kernel', 'bias'\], got a list of 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(3, 2\), got an array of shape \(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_set_then_get_weights_round_trips():
    layer = Dense(2)
    layer(torch.zeros(1, 3))
    kernel, bias = np.arange(6.0).reshape(3, 2), np.array([0.5, -0.5])
    layer.set_weights([kernel, bias])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)


def test_repr_shows_only_non_default_settings():
    assert repr(Dense(32)) == "Dense(32)"
    assert repr(Dense(8, activation="relu", use_bias=False)) == "Dense(8, activation='relu', use_bias=False)"
    assert repr(Dropout(0.2)) == "Dropout(0.2)"


def test_reshape_rejects_incompatible_sizes():
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(6,\) \(6 values\) to \(4, 2\)"):
        Reshape((4, 2))(torch.zeros(1, 6))


def test_flatten_and_reshape_shapes():
    x = torch.arange(24.0).reshape(2, 3, 4)
    assert Flatten()(x).shape == (2, 12)
    assert Reshape((4, 3))(x).shape == (2, 4, 3)
    assert Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)


def test_floating_inputs_take_the_dtype_of_the_weights_as_in_keras():
    from seqlab.layers import Conv1D

    x64 = torch.randn(2, 5, 3, dtype=torch.float64)
    for layer in (Dense(2), Conv1D(2, 2)):
        out = layer(x64)  # float64 data into a float32 layer: cast, not torch's dtype error
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, layer(x64.float()), rtol=0, atol=0)
    dense = Dense(2)
    dense(torch.zeros(1, 3))
    dense.double()  # torch's own way to change a module's dtype is followed too
    assert dense(torch.zeros(1, 3)).dtype == torch.float64


def test_numpy_integer_and_complex_inputs_follow_one_rule():
    import numpy as np

    from seqlab.layers import LSTM, Embedding

    dense = Dense(2)
    x = np.arange(6).reshape(2, 3)
    expected = dense(torch.tensor(x, dtype=torch.float32))
    torch.testing.assert_close(dense(x), expected, rtol=0, atol=0)          # NumPy integers
    torch.testing.assert_close(dense(x.tolist()), expected, rtol=0, atol=0)  # nested lists
    with pytest.raises(TypeError, match=r"layer 'dense_\d+' got complex input \(dtype torch.complex64\); it "
                                        r"computes in torch.float32: pass the real part"):
        dense(torch.zeros(2, 3, dtype=torch.complex64))
    with pytest.raises(TypeError, match=r"got complex input"):  # the recurrent layers share the rule
        LSTM(2)(torch.zeros(2, 3, 1, dtype=torch.complex64))
    # ids are not cast to the float32 weights: a float id off by 1e-9 is still refused
    with pytest.raises(ValueError, match=r"needs integer ids, got non-integer values such as 2.000000001"):
        Embedding(10, 4)(torch.tensor([[2 + 1e-9]], dtype=torch.float64))


def test_layers_without_weights_wrappers_and_bad_inputs_follow_the_rule_too():
    import numpy as np

    from seqlab.layers import LSTM, AveragePooling1D, Bidirectional, Flatten, MaxPooling1D

    ints = np.array([[[1], [2], [4], [7]]])
    assert AveragePooling1D(2)(ints).flatten().tolist() == [1.5, 5.5]  # not integer division
    assert MaxPooling1D(2)(ints).flatten().tolist() == [2.0, 7.0]
    assert Flatten()(torch.zeros(1, 2, dtype=torch.float64)).dtype == torch.float64  # floats kept
    for call in (lambda: Flatten()(np.ones((1, 2), np.complex64)),
                 lambda: Bidirectional(LSTM(2))(np.ones((2, 3, 1), np.complex64) + 1j)):
        with pytest.raises(TypeError, match=r"got complex input \(dtype torch.complex64\); it computes in "
                                            r"torch.float32"):
            call()
    with pytest.raises(TypeError, match=r"layer 'dense_\d+' takes a tensor, a NumPy array or nested lists of "
                                        r"numbers \(equal lengths\), got \[\[1, 2, 3\], \[1, 2\]\]"):
        Dense(2)([[1, 2, 3], [1, 2]])
    with pytest.raises(ValueError, match=r"layer 'flatten_\d+' got the single number 3.0; it takes a batch"):
        Flatten()(3.0)


def test_float64_layers_hold_float64_weights():
    layer = Dense(2, dtype="float64")
    out = layer(torch.zeros(1, 3, dtype=torch.float64))
    assert layer.kernel.dtype == torch.float64 and out.dtype == torch.float64


def test_input_with_batch_shape_declares_fixed_batch():
    # Input returns a symbolic tensor (Keras's KerasTensor): its shape holds the fixed batch
    assert Input(batch_shape=(10, 5, 1)).shape == (10, 5, 1)
    assert Input(shape=(5, 1), batch_size=4).layer.batch_input_shape == (4, 5, 1)


def test_top_level_names_resolve_lazily():
    assert seqlab.Sequential is seqlab.models.Sequential
    assert seqlab.layers.Dense is Dense
    with pytest.raises(AttributeError, match="has no attribute 'Dens'"):
        seqlab.Dens  # noqa: B018
