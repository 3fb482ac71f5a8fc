"""Steps 3 and 4 of a run: build the spec's layers into a ``Sequential``, compile, train, predict.

The model is exactly what the Python API builds: ``Input(shape=(look_back, n_inputs))``
followed by the spec's layers, constructed by their class names and arguments. Its last layer
must give what the evaluation needs: ``horizon × n_targets`` values per window for direct
forecasts, ``n_targets`` (one step) for recursive ones.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.callbacks import EarlyStopping
from seqlab.experiment.checks import layer_error
from seqlab.experiment.errors import spec_error
from seqlab.experiment.prepare import Prepared
from seqlab.experiment.spec import Spec
from seqlab.forecast.recursive import recursive_forecast
from seqlab.layers import Input, registry
from seqlab.models import Sequential
from seqlab.training import optimizers


# training.precision -> the layers' dtype policy
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16"}


def outputs_needed(spec: Spec) -> int:
    """Values the model's last layer must output per window."""
    steps = 1 if spec.evaluation.multi_step == "recursive" else spec.windows.horizon
    return steps * len(spec.targets)


def build_model(spec: Spec, n_inputs: int):
    """A fresh ``Sequential`` from the spec (weights drawn from the current random state)."""
    layers = [Input(shape=(spec.windows.look_back, n_inputs))]
    for i, entry in enumerate(spec.model.layers):
        arguments = dict(entry)
        kind = arguments.pop("type")
        try:
            layers.append(registry.get_class(kind)(**arguments))
        except (TypeError, ValueError) as error:
            raise spec_error(spec, f"model.layers[{i}]", layer_error(kind, error)) from None
    try:
        model = Sequential(layers, name=spec.name.replace(".", "_"), dtype=POLICIES[spec.training.precision])
    except (TypeError, ValueError) as error:
        raise spec_error(spec, "model.layers", str(error)) from None
    if spec.training.precision == "bf16" and not model.layers[-1]._dtype_given:
        # Keras's advice for mixed precision: the output layer in float32, so the forecast is
        # not rounded to bfloat16's 3 significant digits.
        model.layers[-1].dtype_policy = "float32"
    shape = tuple(model.output_shape)
    size = int(np.prod([d for d in shape[1:]])) if all(d is not None for d in shape[1:]) else None
    needed = outputs_needed(spec)
    if size != needed:
        how = ("recursive forecasts need one step" if spec.evaluation.multi_step == "recursive"
               else f"direct forecasts of windows.horizon = {spec.windows.horizon} steps")
        raise spec_error(
            spec, "model.layers",
            f"the model outputs shape {shape}, but {how} for {len(spec.targets)} target(s) need "
            f"{needed} value(s) per window; end with Dense({needed})"
            + (" after a Flatten (or a recurrent layer with return_sequences = false)" if len(shape) > 2 else ""))
    return model


def compile_model(model, spec: Spec, device=None) -> None:
    training = spec.training
    optimizer = optimizers.get(training.optimizer)
    if training.learning_rate is not None:
        optimizer = type(optimizer)(learning_rate=training.learning_rate)
    try:
        model.compile(optimizer=optimizer, loss=training.loss, device=device)
    except (TypeError, ValueError) as error:
        raise spec_error(spec, "training.loss", str(error)) from None


def training_targets(spec: Spec, y: np.ndarray) -> np.ndarray:
    """``(N, horizon, n_targets)`` windows as the model's output layout ``(N, outputs)``."""
    if spec.evaluation.multi_step == "recursive":
        y = y[:, :1, :]  # a one-step model learns the first target of each window
    return y.reshape(len(y), -1)


def train(model, spec: Spec, data: Prepared, epochs: int | None = None, verbose: int = 1,
          validation: bool = True) -> pd.DataFrame:
    """Fit on the train windows (validation windows for early stopping); the history per epoch."""
    training = spec.training
    callbacks = []
    use_validation = validation and data.x_val is not None
    if training.early_stopping is not None and (use_validation or training.early_stopping.monitor == "loss"):
        stopping = training.early_stopping
        callbacks.append(EarlyStopping(monitor=stopping.monitor, patience=stopping.patience,
                                       min_delta=stopping.min_delta,
                                       restore_best_weights=stopping.restore_best_weights))
    history = model.fit(
        data.x_train, training_targets(spec, data.y_train),
        epochs=epochs or training.epochs, batch_size=training.batch_size, shuffle=training.shuffle,
        validation_data=(data.x_val, training_targets(spec, data.y_val)) if use_validation else None,
        callbacks=callbacks, verbose=verbose,
    )
    return pd.DataFrame(history.history)


def predict_scaled(model, spec: Spec, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's forecasts for windows ``x``, scaled, shape ``(N, horizon, n_targets)``."""
    horizon, n_targets = spec.windows.horizon, len(spec.targets)
    if spec.evaluation.multi_step == "recursive":
        def step(window):
            return np.asarray(model.predict(window.astype(np.float32), batch_size=batch_size, verbose=0))

        return recursive_forecast(step, x, horizon)
    out = np.asarray(model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0), dtype=np.float64)
    return out.reshape(len(x), horizon, n_targets)
