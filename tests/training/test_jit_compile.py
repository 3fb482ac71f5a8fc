"""compile(jit_compile=...): the compiled train step trains the same weights as eager, 'auto'
follows the measured table, bad values are refused, and fit reports the first call's cost."""
import numpy as np
import pytest

from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential
from seqlab.training import jit
from seqlab.utils import set_random_seed


def trained_weights(jit_compile, verbose=0):
    set_random_seed(0)
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    rng = np.random.default_rng(0)
    x, y = rng.random((12, 5, 2)).astype("float32"), rng.random((12, 1)).astype("float32")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=verbose)  # 3 steps
    return model, model.get_weights()


def test_jit_compile_trains_the_same_weights_as_eager_and_reports_its_first_call(capsys):
    _, eager = trained_weights(False)
    model, compiled = trained_weights(True, verbose=2)
    assert model.compiled.jit_forward.failure is None  # torch.compile works on this platform
    for got, want in zip(compiled, eager):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert "jit_compile: the first train step (torch.compile included) took" in capsys.readouterr().out


def test_auto_compiles_only_where_measured_faster(monkeypatch):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")  # Keras's default: jit_compile='auto'
    assert model.compiled.jit_compile is False and model.compiled.jit_forward is None
    monkeypatch.setattr(jit, "MEASURED_FASTER", frozenset({jit._platform(model)}))
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    assert model.compiled.jit_compile is True


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_bad_jit_compile_values_are_refused(value):
    model = Sequential([Dense(1, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"compile: `jit_compile` must be True, False or 'auto', "
                                         rf"got {value!r}"):
        model.compile(optimizer="sgd", loss="mse", jit_compile=value)
