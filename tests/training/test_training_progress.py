"""What fit/evaluate print for each verbose level, in a terminal and in a log file."""
import re

import numpy as np
import pytest

from seqlab.layers import Dense
from seqlab.models import Sequential
from seqlab.training import progress
from seqlab.utils import set_random_seed


def fitted_model():
    set_random_seed(0)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


X, Y = np.ones((8, 2), dtype="float32"), np.zeros((8, 1), dtype="float32")


def test_verbose_0_prints_nothing(capsys):
    fitted_model().fit(X, Y, epochs=2, batch_size=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_line_per_epoch(capsys):
    fitted_model().fit(X, Y, epochs=2, batch_size=2, verbose=2, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms)/step - loss: \S+ - mae: \S+ - val_loss: \S+ - val_mae: \S+", lines[1])


def test_verbose_1_without_a_terminal_prints_only_the_finished_bar(capsys):
    fitted_model().fit(X, Y, epochs=2, batch_size=2)  # verbose='auto' is 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and "\r" not in "".join(lines)
    assert re.fullmatch(r"4/4 \[={30}\] - \d+s \d+(us|ms)/step - loss: \S+ - mae: \S+", lines[1])


def test_verbose_1_in_a_terminal_draws_a_live_bar(capsys, monkeypatch):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    fitted_model().fit(X, Y, epochs=1, batch_size=2)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1\n")
    final = out.replace("\r", "\n").strip().splitlines()[-1]
    assert re.fullmatch(r"4/4 \[={30}\] - \d+s \d+(us|ms)/step - loss: \S+ - mae: \S+", final.strip())


def test_evaluate_prints_one_bar_without_epoch_header(capsys):
    fitted_model().evaluate(X, Y, batch_size=4, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2/2 [")


@pytest.mark.parametrize("value, text", [(0.12345, "0.1235"), (0.0001234, "1.2340e-04"), (0.0, "0.0000"), (12.0, "12.0000")])
def test_values_are_formatted_like_keras(value, text):
    assert progress.format_value(value) == text
