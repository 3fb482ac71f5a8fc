"""Readable signals of a stretch of text, one value per token, for finding the hidden units
that follow them (``seqlab.inspect.correlate_units``): the position in the line, inside quotes,
upper case — Karpathy's "visualizing and understanding recurrent networks" set."""
from __future__ import annotations

import numpy as np

QUOTES = "\"\u201c\u201d"


def text_signals(tokens: list[str]) -> dict:
    """``{name: (L,) float array}`` for a list of tokens (characters or words).

    - ``line position``: tokens since the last newline (0 on the newline itself);
    - ``inside quotes``: 1 between an opening and a closing double quote (the quotes included);
    - ``upper case``: 1 where the token's first letter is upper case.

    >>> text_signals(list('a"B"\\nc'))["inside quotes"].tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    position, inside, upper = [], [], []
    column, quoted = 0, False
    for token in tokens:
        if token == "\n":
            column = 0
        else:
            column += 1
        opens = any(mark in token for mark in QUOTES) and not quoted
        if opens:
            quoted = True
        position.append(column)
        inside.append(float(quoted))
        if not opens and any(mark in token for mark in QUOTES):
            quoted = False
        letters = [ch for ch in token if ch.isalpha()]
        upper.append(float(bool(letters) and letters[0].isupper()))
    return {"line position": np.asarray(position, dtype=np.float64), "inside quotes": np.asarray(inside),
            "upper case": np.asarray(upper)}
