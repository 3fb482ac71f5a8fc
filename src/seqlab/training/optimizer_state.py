"""An optimizer's state (moments, step counts) as named tensors + JSON, and back.

torch's ``state_dict`` indexes parameters by position and holds Python scalars beside tensors;
pickling it would make a model file able to run code. Here every tensor is keyed
``"<layer name>/<parameter path>/<slot>"`` (the names of :func:`~seqlab.training.compile.named_parameters`,
independent of torch module paths) and everything else is plain JSON, so the state can be
written to safetensors and restored into a model rebuilt from its config.
"""
from __future__ import annotations

import torch

from seqlab.training.compile import attach_optimizer, named_parameters
from seqlab.training.optimizers import TorchOptimizer


def get_optimizer_state(model) -> tuple[dict, dict] | None:
    """``(tensors, json)`` for the compiled optimizer of ``model``, or None before its first step
    (an optimizer that was never built has no state to keep)."""
    setup = getattr(model, "compiled", None)
    if setup is None or not setup.optimizer.built:
        return None
    optimizer = setup.optimizer
    state = optimizer.engine.state_dict()
    param_names = list(optimizer.param_names) or [name for name, _ in named_parameters(model)]
    tensors, scalars = {}, {}
    for index, slots in state["state"].items():
        name = param_names[index]
        for slot, value in slots.items():
            if isinstance(value, torch.Tensor):
                # A copy: on the CPU .cpu() would alias the live buffers, which the next step
                # updates in place.
                tensors[f"{name}/{slot}"] = value.detach().to("cpu", copy=True).contiguous()
            elif value is not None:
                scalars.setdefault(name, {})[slot] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()}
              for group in state["param_groups"]]
    return tensors, {"param_names": param_names, "param_groups": groups, "scalars": scalars}


def set_optimizer_state(model, tensors: dict, spec: dict) -> None:
    """Attach the compiled optimizer of ``model`` and load the state from :func:`get_optimizer_state`.

    ``spec`` has been checked for its shape already (a model file's ``optimizer.json``: see
    :mod:`seqlab.models.file_schema`); here it is checked against this optimizer and these
    parameters, so a state that loads is one the next ``fit`` can use.

    Raises:
        ValueError: the state is for other parameters, or its settings or tensors do not fit them.
    """
    optimizer = model.compiled.optimizer
    attach_optimizer(model, optimizer)
    current = list(optimizer.param_names) or [name for name, _ in named_parameters(model)]
    saved = spec["param_names"]
    if sorted(saved) != sorted(current):
        raise ValueError(f"the optimizer state is for parameters {saved}, the model has {current}")
    if optimizer.engine is None:  # nothing trainable, nothing saved
        return
    parameters = [p for group in optimizer.engine.param_groups for p in group["params"]]
    index_of = {name: i for i, name in enumerate(current)}
    state = {}
    for name in saved:
        slots = dict(spec.get("scalars", {}).get(name, {}))
        prefix = f"{name}/"
        for key, value in tensors.items():
            if key.startswith(prefix) and "/" not in key[len(prefix):]:
                slots[key[len(prefix):]] = value
        if slots:
            _check_slots(optimizer, name, slots, parameters[index_of[name]])
            state[index_of[name]] = slots
    groups = []
    for group in spec["param_groups"]:
        group = dict(group)
        group["params"] = [index_of[saved[i]] for i in group["params"]]
        groups.append(group)
    _check_group_settings(optimizer, groups)
    try:
        optimizer.engine.load_state_dict({"state": state, "param_groups": groups})
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise ValueError(f"the optimizer state does not fit the model: {error}") from error


def _check_slots(optimizer, name: str, slots: dict, parameter: torch.Tensor) -> None:
    # A seqlab rule names its slots in _init_state: exactly those, shaped like the parameter.
    if not isinstance(optimizer, TorchOptimizer):
        expected = {}
        optimizer._init_state(expected, torch.empty(0))
        if set(slots) != set(expected):
            raise ValueError(f"the optimizer state of '{name}' has the slots {sorted(slots)}; "
                             f"{type(optimizer).__name__} keeps {sorted(expected)}")
    for slot, value in slots.items():
        if not isinstance(value, torch.Tensor):
            continue
        if value.numel() == 1 and value.dim() <= 1 and tuple(parameter.shape) != tuple(value.shape):
            continue  # a step count kept as a tensor (torch.optim)
        if tuple(value.shape) != tuple(parameter.shape) or not value.is_floating_point():
            raise ValueError(f"the optimizer state '{name}/{slot}' is a {value.dtype} tensor of shape "
                             f"{tuple(value.shape)}; the parameter '{name}' is {parameter.dtype} "
                             f"of shape {tuple(parameter.shape)}")


def _check_group_settings(optimizer, groups: list) -> None:
    # Each saved setting must be one this optimizer has, of the same kind (a number for a
    # number...): a learning rate of "abc" would otherwise load and fail in the next fit.
    current_groups = optimizer.engine.param_groups
    if len(groups) != len(current_groups):
        raise ValueError(f"the optimizer state has {len(groups)} parameter groups, "
                         f"{type(optimizer).__name__} has {len(current_groups)}")
    for index, (saved, current) in enumerate(zip(groups, current_groups)):
        for key, value in saved.items():
            if key == "params":
                continue
            if key not in current:
                if isinstance(optimizer, TorchOptimizer):  # torch's schedulers add e.g. 'initial_lr'
                    continue
                raise ValueError(f"the optimizer state's param_groups[{index}] sets {key!r}, which "
                                 f"{type(optimizer).__name__} does not have (it has "
                                 f"{sorted(k for k in current if k != 'params')})")
            if not _same_kind(value, current[key]):
                raise ValueError(f"the optimizer state's param_groups[{index}].{key} is {value!r}; "
                                 f"{type(optimizer).__name__} keeps a value like {current[key]!r} there")


def _same_kind(saved, current) -> bool:
    if current is None or saved is None:
        return True
    if isinstance(current, bool) or isinstance(saved, bool):
        return isinstance(current, bool) and isinstance(saved, bool)
    if isinstance(current, (int, float)):
        return isinstance(saved, (int, float))  # (an integer count is checked as one by the file's schema)
    if isinstance(current, (list, tuple)):
        return isinstance(saved, (list, tuple)) and len(saved) == len(current)
    if isinstance(current, torch.Tensor):
        return isinstance(saved, (int, float))
    return type(saved) is type(current)
