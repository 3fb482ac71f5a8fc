"""seqlab.inspect.find_units (the unit-pattern contract shared with the explorer) and
correlate_units / top_units (against numpy.corrcoef)."""
import numpy as np
import pytest

from seqlab.inspect import Match, Trace, correlate_units, find_units, top_units, top_units_table


def planted(seed=0):
    """3 samples, 20 steps, 6 units of noise in [0, 0.5); unit 4 is 0.9..1 over the query span
    (0, 5..9) and over three other runs of known lengths; unit 2 is on over (0, 4..10), a wider
    run, but weaker inside the span than unit 4 relative to the rest of the sample."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 0.5, size=(3, 20, 6))
    for sample, start, end in [(0, 5, 9), (1, 2, 6), (2, 10, 13), (0, 14, 20)]:
        a[sample, start:end, 4] = rng.uniform(0.9, 1.0, size=end - start)
    a[0, 4:10, 2] = 0.65
    a[1, 3:5, 2] = a[2, 11:12, 2] = 0.65  # unit 2 is on inside two of unit 4's runs only
    return a


def test_planted_unit_found_first_and_its_runs_ranked():
    a = planted()
    found = find_units(a, span=(5, 9), threshold=0.6, sample=0)
    assert found.units == [4, 2]  # unit 4 stands out more against the rest of sample 0
    inside = a[0, 5:9, [4, 2]].mean(axis=1)
    outside = a[0, np.r_[0:5, 9:20]][:, [4, 2]].mean(axis=0)
    np.testing.assert_allclose(found.unit_scores, inside - outside)
    # Both units on together: (1, 3..5) and (2, 11..12); the query run (0, 5..9) is left out.
    assert [m[:3] for m in found.matches] == [(1, 3, 5), (2, 11, 12)]
    assert found.matches[0].score == pytest.approx(a[1, 3:5][:, [4, 2]].mean())


def test_single_unit_matches_ranked_by_length_then_score():
    a = planted()
    a[:, :, 2] = 0.0  # only the planted unit remains
    found = find_units(a, span=(5, 9), threshold=0.6, sample=0)
    assert found.units == [4]
    # Lengths 4 (1: 2..6), 6 (0: 14..20), 3 (2: 10..13): |len - 4| = 0, 2, 1.
    assert [m[:3] for m in found.matches] == [(1, 2, 6), (2, 10, 13), (0, 14, 20)]
    assert all(isinstance(m, Match) for m in found.matches)


def test_ties_by_score_then_sample_and_start():
    a = np.zeros((2, 10, 1))
    a[0, 0:2, 0] = 1.0                      # query
    a[0, 5:7, 0] = 0.8
    a[1, 1:3, 0] = 0.9
    a[1, 6:8, 0] = 0.8
    found = find_units(a, span=(0, 2), threshold=0.5)
    assert [m[:3] for m in found.matches] == [(1, 1, 3), (0, 5, 7), (1, 6, 8)]


def test_query_inside_a_longer_run_excludes_that_run_and_whole_sequence_span():
    a = np.zeros((1, 6, 2))
    a[0, :, 0] = 1.0
    found = find_units(a, span=(0, 6), threshold=0.5)
    assert found.units == [0] and found.unit_scores == [1.0]  # no steps outside: minus 0
    assert found.matches == []
    found = find_units(a, span=(2, 3), threshold=0.5)
    assert found.units == [0] and found.matches == []


def test_nothing_selected_is_empty_and_trace_states():
    a = planted()
    assert find_units(a, span=(0, 3), threshold=0.95).units == []
    assert find_units(a, span=(0, 3), threshold=0.95).matches == []
    t = Trace("lstm", {"forget": a}, hidden=np.zeros_like(a), cell=a)
    assert find_units(t, span=(5, 9), threshold=0.6, state="forget").units == [4, 2]
    assert find_units(t, span=(5, 9), threshold=0.6, state="cell").units == [4, 2]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(span=(3, 3)), ValueError, r"`span` must have start < end, got \(3, 3\)"),
    (dict(span=(5, 21)), ValueError, r"0 <= start < end <= 20, got \(5, 21\)"),
    (dict(span=(-1, 2)), ValueError, r"0 <= start < end <= 20, got \(-1, 2\)"),
    (dict(span=3), TypeError, "`span` must be a pair"),
    (dict(span=(0, 2), sample=3), ValueError, r"`sample` must be in \[0, 3\) for 3 samples, got 3"),
    (dict(span=(0, 2), threshold=float("nan")), ValueError, "`threshold` must be a finite number, got nan"),
    (dict(span=(0, 2), state="forget"), ValueError, r"`state` must be one of \['hidden', 'cell'\]"),
])
def test_bad_arguments_by_message(kwargs, error, message):
    t = Trace("lstm", {}, hidden=planted(), cell=planted())
    kwargs = {"threshold": 0.5, **kwargs}
    with pytest.raises(error, match=message):
        find_units(t, **kwargs)


def test_correlations_match_numpy_corrcoef_on_counted_steps():
    rng = np.random.default_rng(1)
    hidden = rng.normal(size=(3, 8, 4))
    position = np.tile(np.arange(8.0), (3, 1))
    quotes = (rng.uniform(size=(3, 8)) > 0.5).astype(float)
    hidden[..., 2] = 0.5 * position + rng.normal(scale=0.1, size=(3, 8))
    mask = np.ones((3, 8), dtype=bool)
    mask[1, 6:] = False
    table = correlate_units(Trace("lstm", {}, hidden=hidden, mask=mask),
                            {"position": position, "quotes": quotes})
    assert list(table.columns) == ["position", "quotes"] and table.index.name == "unit"
    for unit in range(4):
        for name, signal in (("position", position), ("quotes", quotes)):
            expected = np.corrcoef(hidden[..., unit][mask], signal[mask])[0, 1]
            assert table.loc[unit, name] == pytest.approx(expected, abs=1e-12)
    best = top_units(table, k=2)
    assert best["position"].index[0] == 2 and len(best["position"]) == 2
    assert list(best["quotes"].abs()) == sorted(table["quotes"].abs(), reverse=True)[:2]


def test_constant_signal_is_nan_and_errors():
    hidden = np.random.default_rng(2).normal(size=(2, 5, 3))
    table = correlate_units(hidden, {"flat": np.ones((2, 5))})
    assert table["flat"].isna().all()
    with pytest.raises(ValueError, match=r"signal 'x' must have shape \(samples, timesteps\) = \(2, 5\), got \(5,\)"):
        correlate_units(hidden, {"x": np.arange(5)})
    with pytest.raises(TypeError, match="`signals` must be a non-empty dict"):
        correlate_units(hidden, [np.ones((2, 5))])


def test_top_units_table_lists_each_state_s_best_units():
    hidden = np.array([[[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]])        # (1, 3, 2)
    signal = {"position": np.array([[0.0, 1.0, 2.0]])}
    table = top_units_table({"hidden": correlate_units(hidden, signal), "cell": correlate_units(-hidden, signal)}, k=2)
    assert list(table.columns) == ["signal", "state", "rank", "unit", "r"]
    # unit 0 follows the position exactly (r = 1); unit 1 = [1, 0, 2] has r = 0.5 (by hand: cov 0.5 / 1).
    assert table.values.tolist() == [["position", "cell", 1, 0, -1.0], ["position", "cell", 2, 1, -0.5],
                                     ["position", "hidden", 1, 0, 1.0], ["position", "hidden", 2, 1, 0.5]]
