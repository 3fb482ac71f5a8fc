"""examples/char_units.py --fast: on a synthetic play with planted regularities (fixed-length
lines, speaker heads after a blank line) the trained LSTM has a unit that follows the position
in the line and one that marks the speaker's name, far beyond what the untrained LSTM's units do.

Thresholds, from the measured run (seed 0; seed 1 in brackets) on the example's own settings:
best |r| with line_position 0.790 (0.746) trained, 0.455 untrained; speaker_name 0.957 (0.976)
trained, 0.443 untrained. The Shakespeare figures are in docs/inspect.md, not asserted here."""
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.inspect import cut_signals, text_signals
from seqlab.inspect.explorer import read_page


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "char_units.py"
    spec = importlib.util.spec_from_file_location("char_units_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_fast_run_finds_the_line_position_and_speaker_units(tmp_path, capsys):
    result = load_example().main(["--fast", "--out", str(tmp_path), "--explorer", str(tmp_path / "explorer.html")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["char_units.csv", "char_units.png", "explorer.html"]
    control = result["control"]
    assert control.loc["line_position", "trained"] > 0.65 > control.loc["line_position", "untrained"] + 0.1
    assert control.loc["speaker_name", "trained"] > 0.9 > control.loc["speaker_name", "untrained"] + 0.3
    # Random lower-case letters: the model cannot beat log2(12) = 3.58 bits on the letters, but
    # the newlines, spaces and speaker heads it can predict pull the mean below that.
    assert result["test_bpc"] < 3.5
    saved = pd.read_csv(tmp_path / "char_units.csv", index_col=["state", "unit"])
    assert saved.shape == (2 * 32, 7) and set(saved.index.get_level_values("state")) == {"hidden", "cell"}
    best = result["best"]
    row = best[(best.signal == "line_position") & (best["rank"] == 1)].iloc[0]
    assert saved.loc[(row.state, row.unit), "line_position"] == pytest.approx(row.r)
    assert "test bits per character" in capsys.readouterr().out
    # The explorer page: the first traced windows of test text, with text_signals of the whole
    # traced stretch cut as the windows were (constant ones left out, as in the correlations).
    meta, arrays = read_page((tmp_path / "explorer.html").read_text(encoding="utf-8"))
    ids = arrays[meta["input"]["ids"]]
    windows, length = ids.shape
    text = result["test_text"][: windows * length]
    assert ["".join(meta["input"]["vocabulary"][i] for i in row) for row in ids] == \
        [text[s:s + length] for s in range(0, len(text), length)]
    expected = cut_signals(text_signals(result["test_text"][: len(result["traced"].x) * length]),
                           np.arange(windows) * length, length)
    assert [s["name"] for s in meta["signals"]] == [n for n in expected if n not in result["constant"]]
    assert "line_position" in result["traced"].signals and "speaker_name" in result["traced"].signals
    for signal in meta["signals"]:
        np.testing.assert_array_equal(arrays[signal["array"]], expected[signal["name"]])


def test_synthetic_play_lines_have_the_planted_length():
    text = load_example().synthetic_play(speeches=5, line_length=16)
    lines = text.split("\n")
    speech = [line for line in lines if line and not line.endswith(":")]
    assert len(speech) == 15 and {len(line) for line in speech} == {16}


def test_missing_corpus_is_a_clear_exit(tmp_path):
    with pytest.raises(SystemExit, match=r"char_units: .*missing.txt does not exist"):
        load_example().main(["--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path)])
