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

    Raises:
        ValueError: the state is for other parameters, or its tensors do not fit them.
    """
    optimizer = model.compiled.optimizer
    attach_optimizer(model, optimizer)
    current = list(optimizer.param_names) or [name for name, _ in named_parameters(model)]
    saved = spec["param_names"]
    if sorted(saved) != sorted(current):
        raise ValueError(f"the optimizer state is for parameters {saved}, the model has {current}")
    index_of = {name: i for i, name in enumerate(current)}
    state = {}
    for name in saved:
        slots = dict(spec.get("scalars", {}).get(name, {}))
        prefix = f"{name}/"
        for key, value in tensors.items():
            if key.startswith(prefix) and "/" not in key[len(prefix):]:
                slots[key[len(prefix):]] = value
        if slots:
            state[index_of[name]] = slots
    groups = []
    for group in spec["param_groups"]:
        group = dict(group)
        group["params"] = [index_of[saved[i]] for i in group["params"]]
        groups.append(group)
    try:
        optimizer.engine.load_state_dict({"state": state, "param_groups": groups})
    except (KeyError, ValueError, RuntimeError) as error:
        raise ValueError(f"the optimizer state does not fit the model: {error}") from error
