"""``model.compile``: resolve the loss, metrics, optimizer and device once.

What is stored on ``model.compiled`` (a :class:`CompiledSetup`) is everything ``fit`` needs,
plus the original identifiers, which :func:`get_compile_config` writes as JSON and
:func:`compile_from_config` reads back (a model file's ``compile.json``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

from seqlab.errors import NotCompiledError, describe
from seqlab.training import jit, losses, metrics as metrics_module, optimizers
from seqlab.training.outputs import OutputPlan

_KERAS_ONLY = {"run_eagerly", "steps_per_execution", "auto_scale_loss"}


@dataclass
class CompiledSetup:
    """The result of ``compile``; read by the training loop, callbacks and saving."""

    loss: losses.Loss | None  # None: compiled for predict only (or a model of several outputs)
    optimizer: optimizers.Optimizer
    metric_identifiers: list = field(default_factory=list)  # as the user gave them
    loss_identifier: object = None
    device: torch.device | None = None  # None: wherever the model is
    loss_weight: float | None = None  # Keras's loss_weights as a number, for one output
    outputs: OutputPlan | None = None  # a model of several inputs/outputs: everything per output
    jit_compile: bool = False  # train with the forward compiled by torch.compile (see .jit)
    jit_forward: jit.CompiledForward | None = None  # made by compile when jit_compile resolves True

    @property
    def has_loss(self) -> bool:
        if self.outputs is not None:
            return any(loss is not None for loss in self.outputs.losses)
        return self.loss is not None

    def make_metrics(self) -> list[metrics_module.Metric]:
        """Fresh metric objects (a user's Metric instance is copied: train and validation keep
        separate totals); for several outputs, named ``<output>_<metric>`` and read from the
        outputs in :attr:`metric_outputs`."""
        if self.outputs is not None:
            return self.outputs.make_metrics()[1]
        made = [
            copy.deepcopy(identifier) if isinstance(identifier, metrics_module.Metric)
            else metrics_module.get(identifier)
            for identifier in self.metric_identifiers
        ]
        for metric in made:
            metric.reset_state()
        return made

    @property
    def metric_names(self) -> list[str]:
        """The History names after ``loss``: the metrics, then (several outputs) each output's loss."""
        names = [metric.name for metric in self._probe_metrics]
        return names + (self.outputs.loss_names if self.outputs is not None else [])

    def metric_direction(self, name: str) -> str | None:
        """``'up'``/``'down'`` for a compiled metric's History name, or None if unknown."""
        if self.outputs is not None and name in self.outputs.loss_names:
            return "down"
        for metric in self._probe_metrics:
            if metric.name == name:
                return metric.direction
        return None

    def __post_init__(self):
        self._probe_metrics = self.make_metrics()
        # The output each metric reads (several outputs; fixed by the compile settings).
        self.metric_outputs = self.outputs.make_metrics()[0] if self.outputs is not None else None


def resolve_device(device) -> torch.device | None:
    """``None`` (keep the model where it is), ``'cpu'``, ``'cuda'``/``'cuda:1'``, ``'auto'`` or a torch.device."""
    if device is None:
        return None
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"compile: `device` must be None, 'auto', 'cpu', 'cuda' or a torch.device, got {describe(device)}"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"compile: device={device!r} was requested but torch.cuda.is_available() is False; "
            "use device='auto' to fall back to the CPU explicitly"
        )
    if resolved.type == "cuda":
        # With its index, so comparing it with a parameter's device (always indexed) is exact.
        index = torch.cuda.current_device() if resolved.index is None else resolved.index
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"compile: device={device!r} does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s), cuda:0 to cuda:{torch.cuda.device_count() - 1}"
            )
        resolved = torch.device("cuda", index)
    return resolved


def compile_model(model, optimizer="rmsprop", loss=None, metrics=None, device=None, loss_weights=None,
                  jit_compile="auto", **kwargs):
    """Configure ``model`` for training (Keras's ``compile``).

    Args:
        model: a :class:`~seqlab.models.Sequential`.
        optimizer: a name (``'adam'``, ``'sgd'``, ``'rmsprop'``, ``'adagrad'``, ``'adamw'``), a
            :mod:`seqlab.optimizers` object or a ``torch.optim`` optimizer.
        loss: a name (see ``seqlab.losses.names()``), a Loss object, a torch loss module or a
            function ``fn(y_true, y_pred)`` on tensors. For a model of several outputs, one loss
            for all of them, a list (output order) or a dict keyed by output name (see
            :mod:`seqlab.training.outputs`).
        metrics: a list of names (``'accuracy'``, ``'mae'``, ``'rmse'``...), Metric objects or
            functions; History keys use the names as given (a function's ``__name__``). For
            several outputs, one entry (a metric or a list) per output, or a dict by output name.
        device: ``None`` (default: keep the model where it is, the CPU for a new model), ``'cpu'``,
            ``'cuda'``, ``'auto'`` (CUDA when available) or a ``torch.device``.
        loss_weights: a number (one output), or a list/dict per output: the total loss is the
            weighted sum of the outputs' losses.
        jit_compile: ``True`` compiles the training forward pass with ``torch.compile``
            (inductor) on the first batch of ``fit``; ``False`` runs eagerly; ``'auto'`` (the
            default, as Keras) compiles only where :mod:`seqlab.training.jit` measured it
            faster — on Keras's torch backend ``'auto'`` is eager too. See docs/training.md.
        **kwargs: Keras's ``run_eagerly``/``steps_per_execution``/``auto_scale_loss``
            are accepted and have no effect (seqlab always runs eagerly).

    >>> import seqlab
    >>> model = seqlab.Sequential([seqlab.layers.Dense(1, input_shape=(3,))])
    >>> model.compile(optimizer='adam', loss='mse', metrics=['mae'])
    """
    unknown = set(kwargs) - _KERAS_ONLY
    if unknown:
        raise TypeError(
            f"compile() got unexpected keyword arguments {sorted(unknown)}; it takes optimizer, "
            f"loss, metrics, device (and Keras's no-op {sorted(_KERAS_ONLY)})"
        )
    if not (jit_compile is True or jit_compile is False or jit_compile == "auto"):
        raise ValueError(f"compile: `jit_compile` must be True, False or 'auto', got {jit_compile!r}")
    if kwargs.get("steps_per_execution", 1) != 1:
        raise ValueError("compile: only steps_per_execution=1 is supported")
    if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
        raise TypeError(f"compile: `metrics` must be a list, e.g. ['accuracy'], got {describe(metrics)}")
    if getattr(type(model), "nested_inputs", False):  # several inputs/outputs: per-output settings
        plan = OutputPlan.resolve(model, loss, loss_weights, metrics)
        setup = CompiledSetup(loss=None, optimizer=optimizers.get(optimizer), loss_identifier=loss,
                              device=resolve_device(device), outputs=plan)
    else:
        if loss_weights is not None and (isinstance(loss_weights, bool)
                                         or not isinstance(loss_weights, (int, float))):
            raise TypeError(f"compile: `loss_weights` must be a number for a model of one output, "
                            f"got {describe(loss_weights)}")
        setup = CompiledSetup(
            loss=None if loss is None else losses.get(loss),
            optimizer=optimizers.get(optimizer),
            metric_identifiers=[] if metrics is None else list(metrics),
            loss_identifier=loss,
            device=resolve_device(device),
            loss_weight=None if loss_weights is None else float(loss_weights),
        )
    names = setup.metric_names
    duplicates = sorted({name for name in names if names.count(name) > 1 or name == "loss"})
    if duplicates:
        raise ValueError(f"compile: metric names must be unique and not 'loss', got {duplicates} in {names}")
    setup.jit_compile = jit.resolve(jit_compile, model)
    setup.jit_forward = jit.CompiledForward(model) if setup.jit_compile else None
    model.compiled = setup
    # Plain attributes, as Keras has them; object.__setattr__ keeps a torch loss module from
    # being registered as a submodule of the model.
    object.__setattr__(model, "optimizer", setup.optimizer)
    object.__setattr__(model, "loss", loss)
    if setup.device is not None and model.built:
        model.to(setup.device)


# ---- the compile settings as JSON (Keras's get_compile_config / compile_from_config) ---------------
class MissingCustomObjectError(ValueError):
    """A compile config names a user loss or metric that ``custom_objects`` does not supply
    (functions are stored by name only: code is never saved)."""

    def __init__(self, kind: str, name: str):
        super().__init__(f"the compile config names a custom {kind} {name!r}, which is not in custom_objects")
        self.kind = kind
        self.name = name


def get_compile_config(model) -> dict | None:
    """The loss, metrics and optimizer ``model`` was compiled with, as JSON; None if it was not
    compiled (Keras's ``model.get_compile_config()``)."""
    setup = getattr(model, "compiled", None)
    if setup is None:
        return None
    if setup.outputs is not None:
        return {**setup.outputs.config(), "optimizer": optimizers.serialize(setup.optimizer)}
    config = {
        "loss": None if setup.loss_identifier is None else losses.serialize(setup.loss_identifier),
        "metrics": [metrics_module.serialize(m) for m in setup.metric_identifiers],
        "optimizer": optimizers.serialize(setup.optimizer),
    }
    if setup.loss_weight is not None:
        config["loss_weights"] = setup.loss_weight
    return config


def compile_from_config(model, config: dict, custom_objects: dict | None = None) -> None:
    """Compile ``model`` from :func:`get_compile_config`'s JSON (Keras's
    ``model.compile_from_config``). User functions are looked up in ``custom_objects``.

    Unlike Keras, the optimizer is not built here: it is built on the trainable weights at the
    first ``fit`` (or when saved optimizer state is loaded into it), as after ``compile``.

    Raises:
        MissingCustomObjectError: a custom loss or metric is not in ``custom_objects``.
        ValueError: the optimizer settings cannot be restored.
    """
    def custom(kind, deserialize, item):
        try:
            return deserialize(item, custom_objects)
        except KeyError as missing:
            raise MissingCustomObjectError(kind, missing.args[0]) from None

    if config.get("per_output"):  # a model of several outputs: dicts keyed by output name
        loss = {name: None if item is None else custom("loss", losses.deserialize, item)
                for name, item in config["loss"].items()}
        metric_list = {name: [custom("metric", metrics_module.deserialize, item) for item in items]
                       for name, items in config.get("metrics", {}).items()}
    else:
        loss = None if config.get("loss") is None else custom("loss", losses.deserialize, config["loss"])
        metric_list = [custom("metric", metrics_module.deserialize, item) for item in config.get("metrics", [])]
    try:
        optimizer = optimizers.deserialize(config["optimizer"], parameters=model.parameters())
    except (TypeError, ValueError) as error:
        raise ValueError(f"the compile config holds optimizer settings that cannot be restored: {error}") from error
    weights = {} if config.get("loss_weights") is None else {"loss_weights": config["loss_weights"]}
    model.compile(optimizer=optimizer, loss=loss, metrics=metric_list, **weights)  # as Keras: the model's own compile


def require_compiled(model, what: str) -> CompiledSetup:
    setup = getattr(model, "compiled", None)
    if setup is None:
        raise NotCompiledError(
            f"model '{model.name}' must be compiled before `{what}`: call "
            "model.compile(optimizer='adam', loss='mse') first"
        )
    if not setup.has_loss and what != "predict":
        raise NotCompiledError(
            f"model '{model.name}' was compiled without a loss, so `{what}` has nothing to "
            "minimise; pass loss=... to compile()"
        )
    return setup


def named_parameters(model) -> list[tuple[str, torch.nn.Parameter]]:
    """Trainable parameters named ``"<layer name>/<path inside the layer>"``: stable across
    save/load because they do not depend on the torch module path of the model."""
    named = []
    for key, layer in model.keyed_layers():  # layer names; a subclassed model's attribute paths
        for path, parameter in layer.named_parameters():
            if parameter.requires_grad:
                named.append((f"{key}/{path}", parameter))
    return named


def attach_optimizer(model, optimizer) -> None:
    """Build ``optimizer`` on the model's trainable parameters, once; refuse to share one
    optimizer object between two models (the second would silently never train)."""
    owner = getattr(optimizer, "_model_id", None)
    if owner is not None and owner != id(model):
        raise ValueError(
            f"this {type(optimizer).__name__} object already updates the weights of another "
            f"model; give model '{model.name}' its own, e.g. compile(optimizer="
            f"seqlab.optimizers.{type(optimizer).__name__}(...))"
        )
    if not optimizer.built:
        named = named_parameters(model)
        if named:  # a fully frozen model has nothing to optimise (yet)
            optimizer.build(named)
            optimizer._model_id = id(model)
