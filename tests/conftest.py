"""The tiny experiment spec that the run, export, inspect, resume and tune tests train (a second
or two each): written here once; each test names only the fields it varies."""
import json
import textwrap

import pytest

AAPL_START = "2012-09-01"  # ~125 trading days of the bundled AAPL closes (2012-06-01: ~190)
ONE_EPOCH = {"epochs": 1}


class TomlText(str):
    """TOML written into the spec as is: a search space (``{int = [2, 8]}``) or a value a test
    wants to spell itself."""


def _value(value) -> str:
    if isinstance(value, TomlText):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"the test spec writer cannot write {type(value).__name__} {value!r}")


def _table(name: str, values: dict, lines: list[str]) -> None:
    """``[name]`` with its keys, then a ``[name.key]`` table for each dict value (a table holding
    only tables gets no header of its own)."""
    scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
    if scalars or not values:
        lines.append(f"[{name}]")
    lines.extend(f"{key} = {_value(value)}" for key, value in scalars.items())
    for key, value in values.items():
        if isinstance(value, dict):
            _table(f"{name}.{key}", value, lines)


class SpecFiles:
    """Writes the tiny spec; every keyword replaces its default.

    Defaults: the bundled AAPL closes from ``start`` (``AAPL_START``), windows of ``look_back``
    4, ``hidden_layers`` = one Flatten before the output ``Dense(1)`` that every tiny model ends
    with, ``training`` = 1 epoch, no ``[evaluation]`` and no ``[report]``. ``training=None``
    leaves ``[training]`` out; ``report=False`` writes ``[report] enabled = false``; a dict value
    in a section is its sub-table (``[evaluation.backtest]``); ``raw(text)`` puts TOML in as is.
    """

    raw = TomlText

    def text(self, *, name="tiny", data=None, start=AAPL_START, look_back=4, horizon=None,
             hidden_layers=({"type": "Flatten"},), training=ONE_EPOCH, evaluation=None, report=None,
             extra="") -> str:
        """The spec's TOML text. ``data``: the whole ``[data]`` section (then ``start`` must stay
        its default); ``extra``: TOML appended as is (dedented)."""
        if data is not None and start != AAPL_START:
            raise ValueError(f"start={start!r} is the first day of the bundled AAPL closes, which data={data!r} "
                             "replaces: put the data's own keys in `data`")
        lines = [f"name = {_value(name)}"]
        _table("data", data if data is not None else {"source": "aapl", "targets": ["close"], "start": start}, lines)
        _table("windows", {"look_back": look_back, **({} if horizon is None else {"horizon": horizon})}, lines)
        for layer in [*hidden_layers, {"type": "Dense", "units": 1}]:
            lines.append("[[model.layers]]")
            lines.extend(f"{key} = {_value(value)}" for key, value in layer.items())
        if training is not None:
            _table("training", training, lines)
        if evaluation is not None:
            _table("evaluation", evaluation, lines)
        if report is not None:
            _table("report", {"enabled": report}, lines)
        return "\n".join(lines) + "\n" + textwrap.dedent(extra).lstrip("\n")

    def __call__(self, path, **fields):
        """Write :meth:`text` of ``fields`` to ``path`` and return the path."""
        path.write_text(self.text(**fields))
        return path


@pytest.fixture(scope="session")
def make_spec():
    """``make_spec(path, **fields)`` writes the tiny spec (see :class:`SpecFiles`); session-wide,
    so module-scoped runs can use it."""
    return SpecFiles()
