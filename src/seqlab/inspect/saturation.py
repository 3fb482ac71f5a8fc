"""``seqlab.inspect.saturation``: how often each gate unit is nearly shut or nearly open.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks", call a
gate unit *left saturated* at a step where its activation is below 0.1 and *right saturated*
where it is above 0.9; the fractions of steps of each kind, per unit, tell a gate that is
always open (a forget gate that remembers everything: right fraction near 1) from one that
switches.
"""
from __future__ import annotations

import math

import numpy as np

from seqlab.inspect.activations import check_trace

# The gates squashed by the recurrent activation (a sigmoid, range (0, 1)). The candidates are
# tanh values in (-1, 1), for which "below 0.1" means nothing, so they are left out.
SIGMOID_GATES = ("input", "forget", "output", "update", "reset")


def saturation(trace, left: float = 0.1, right: float = 0.9) -> dict:
    """The fractions of steps each gate unit spends below ``left`` and above ``right``.

    Args:
        trace: one :class:`~seqlab.inspect.Trace` (an LSTM's or a GRU's).
        left: the left-saturation threshold (activation ``< left``).
        right: the right-saturation threshold (activation ``> right``).

    Returns:
        ``{gate: {'left': (H,), 'right': (H,)}}`` float arrays for the sigmoid gates (LSTM
        ``input``, ``forget``, ``output``; GRU ``update``, ``reset``); masked steps do not count.

    >>> import numpy as np, seqlab
    >>> model = seqlab.models.Sequential([seqlab.layers.GRU(3, input_shape=(5, 2), name='gru')])
    >>> s = seqlab.inspect.saturation(seqlab.inspect.trace(model, np.ones((2, 5, 2)))['gru'])
    >>> sorted(s), s['update']['left'].shape
    (['reset', 'update'], (3,))
    """
    trace = check_trace("saturation", trace)
    for name, value in (("left", left), ("right", right)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
            raise ValueError(f"saturation: `{name}` must be a number in [0, 1], got {value!r}")
    if left > right:
        raise ValueError(f"saturation: `left` must be <= `right`, got left={left}, right={right}")
    gates = [name for name in trace.gates if name in SIGMOID_GATES]
    if not gates:
        raise ValueError(f"saturation: layer '{trace.layer}' has no sigmoid gates (a SimpleRNN has "
                         f"none); got gates {list(trace.gates)}")
    counted = np.ones(trace.hidden.shape[:2], dtype=bool) if trace.mask is None else trace.mask.astype(bool)
    steps = int(counted.sum())
    if steps == 0:
        raise ValueError(f"saturation: every step of layer '{trace.layer}' is masked; nothing to count")
    result = {}
    for name in gates:
        values = trace.gates[name][counted]  # (counted steps, H)
        result[name] = {"left": (values < left).sum(axis=0) / steps,
                        "right": (values > right).sum(axis=0) / steps}
    return result
