"""examples/vanishing_gradients.py on a tiny run: it writes both PNGs and the CSV of the table.

The measured figures come from the full run recorded in docs/inspect.md, not from here."""
import importlib.util
from pathlib import Path

import pandas as pd


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "vanishing_gradients.py"
    spec = importlib.util.spec_from_file_location("vanishing_gradients_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_tiny_run_writes_figures_and_table(tmp_path):
    table, gradients, accuracy = load_example().run(distances=(2, 3), units=3, epochs=1, samples=32,
                                                    out_dir=tmp_path, verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "vanishing_accuracy.png", "vanishing_gradients.csv", "vanishing_gradients.png"]
    saved = pd.read_csv(tmp_path / "vanishing_gradients.csv")
    assert list(saved["cell"]) == ["SimpleRNN", "LSTM", "GRU"] * 2
    pd.testing.assert_frame_equal(saved, table, check_dtype=False)
    assert [ax.get_title() for ax in gradients.axes] == ["at initialisation, distance 3", "after training, distance 3"]
