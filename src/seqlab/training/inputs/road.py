"""The one road from what a user passes to batches on the model's device.

:func:`make_source` is the entry point of ``fit`` (its training and validation data),
``evaluate``, ``predict`` and the single-batch calls. Every source takes the same steps, in
this order, whatever the call:

1. convert and check (:func:`convert_batch`): each leaf of ``x``/``y``/``sample_weight`` becomes
   a tensor of the model's dtype, checked for type, NaN/inf, the model's input shape, the
   loss's labels (once the model is built) and one length across all leaves;
2. build the model from the first batch if needed and place it on its device (:func:`place`);
3. check the labels against the built model's outputs, if it was built just now;
4. the source's own checks (whole batches for a fixed-batch model) and the move to the device:
   arrays move once (:class:`~.arrays.ArraySource`), a stream's batches one by one
   (:class:`~.streams.StreamSource`).

What differs between the calls is a property of the :class:`~.roles.Role`; ``where`` is only the
text that starts every error message (``"fit: ..."``).
"""
from __future__ import annotations

import torch

from seqlab.checks import check_int
from seqlab.training.compile import attach_optimizer
from seqlab.training.inputs import arrays, convert, named, streams, tree
from seqlab.training.inputs.batch import Batch
from seqlab.training.inputs.roles import Role
from seqlab.training.inputs.rules import (ModelInfo, check_class_weight_keys, check_labels, check_target_shape,
                                          class_weights, input_tensor, model_classes, resolve_batch_size,
                                          target_tensor)


def make_source(model, setup, role: Role, x, y=None, sample_weight=None, *, where: str, class_weight=None,
                batch_size=None, steps=None, batch_input_shape=None, shuffle=False, validation_data=None,
                validation_split=0.0, validation_batch_size=None, validation_steps=None):
    """A source of device batches (``steps`` per pass, ``batches()``) for ``x``/``y``/``sample_weight``.

    ``setup`` is the model's compiled setup (None for an uncompiled model's ``predict``). For a
    packed role (``Role.VALIDATE``) ``x`` is the whole ``validation_data``. ``fit``'s validation
    arguments give the source a ``validation`` source (else it is None): ``validation_data``
    (arrays or a stream), or, as in Keras, failing that the last ``validation_split`` of the
    samples, before shuffling; batched by ``validation_batch_size``, else as the training data.
    """
    source = _source(model, setup, role, x, y, sample_weight, where, class_weight, batch_size, steps,
                     batch_input_shape, shuffle, validation_split, validation_data is not None,
                     validation_batch_size)
    if validation_data is not None:
        source.validation = make_source(model, setup, Role.VALIDATE, validation_data, where=where,
                                        batch_size=validation_batch_size or source.batch_size,
                                        steps=validation_steps)
    return source


def _source(model, setup, role, x, y, sample_weight, where, class_weight, batch_size, steps, batch_input_shape,
            shuffle, validation_split, validation_given, validation_batch_size):
    info = ModelInfo.of(model)
    if not role.one_batch and streams.is_stream(x):  # one batch is arrays: a loader is refused as one
        streams.check_arguments(x, role, where, validation_split, y=y, sample_weight=sample_weight,
                                batch_size=batch_size, batch_input_shape=batch_input_shape)
        if steps is not None:
            steps = check_int(where, role.steps_argument, steps)
        source = streams.StreamSource(
            info, role, x, steps,
            lambda raw: convert_batch(info, setup, role, *streams.unpack(raw, role, where), where, class_weight),
            where)
        source.device = _place(info, setup, role, source.first, where, class_weight)
        return source
    arrays.refuse_steps(role, steps, where)
    batch = convert_batch(info, setup, role, *arrays.unpack(role, x, y, sample_weight, where), where, class_weight)
    if role.one_batch:
        batch_size = max(batch.size, 1)  # predict_on_batch on no samples: one empty batch
    else:
        batch_size = resolve_batch_size(info, batch_size, where, batch_input_shape, tree.first_leaf(batch.x))
    device = _place(info, setup, role, batch, where, class_weight)
    validation = None
    if validation_split and not validation_given:  # Keras: validation_data overrides validation_split
        batch, rest = batch.split(validation_split, where)  # Keras: before shuffling
        validation = arrays.ArraySource(info, Role.VALIDATE, rest,
                                        resolve_batch_size(info, validation_batch_size or batch_size, where),
                                        device, where)
    source = arrays.ArraySource(info, role, batch, batch_size, device, where, shuffle)
    source.validation = validation
    return source


def convert_batch(info: ModelInfo, setup, role: Role, x, y, sample_weight, where: str,
                  class_weight=None) -> Batch:
    """User data (arrays, or one batch of a stream) as a checked :class:`Batch`; NumPy data stays
    on the host until the source moves it."""
    if info.inputs is not None:
        return _convert_named(info, setup, role, x, y, sample_weight, where, class_weight)
    prefix, nested = role.prefix, info.nested
    inputs = tree.map_leaves(lambda leaf, name: input_tensor(info, leaf, name, where), x, f"{prefix}x", nested)
    if not role.targets:
        if nested:
            convert.check_same_length(tree.named_leaves(inputs, f"{prefix}x"), where)
        return Batch(inputs)
    targets = tree.map_leaves(lambda leaf, name: target_tensor(info, setup, leaf, name, where),
                              y, f"{prefix}y", nested)
    weight = None
    if sample_weight is not None:
        weight = tree.map_leaves(lambda leaf, name: _weight_tensor(info, leaf, name, targets, where),
                                 sample_weight, f"{prefix}sample_weight", nested)
    convert.check_same_length(tree.named_leaves(inputs, f"{prefix}x") + tree.named_leaves(targets, f"{prefix}y")
                              + tree.named_leaves(weight, f"{prefix}sample_weight"), where)
    check_labels(info, setup, targets, f"{prefix}y", where)  # a no-op until the model is built
    check_target_shape(info, setup, targets, f"{prefix}y", where)  # likewise
    if class_weight is not None:
        weight = class_weights(class_weight, targets, where, model_classes(info.model))
    return Batch(inputs, targets, weight)


def _convert_named(info: ModelInfo, setup, role: Role, x, y, sample_weight, where: str, class_weight) -> Batch:
    """:func:`convert_batch` for a model of named inputs and outputs (see :mod:`.named`)."""
    prefix, model = role.prefix, info.model
    specs = info.inputs
    inputs = named.inputs(x, [spec[0] for spec in specs], model.name, f"{prefix}x", where,
                          lambda leaf, name, index: input_tensor(info, leaf, name, where, specs[index]))
    x_leaves = tree.named_leaves(inputs, f"{prefix}x") if len(specs) > 1 else [(f"{prefix}x", inputs)]
    if not role.targets:
        convert.check_same_length(x_leaves, where)
        return Batch(inputs)
    plan, names = setup.outputs, info.output_names
    needed = [loss is not None or bool(metrics)
              for loss, metrics in zip(plan.losses, plan.metric_identifiers)]
    targets = named.targets(y, names, needed, model.name, f"{prefix}y", where,
                            lambda leaf, name, index: target_tensor(info, setup, leaf, name, where,
                                                                    plan.losses[index]))
    y_leaves = [(_leaf_name(y, names, index, f"{prefix}y"), target) for index, target in enumerate(targets)
                if target is not None]
    weight = None
    if sample_weight is not None:
        weight = named.weights(sample_weight, names, model.name, f"{prefix}sample_weight", where,
                               lambda leaf, name, index: _weight_tensor(info, leaf, name,
                                                                        None if index is None else targets[index], where))
    w_leaves = [(f"{prefix}sample_weight", weight)] if isinstance(weight, torch.Tensor) else \
        [(_leaf_name(sample_weight, names, index, f"{prefix}sample_weight"), w)
         for index, w in enumerate(weight or []) if w is not None]
    convert.check_same_length(x_leaves + y_leaves + w_leaves, where)
    check_labels(info, setup, targets, f"{prefix}y", where)
    if class_weight is not None:
        present = [target for target in targets if target is not None]
        if len(names) > 1:  # Keras 3 refuses it too: the weights of which output?
            raise ValueError(f"{where}: `class_weight` is only supported for a model of one output; model "
                             f"'{model.name}' has {len(names)} outputs {names}; pass `sample_weight` per output")
        weight = class_weights(class_weight, present[0], where, model_classes(model))
    return Batch(inputs, targets, weight)


def _leaf_name(value, names, index: int, argument: str) -> str:
    """What the user calls one output's entry: ``y['out']``, ``y[1]`` or ``y``."""
    if isinstance(value, dict):
        return f"{argument}[{names[index]!r}]"
    if isinstance(value, (list, tuple)) and len(names) > 1:
        return f"{argument}[{index}]"
    return argument


def _weight_tensor(info: ModelInfo, value, name: str, targets, where: str) -> torch.Tensor:
    weight = convert.to_tensor(value, name, where, info.y_dtype, None)
    if weight.numel() and bool((weight < 0).any()):
        # Keras would train on it: a negative weight turns the loss of its sample into a reward
        raise ValueError(f"{where}: `{name}` must be >= 0 (a weight scales its sample's loss), got "
                         f"{float(weight.min()):g}")
    if isinstance(targets, torch.Tensor) and weight.ndim > targets.ndim:
        raise ValueError(
            f"{where}: `{name}` must have shape (N,) or the targets' shape, got "
            f"{tuple(weight.shape)} for targets of shape {tuple(targets.shape)}"
        )
    return weight


def _place(info: ModelInfo, setup, role: Role, first: Batch, where: str, class_weight=None) -> torch.device:
    """:func:`place`, then the checks of labels and class weights that had to wait for the model
    to be built."""
    built = info.model.built
    device = place(info.model, setup, role, first.x)
    if role.targets and not built:
        check_labels(info, setup, first.y, f"{role.prefix}y", where)
        check_target_shape(info, setup, first.y, f"{role.prefix}y", where)
        check_class_weight_keys(class_weight, model_classes(info.model), where)
    return device


def place(model, setup, role: Role, x) -> torch.device:
    """Build the model for ``x``'s shapes if needed and put it on its device (the compiled one,
    else where it is). Roles with targets also attach the optimizer, so the model is ready to
    train whichever call ran first (validation data comes after fit's own); ``predict`` needs no
    compile and attaches nothing."""
    if not model.built:
        model.build(tree.batch_shape(x))
    current = model.device
    device = (setup.device if setup is not None else None) or current
    if current != device:
        model.to(device)
    if role.attaches_optimizer:
        attach_optimizer(model, setup.optimizer)
        engine = setup.optimizer.engine
        if hasattr(engine, "follow_parameters"):  # the model may have moved since the last fit
            engine.follow_parameters()
    return device
