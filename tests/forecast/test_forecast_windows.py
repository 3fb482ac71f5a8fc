"""Windows: which rows a forecast reads and predicts (the notes' createSeq semantics)."""
import numpy as np
import pytest

from seqlab.forecast import WindowSpec, gather_inputs, gather_targets, target_rows, window_origins


def test_origins_match_the_notes_create_seq_count():
    # The notes: 648 training values, look_back 7, foresight 6 -> 648 - 7 - 6 = 635 windows.
    spec = WindowSpec(look_back=7, foresight=6)
    assert len(window_origins(spec, 0, 648)) == 635


def test_inputs_and_targets_follow_the_notes_formula():
    # createSeq: X = values[i : i + look_back], Y = values[i + look_back + foresight]
    values = np.arange(30.0)[:, None]
    spec = WindowSpec(look_back=7, foresight=6)
    origins = window_origins(spec, 0, 30)
    x, y = gather_inputs(values, spec, origins), gather_targets(values, spec, origins)
    for i in range(len(origins)):
        np.testing.assert_array_equal(x[i, :, 0], values[i:i + 7, 0])
        assert y[i, 0, 0] == values[i + 7 + 6, 0]


def test_targets_stay_inside_the_part_while_inputs_may_read_the_past():
    spec = WindowSpec(look_back=4, horizon=3, foresight=1)
    origins = window_origins(spec, targets_from=20, targets_to=30)
    rows = target_rows(spec, origins)
    assert rows.min() == 20 and rows.max() == 29
    assert (origins - spec.look_back + 1).min() == 20 - 1 - 1 - 3  # inputs reach back before row 20


def test_stride_thins_the_origins():
    # stride is passed explicitly: training windows use spec.stride, evaluation every origin
    assert window_origins(WindowSpec(2, stride=3), 0, 12, stride=3).tolist() == [1, 4, 7, 10]


def test_too_short_a_part_gives_no_windows():
    assert window_origins(WindowSpec(5), 0, 5).size == 0


@pytest.mark.parametrize("argument, value, error, expected", [
    ("look_back", 0, ValueError, "a positive integer, got 0"), ("horizon", 0, ValueError, "a positive integer, got 0"),
    ("foresight", -1, ValueError, "a non-negative integer, got -1"),
    ("stride", 1.5, TypeError, "a positive integer, got 1.5"), ("look_back", True, TypeError, "a positive integer, got True"),
])
def test_window_spec_rejects_bad_values(argument, value, error, expected):
    settings = {"look_back": 3, argument: value}
    with pytest.raises(error, match=f"WindowSpec: `{argument}` must be {expected}$"):
        WindowSpec(**settings)
