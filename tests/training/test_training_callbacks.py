"""Callbacks fed scripted logs (no training): stopping epochs, restored weights, LR schedule,
checkpoints, CSV rows, config round-trips."""
import csv
import warnings

import numpy as np
import pytest
import torch

from seqlab import callbacks
from seqlab.layers import Dense
from seqlab.models import Sequential
from seqlab.training.monitoring import MonitorCallback


def tiny_model(metrics=()):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse", metrics=list(metrics))
    model.stop_training = False
    return model


def drive(callback, model, values, key="val_loss", mark_weights=True):
    """Play ``values`` as the monitored quantity of successive epochs; return the last epoch run.

    With ``mark_weights`` the kernel holds the epoch number, so restored weights show which
    epoch they came from."""
    callback.set_model(model)
    callback.on_train_begin({})
    last = None
    for epoch, value in enumerate(values):
        if mark_weights:
            with torch.no_grad():
                model.layers[0].kernel.fill_(epoch)
        callback.on_epoch_end(epoch, {key: value, "loss": 1.0})
        last = epoch
        if model.stop_training:
            break
    callback.on_train_end({})
    return last


@pytest.mark.parametrize("values, patience, min_delta, stop_at", [
    ([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], 2, 0.0, 3),   # two epochs without improvement after epoch 1
    ([1.0, 0.9, 0.8, 0.7], 0, 0.0, None),             # always improving: never stops
    ([1.0, 0.99, 0.98, 0.97, 0.96], 2, 0.05, 2),      # improvements smaller than min_delta do not count
    ([1.0, 1.1], 0, 0.0, 1),                          # patience 0: the first bad epoch stops
])
def test_early_stopping_stops_at_the_keras_epoch(values, patience, min_delta, stop_at):
    model = tiny_model()
    stopper = callbacks.EarlyStopping(patience=patience, min_delta=min_delta)
    last = drive(stopper, model, values)
    if stop_at is None:
        assert not model.stop_training and last == len(values) - 1
    else:
        assert model.stop_training and last == stop_at and stopper.stopped_epoch == stop_at


def test_early_stopping_restores_the_best_epochs_weights():
    model = tiny_model()
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    drive(stopper, model, [1.0, 0.5, 0.7, 0.8, 0.9])
    assert stopper.best_epoch == 1
    np.testing.assert_array_equal(model.layers[0].kernel.detach().numpy(), np.ones((2, 1)))


def test_early_stopping_restores_even_without_stopping_early():
    # Keras 3 restores the best weights at the end of training in every case.
    model = tiny_model()
    drive(callbacks.EarlyStopping(patience=5, restore_best_weights=True), model, [1.0, 0.2, 0.4])
    np.testing.assert_array_equal(model.layers[0].kernel.detach().numpy(), np.ones((2, 1)))


def test_early_stopping_with_baseline_and_warm_up():
    model = tiny_model()
    # Epoch 0 improves on "no value yet" but not on the baseline 0.1, so its wait is not reset:
    # patience 2 runs out one epoch earlier than without a baseline.
    assert drive(callbacks.EarlyStopping(patience=2, baseline=0.1), model, [0.5, 0.6, 0.7, 0.8]) == 1
    model = tiny_model()
    assert drive(callbacks.EarlyStopping(patience=2), model, [0.5, 0.6, 0.7, 0.8]) == 2
    model = tiny_model()
    stopper = callbacks.EarlyStopping(patience=0, start_from_epoch=3)
    assert drive(stopper, model, [1.0, 2.0, 3.0, 4.0, 5.0]) == 4


def test_early_stopping_on_accuracy_maximises():
    model = tiny_model(metrics=["accuracy"])
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    # Maximising: 0.6 improves, 0.55 does not -> stop at epoch 2 (minimising would stop at 1).
    assert drive(stopper, model, [0.5, 0.6, 0.55, 0.58], key="val_accuracy") == 2


def test_early_stopping_cannot_guess_an_unknown_metrics_direction():
    model = tiny_model()
    stopper = callbacks.EarlyStopping(monitor="val_f1")
    with pytest.raises(ValueError, match="cannot tell whether `val_f1` should be minimised or maximised"):
        drive(stopper, model, [1.0], key="val_f1")


def test_missing_monitor_warns_with_available_keys():
    model = tiny_model()
    with pytest.warns(RuntimeWarning, match="EarlyStopping is conditioned on `val_loss`, which is not in the logs; available: other, loss"):
        drive(callbacks.EarlyStopping(), model, [1.0], key="other")


def test_reduce_lr_on_plateau_schedule_and_logged_rate():
    model = tiny_model()
    model.optimizer.learning_rate = 1.0
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    reducer.set_model(model)
    reducer.on_train_begin({})
    rates = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": value}
        reducer.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    # Keras counts the cooldown down at the start of each epoch, so cooldown=2 skips one epoch:
    # epoch 1 reduces (1.0 -> 0.5), epoch 2 cools down, epoch 3 reduces (0.25), 4 cools down,
    # epoch 5 reduces to max(0.125, 0.2) = 0.2, then it never goes lower. The logged rate is
    # the one the epoch ran with.
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2]
    assert model.optimizer.learning_rate == pytest.approx(0.2)


def test_reduce_lr_rejects_factor_of_one():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: `factor` must be in \[0, 1\), got 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_model_checkpoint_save_best_only_ignores_nan_and_worse(tmp_path):
    model = tiny_model()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best.seqlab"), save_best_only=True)
    checkpoint.set_model(model)
    saved = []
    for epoch, value in enumerate([0.5, 0.3, float("nan"), 0.4, 0.2]):
        with torch.no_grad():
            model.layers[0].kernel.fill_(epoch)
        before = (tmp_path / "best.seqlab").read_bytes() if (tmp_path / "best.seqlab").exists() else None
        checkpoint.on_epoch_end(epoch, {"val_loss": value})
        after = (tmp_path / "best.seqlab").read_bytes()
        saved.append(after != before)
    assert saved == [True, True, False, False, True]
    from seqlab.models import load_model
    assert load_model(tmp_path / "best.seqlab").layers[0].kernel[0, 0].item() == 4.0


def test_model_checkpoint_fills_the_filepath_template(tmp_path):
    model = tiny_model()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.seqlab"))
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(2, {"val_loss": 0.12345})
    assert (tmp_path / "ckpt-03-0.123.seqlab").exists()
    weights = callbacks.ModelCheckpoint(str(tmp_path / "sub" / "w-{epoch}.safetensors"), save_weights_only=True)
    weights.set_model(model)
    weights.on_epoch_end(0, {"val_loss": 1.0})
    assert (tmp_path / "sub" / "w-1.safetensors").exists()
    bad = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc}.seqlab"))
    bad.set_model(model)
    with pytest.raises(ValueError, match=r"cannot fill in filepath .* logged values \['val_loss'\]"):
        bad.on_epoch_end(0, {"val_loss": 1.0})


def test_csv_logger_writes_a_row_per_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    for append in (False, True):
        logger = callbacks.CSVLogger(path, append=append)
        logger.on_train_begin({})
        logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})
        logger.on_epoch_end(1, {"loss": 0.4, "val_loss": 0.2})
        logger.on_train_end({})
    rows = list(csv.reader(path.open()))
    assert rows == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.25"], ["1", "0.4", "0.2"],
                    ["0", "0.5", "0.25"], ["1", "0.4", "0.2"]]


def test_terminate_on_nan_stops_on_an_invalid_running_loss(capsys):
    model = tiny_model()
    terminate = callbacks.TerminateOnNaN()
    terminate.set_model(model)
    terminate.on_train_batch_end(0, {"loss": 0.3})
    assert not model.stop_training
    terminate.on_train_batch_end(1, {"loss": float("inf")})
    assert model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_lambda_callback_calls_the_given_functions():
    seen = []
    callback = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
    callback.on_epoch_end(3, {"loss": 0.1})
    assert seen == [(3, 0.1)]
    with pytest.raises(TypeError, match="LambdaCallback: `on_epoch_end` must be a function, got 3"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_history_records_every_key_in_order():
    model = tiny_model()
    history = callbacks.History()
    history.set_model(model)
    history.on_train_begin()
    for epoch in range(3):
        history.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0})
    assert history.epoch == [0, 1, 2]
    assert history.history == {"loss": [1.0, 0.5, 1 / 3], "val_loss": [2.0, 2.0, 2.0]}
    assert model.history is history


CALLBACKS = [
    callbacks.EarlyStopping(monitor="loss", min_delta=0.01, patience=3, mode="min", baseline=0.5,
                            restore_best_weights=True, start_from_epoch=2, verbose=1),
    callbacks.ReduceLROnPlateau(monitor="loss", factor=0.2, patience=4, mode="max", min_delta=0.1,
                                cooldown=2, min_lr=1e-5),
    callbacks.ModelCheckpoint("ckpt-{epoch:02d}.seqlab", monitor="val_mae", save_best_only=True,
                              save_weights_only=True, mode="min", initial_value_threshold=1.0),
    callbacks.CSVLogger("log.csv", separator=";", append=True),
    callbacks.TerminateOnNaN(),
    callbacks.History(),
    callbacks.LambdaCallback(on_train_end=print),
    callbacks.LearningRateScheduler(min, verbose=1),
]


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: type(c).__name__)
def test_every_callback_round_trips_through_its_config(callback):
    clone = type(callback).from_config(callback.get_config())
    assert type(clone) is type(callback)
    assert clone.get_config() == callback.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: callbacks.EarlyStopping(mode="biggest"), "EarlyStopping: `mode` must be 'auto', 'min' or 'max', got 'biggest'"),
    (lambda: callbacks.EarlyStopping(patience=-1), "EarlyStopping: `patience` must be a non-negative integer, got -1"),
    (lambda: callbacks.ModelCheckpoint("x", save_freq=10), "only save_freq='epoch' is supported"),
    (lambda: callbacks.CSVLogger("x", separator=";;"), "`separator` must be one character"),
])
def test_bad_callback_settings_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="`callbacks` must hold seqlab.callbacks.Callback objects, got 'stop'"):
        callbacks.CallbackList(["stop"])
    with pytest.raises(TypeError, match="`callbacks` must be a list of Callback objects"):
        callbacks.CallbackList(callbacks.History())


def test_batch_hooks_are_only_requested_when_overridden():
    assert not callbacks.CallbackList([callbacks.EarlyStopping()]).batch_hooks["train"]
    assert callbacks.CallbackList([callbacks.TerminateOnNaN()]).batch_hooks["train"]
    assert callbacks.CallbackList([callbacks.LambdaCallback(on_train_batch_end=print)]).batch_hooks["train"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callbacks.Callback().on_epoch_end(0, {})  # the base hooks do nothing


def test_a_misspelt_monitor_is_named_with_the_logged_values():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(ValueError, match=r"EarlyStopping: `monitor='val_los'` is not among the logged values; "
                                         r"did you mean 'val_loss'\? logged: loss, val_loss"):
        model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0, validation_split=0.25,
                  callbacks=[callbacks.EarlyStopping(monitor="val_los")])


@pytest.mark.parametrize("make", [
    lambda: callbacks.EarlyStopping(monitor="val_loss", min_delta=0.25),
    lambda: callbacks.ReduceLROnPlateau(monitor="val_loss", min_delta=0.25),
    lambda: callbacks.ModelCheckpoint("x", monitor="val_loss"),  # min_delta 0
])
def test_the_three_monitors_share_one_improvement_test(make):
    callback = make()
    assert isinstance(callback, MonitorCallback)
    callback.set_model(tiny_model())
    callback._resolve_direction({"val_loss": 1.0})
    assert callback._direction == "min"
    delta = callback.min_delta  # binary fractions: the sums below are exact
    assert callback._is_improvement(1.0, None)  # anything beats "nothing seen yet"
    assert callback._is_improvement(0.5, 0.5 + delta + 0.125)
    assert not callback._is_improvement(0.5, 0.5 + delta)  # better by exactly min_delta is not enough
    callback._direction = "max"
    assert callback._is_improvement(0.5 + delta + 0.125, 0.5)
    assert not callback._is_improvement(0.5 + delta, 0.5)


def test_min_delta_sign_as_keras():
    # keras/src/callbacks/early_stopping.py stores abs(min_delta); reduce_lr_on_plateau.py keeps
    # it signed (monitor_op = a < b - min_delta), so a negative one lets a slightly worse value count.
    assert callbacks.EarlyStopping(min_delta=-0.1).min_delta == 0.1
    reducer = callbacks.ReduceLROnPlateau(min_delta=-0.125)
    assert reducer.min_delta == -0.125
    reducer._direction = "min"
    assert reducer._is_improvement(0.5 + 0.0625, 0.5)  # worse by less than 0.125: still counts
    assert not reducer._is_improvement(0.5 + 0.25, 0.5)
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau: `min_delta` must be a number, got 'x'"):
        callbacks.ReduceLROnPlateau(min_delta="x")


@pytest.mark.parametrize("make, error, message", [
    (lambda: callbacks.EarlyStopping(patience=1.5), TypeError, "EarlyStopping: `patience` must be a non-negative integer, got 1.5"),
    (lambda: callbacks.EarlyStopping(start_from_epoch=-2), ValueError, "EarlyStopping: `start_from_epoch` must be a non-negative integer, got -2"),
    (lambda: callbacks.ReduceLROnPlateau(cooldown=-1), ValueError, "ReduceLROnPlateau: `cooldown` must be a non-negative integer, got -1"),
    (lambda: callbacks.ReduceLROnPlateau(factor="half"), TypeError, r"ReduceLROnPlateau: `factor` must be a number in \[0, 1\), got"),
    (lambda: callbacks.ModelCheckpoint("x", mode="up"), ValueError, "ModelCheckpoint: `mode` must be 'auto', 'min' or 'max', got 'up'"),
])
def test_monitor_settings_are_checked_with_the_shared_checks(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("weights_only, method", [(False, "save"), (True, "save_weights")])
def test_model_checkpoint_saves_through_the_models_own_methods(tmp_path, monkeypatch, weights_only, method):
    model = tiny_model()
    saved = []
    monkeypatch.setattr(model, method, lambda path, **kwargs: saved.append(path), raising=False)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.seqlab"), save_weights_only=weights_only)
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    assert saved == [str(tmp_path / "ckpt-1.seqlab")]
