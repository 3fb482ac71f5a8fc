"""Where training stands: the epochs finished and every random generator's state, so that a fit
resumed from a saved model repeats the uninterrupted one exactly.

A shuffled fit draws each epoch's order from torch's CPU generator, dropout without a ``seed``
draws from torch's generator of the model's device, and a layer with a ``seed`` draws from its own
generator (:mod:`seqlab.layers.seeded`). ``fit`` records all of them at the end of every epoch
(:func:`capture`), before the ``on_epoch_end`` callbacks, so a ``ModelCheckpoint`` or a
``model.save`` after ``fit`` writes the state of that epoch's end (even if something drew from
them in between). NumPy's and Python's global generators are recorded too, when the file is
written: seqlab's training never draws from them (a generator of batches of yours may), and
reading them costs about 0.3 ms, too much to pay at every epoch of a fit called thousands of
times (the notes' echo example).

In a model file the state is ``training_state.safetensors`` (the generators' bytes and words,
as uint8 and uint32 tensors) and ``training_state.json`` (the epoch and the few scalars the
generators keep beside their words); nothing is pickled. :func:`from_file` checks that each
generator accepts its state (on scratch generators) before the model is returned, so a bad state
fails at load time, naming the file, not in the next ``fit``.

``fit(..., initial_epoch=k)`` on a model whose state says ``k`` epochs were finished, and that
was loaded from a file, puts the generators back first (:func:`restore_for_fit`); in the
process that trained the model they already stand there, and are left alone.
"""
from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from seqlab.layers.seeded import SeededDraws

# What each state is in a file: its dtype and length (torch's CPU generator is a Mersenne
# twister: 5056 bytes; a CUDA generator is Philox: 16 bytes, its seed and offset).
CPU_STATE_BYTES = int(torch.get_rng_state().numel())
CUDA_STATE_BYTES = 16
NUMPY_KEYS = 624  # MT19937's words (np.random.get_state()[1])
PYTHON_WORDS = 625  # random.getstate()[1]: 624 words and the position

TORCH_CPU, TORCH_CUDA, NUMPY_WORDS, PYTHON_STATE, LAYERS = (
    "torch/cpu", "torch/cuda/", "numpy/keys", "python/state", "layers/")


@dataclass
class TrainingState:
    """The epochs finished and the generators' states at the end of the last of them."""

    epoch: int
    torch_cpu: torch.Tensor  # uint8 (CPU_STATE_BYTES,)
    torch_cuda: list = field(default_factory=list)  # uint8 (16,) per CUDA device, when CUDA was used
    numpy: tuple = None  # np.random.get_state(): read when written (None until then)
    python: tuple = None  # random.getstate(): likewise
    layers: dict = field(default_factory=dict)  # {module path: {device: uint8 state}}
    from_file: bool = False  # loaded, so a fit at `epoch` puts the generators back first


def capture(model, epoch: int) -> TrainingState:
    """torch's generators now, after ``epoch`` finished epochs (tens of microseconds: copies of
    the states); NumPy's and Python's are read when the state is written (:func:`to_file`)."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
    return TrainingState(epoch, torch.get_rng_state(), cuda, None, None,
                         {path: draws.states() for path, draws in seeded_draws(model).items()})


def seeded_draws(model) -> dict:
    """``{path: SeededDraws}`` of the layers that draw from a generator of their own; a path is
    the layer's key in the model file (its name) and, for a layer inside a layer (a wrapper's),
    the torch path below it: ``"bidirectional/forward_layer"``."""
    found, seen = {}, set()
    for key, layer in model.keyed_layers():
        for below, module in layer.named_modules():
            draws = getattr(module, "draws", None)
            if isinstance(draws, SeededDraws) and draws.seed is not None and id(draws) not in seen:
                seen.add(id(draws))
                found[f"{key}/{below}" if below else key] = draws
    return found


def restore(model, state: TrainingState) -> None:
    """Put every generator back where ``state`` says (CUDA devices this process lacks are skipped)."""
    torch.set_rng_state(state.torch_cpu)
    if state.torch_cuda and torch.cuda.is_available():
        # (checked here, not at load: a CUDA generator exists only where CUDA does)
        for device, value in enumerate(state.torch_cuda[:torch.cuda.device_count()]):
            _check(f"CUDA generator {device}",
                   lambda value=value, device=device: torch.cuda.set_rng_state(value, device))
    np.random.set_state(state.numpy)
    random.setstate(state.python)
    draws = seeded_draws(model)
    for path, states in state.layers.items():
        if path in draws:
            _check(f"the generator of layer '{path}'", lambda path=path, states=states: draws[path].set_states(states))


def restore_for_fit(model, initial_epoch: int, data=None) -> None:
    """Before ``fit(..., initial_epoch=k)``: a model loaded from a file that records ``k``
    finished epochs gets its generators back, and ``data`` that counts its own passes (seqlab's
    datasets: ``start_at_epoch``) is told the epoch; another ``k`` (not 0, a fresh start) warns
    that the run will not repeat the uninterrupted one."""
    state = getattr(model, "_training_state", None)
    if state is None or not state.from_file:
        return
    if initial_epoch == state.epoch:  # (the first epoch's end replaces the state with its own)
        restore(model, state)
        start_at_epoch = getattr(data, "start_at_epoch", None)
        if callable(start_at_epoch):
            start_at_epoch(initial_epoch)
    elif initial_epoch != 0:
        warnings.warn(
            f"fit: initial_epoch={initial_epoch}, but the model's file records {state.epoch} finished "
            f"epoch(s); the random generators are not restored, so this fit will not repeat an "
            f"uninterrupted one (pass initial_epoch={state.epoch} to resume exactly)",
            UserWarning, stacklevel=4,  # the caller of Model.fit
        )


# ---- to and from a file -----------------------------------------------------------------------
def to_file(state: TrainingState) -> tuple[dict, dict]:
    """``(tensors, json)`` for ``training_state.safetensors`` / ``training_state.json``."""
    _, keys, position, has_gauss, cached_gaussian = state.numpy or np.random.get_state()
    version, words, gauss_next = state.python or random.getstate()
    tensors = {TORCH_CPU: state.torch_cpu.clone(),
               NUMPY_WORDS: torch.from_numpy(np.asarray(keys, dtype=np.uint32).copy()),
               PYTHON_STATE: torch.from_numpy(np.asarray(words, dtype=np.uint32))}
    for device, value in enumerate(state.torch_cuda):
        tensors[f"{TORCH_CUDA}{device}"] = value.clone()
    for path, states in state.layers.items():
        for device, value in states.items():
            tensors[f"{LAYERS}{path}/{device}"] = value.clone()
    spec = {"epoch": state.epoch,
            "numpy": {"pos": int(position), "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
            "python": {"version": int(version), "gauss_next": gauss_next}}
    return tensors, spec


def from_file(tensors: dict, spec: dict) -> TrainingState:
    """The state :func:`to_file` wrote; its names, dtypes and sizes were checked by the file's
    schema. Each generator is handed its state here (scratch generators), so one it refuses
    fails now.

    Raises:
        ValueError: a generator refuses its state.
    """
    numpy_state = ("MT19937", tensors[NUMPY_WORDS].numpy().copy(), spec["numpy"]["pos"],
                   spec["numpy"]["has_gauss"], spec["numpy"]["cached_gaussian"])
    python_state = (spec["python"]["version"], tuple(int(word) for word in tensors[PYTHON_STATE].tolist()),
                    spec["python"]["gauss_next"])
    cuda = [tensors[f"{TORCH_CUDA}{device}"] for device in range(_count(tensors, TORCH_CUDA))]
    layers: dict = {}
    for name, value in tensors.items():
        if name.startswith(LAYERS):
            path, _, device = name[len(LAYERS):].rpartition("/")
            layers.setdefault(path, {})[device] = value
    _check("torch's CPU generator", lambda: torch.Generator().set_state(tensors[TORCH_CPU]))
    _check("NumPy's generator", lambda: np.random.RandomState().set_state(numpy_state))
    _check("Python's generator", lambda: random.Random().setstate(python_state))
    for path, states in layers.items():
        for device, value in states.items():
            if device == "cpu":
                _check(f"the generator of layer '{path}'", lambda value=value: torch.Generator().set_state(value))
    return TrainingState(spec["epoch"], tensors[TORCH_CPU], cuda, numpy_state, python_state, layers, from_file=True)


def _count(tensors: dict, prefix: str) -> int:
    return sum(1 for name in tensors if name.startswith(prefix))


def _check(what: str, apply) -> None:
    try:
        apply()
    except (ValueError, TypeError, RuntimeError, OverflowError) as error:
        raise ValueError(f"the training state of {what} is not one it accepts ({error})") from None
