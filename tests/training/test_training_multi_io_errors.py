"""Bad data and bad compile settings for a model of several inputs and outputs: each refused
before training, by a message naming the argument, what was received and what was expected.
(The model is the stand-in :class:`multi_io_stub.TwoBranch`: inputs a, b; outputs out_a, out_b.)
"""
import numpy as np
import pytest
import torch

from multi_io_stub import TwoBranch

N = 12
A = np.ones((N, 3), dtype="float32")
B = np.ones((N, 2), dtype="float32")
YA = np.ones((N, 1), dtype="float32")
YB = np.ones((N, 2), dtype="float32")


def compiled(structure="list", **settings):
    model = TwoBranch(structure)
    model.compile(optimizer="sgd", **({"loss": "mse"} | settings))
    return model


@pytest.mark.parametrize("x, message", [
    ([A], r"fit: model 'm' has 2 inputs \['a', 'b'\], got a list of 1 array as `x`; give one array per input"),
    ((A, B, B), r"fit: model 'm' has 2 inputs \['a', 'b'\], got a tuple of 3 arrays as `x`"),
    (A, r"fit: model 'm' has 2 inputs \['a', 'b'\], got a single array of shape \(12, 3\) as `x`; give a list "
        r"of 2 arrays, in this order, or a dict keyed by input name"),
    ({"a": A, "c": B}, r"fit: `x` has the key 'c', which is not one of the inputs of model 'm'; its inputs "
                       r"are \['a', 'b'\]"),
    ({"a": A}, r"fit: `x` has no entry for input 'b' of model 'm' \(its inputs are \['a', 'b'\]\); got the "
               r"keys \['a'\]"),
])
def test_x_must_match_the_inputs(x, message):
    with pytest.raises(ValueError, match=message):
        compiled().fit(x, [YA, YB], verbose=0)


@pytest.mark.parametrize("y, message", [
    ([YA], r"fit: model 'm' has 2 outputs \['out_a', 'out_b'\], got a list of 1 array as `y`"),
    (YA, r"fit: model 'm' has 2 outputs \['out_a', 'out_b'\], got a single array of shape \(12, 1\) as `y`"),
    ({"out_a": YA, "out_c": YB}, r"fit: `y` has the key 'out_c', which is not one of the outputs of model 'm'; "
                                 r"its outputs are \['out_a', 'out_b'\]"),
    ({"out_a": YA}, r"fit: `y` has no entry for output 'out_b' of model 'm'"),
    ([YA, None], r"fit: `y\[1\]` is None, but output 'out_b' has a loss or metrics"),
])
def test_y_must_match_the_outputs(y, message):
    with pytest.raises(ValueError, match=message):
        compiled().fit([A, B], y, verbose=0)


def test_each_leaf_is_checked_and_named():
    model = compiled()
    with pytest.raises(ValueError, match=r"fit: model 'm' expects 2-D input \(batch, features\) of shape "
                                         r"\(None, 2\), got `x\['b'\]` of shape \(12, 5\)"):
        model.fit({"a": A, "b": np.ones((N, 5), dtype="float32")}, [YA, YB], verbose=0)
    with pytest.raises(ValueError, match=r"fit: x\[0\] has 12 samples but y\[1\] has 11"):
        model.fit([A, B], [YA, YB[:11]], verbose=0)
    with pytest.raises(ValueError, match=r"fit: `validation_data y\['out_b'\]` contains 1 NaN value"):
        bad = YB.copy()
        bad[0, 0] = np.nan
        model.fit([A, B], [YA, YB], validation_data=([A, B], {"out_a": YA, "out_b": bad}), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: `sample_weight` has the key 'out_c', which is not one of "
                                         r"the outputs"):
        model.evaluate([A, B], [YA, YB], sample_weight={"out_c": np.ones(N)}, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: `sample_weight\[1\]` must have shape \(N,\) or the targets' "
                                         r"shape, got \(12, 2, 1\) for targets of shape \(12, 2\)"):
        model.evaluate([A, B], [YA, YB], sample_weight=[None, np.ones((N, 2, 1))], verbose=0)
    with pytest.raises(ValueError, match=r"predict: model 'm' has 2 inputs \['a', 'b'\], got a list of 1 array"):
        model.predict([A])


def test_class_weight_needs_a_single_output():
    with pytest.raises(ValueError, match=r"fit: `class_weight` is only supported for a model of one output; "
                                         r"model 'm' has 2 outputs \['out_a', 'out_b'\]"):
        compiled().fit([A, B], [YA, YB], class_weight={0: 1.0, 1: 2.0}, verbose=0)


@pytest.mark.parametrize("settings, error, message", [
    ({"loss": ["mse"]}, ValueError, r"compile: `loss` is a list of 1 entries, but model 'm' has 2 outputs "
                                    r"\['out_a', 'out_b'\]; give one entry per output \(None for none\)"),
    ({"loss": {"out_a": "mse", "dense": "mae"}}, ValueError,
     r"compile: `loss` has the key 'dense', which is not an output of model 'm'; its outputs are "
     r"\['out_a', 'out_b'\]"),
    ({"metrics": {"out_z": ["mae"]}}, ValueError,
     r"compile: `metrics` has the key 'out_z', which is not an output of model 'm'"),
    ({"metrics": ["mae"]}, ValueError, r"compile: `metrics` is a list of 1 entries, but model 'm' has 2 outputs"),
    ({"loss_weights": [1.0]}, ValueError, r"compile: `loss_weights` is a list of 1 entries"),
    ({"loss_weights": {"out_a": "big"}}, TypeError,
     r"compile: each entry of `loss_weights` must be a number, got 'big'"),
    ({"loss_weights": 2.0}, TypeError, r"compile: `loss_weights` must be a list or a dict keyed by output name, "
                                       r"got 2.0"),
    ({"metrics": "mae"}, TypeError, r"compile: `metrics` must be a list, e.g. \['accuracy'\], got 'mae'"),
    ({"metrics": [["mae", "mae"], []]}, ValueError, r"compile: metric names must be unique"),
])
def test_bad_compile_settings(settings, error, message):
    with pytest.raises(error, match=message):
        TwoBranch().compile(**({"loss": "mse"} | settings))


def test_a_loaders_batches_are_checked_like_arrays():
    batches = [((torch.ones(4, 3),), [torch.ones(4, 1), torch.ones(4, 2)])]
    with pytest.raises(ValueError, match=r"fit: model 'm' has 2 inputs \['a', 'b'\], got a tuple of 1 array"):
        compiled().fit(iter(batches), steps_per_epoch=1, epochs=1, verbose=0)
