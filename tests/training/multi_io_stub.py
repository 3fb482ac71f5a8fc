"""A small functional ``seqlab.Model`` of two inputs and two outputs for the training tests.

Inputs ``a`` (N, 3) and ``b`` (N, 2); outputs ``out_a = Dense(1)(a)`` and
``out_b = Dense(units_b, activation)(b)``, given as a list, a dict or (``outputs=1``) the tensor
``out_a`` alone; ``inputs=1`` keeps only ``a`` (with ``outputs=1``).
"""
from __future__ import annotations

import seqlab
from seqlab.layers import Dense


def TwoBranch(structure: str = "list", inputs: int = 2, outputs: int = 2, units_b: int = 2,
              activation_b=None, name: str = "m") -> seqlab.Model:
    a, b = seqlab.Input((3,), name="a"), seqlab.Input((2,), name="b")
    produced = [Dense(1, name="out_a")(a), Dense(units_b, activation=activation_b, name="out_b")(b)][:outputs]
    if outputs == 1:
        result = produced[0]
    elif structure == "dict":
        result = dict(zip(["out_a", "out_b"], produced))
    else:
        result = produced
    given = [a, b][:inputs]
    return seqlab.Model(inputs=given if inputs > 1 else given[0], outputs=result, name=name)
