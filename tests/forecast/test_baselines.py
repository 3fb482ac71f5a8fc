"""Baselines against values computed by hand on a short series."""
import numpy as np
import pytest

from seqlab.forecast import (WindowSpec, all_baselines, drift, moving_average, persistence,
                             seasonal_naive)

# y[t] for t = 0..9
Y = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 16.0, 20.0, 18.0, 17.0, 21.0])


def test_persistence_repeats_the_last_value_seen():
    spec = WindowSpec(look_back=3, horizon=2)
    # origin 4 saw y[4] = 14; origin 6 saw y[6] = 20
    np.testing.assert_array_equal(persistence(Y, spec, [4, 6]), [[14.0, 14.0], [20.0, 20.0]])


def test_persistence_with_foresight_still_uses_the_origin():
    spec = WindowSpec(look_back=3, foresight=2)  # predicts row e + 3 from row e
    np.testing.assert_array_equal(persistence(Y, spec, [5]), [[16.0]])


def test_seasonal_naive_uses_the_same_phase_of_the_last_season_seen():
    spec = WindowSpec(look_back=3, horizon=4)
    # origin 5, season 3: targets 6, 7, 8, 9 <- rows 3, 4, 5, 6-3*2=3 ... by hand:
    # t=6: 6-3*ceil(1/3)=3 ; t=7: 7-3=4 ; t=8: 8-3=5 ; t=9: 9-3*ceil(4/3)=3
    np.testing.assert_array_equal(seasonal_naive(Y, spec, [5], season=3), [[Y[3], Y[4], Y[5], Y[3]]])


def test_seasonal_naive_of_season_one_is_persistence():
    spec = WindowSpec(look_back=2, horizon=3, foresight=1)
    np.testing.assert_array_equal(seasonal_naive(Y, spec, [3, 7], season=1), persistence(Y, spec, [3, 7]))


def test_seasonal_naive_needs_a_season_of_history():
    with pytest.raises(ValueError, match="origin 1 has less than one season"):
        seasonal_naive(Y, WindowSpec(1), [1], season=5)


def test_drift_extends_the_line_from_the_first_value():
    spec = WindowSpec(look_back=2, horizon=2, foresight=1)
    # origin 4: slope (14 - 10) / 4 = 1; targets 6 and 7 are 2 and 3 rows ahead
    np.testing.assert_allclose(drift(Y, spec, [4]), [[16.0, 17.0]], rtol=0, atol=1e-12)


def test_drift_rejects_origin_zero():
    with pytest.raises(ValueError, match="origins must be >= 1"):
        drift(Y, WindowSpec(1), [0])


def test_moving_average_means_the_last_window_values():
    spec = WindowSpec(look_back=3, horizon=2)
    # origin 5, window 4: mean(11, 15, 14, 16) = 14
    np.testing.assert_allclose(moving_average(Y, spec, [5], window=4), [[14.0, 14.0]], rtol=0, atol=1e-12)


def test_moving_average_matches_a_float64_loop_on_random_data():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(200, 2)).cumsum(axis=0)
    spec = WindowSpec(look_back=5, horizon=3)
    origins = np.arange(9, 190)
    expected = np.stack([np.repeat(series[e - 9:e + 1].mean(axis=0)[None], 3, axis=0) for e in origins])
    np.testing.assert_allclose(moving_average(series, spec, origins, window=10), expected, rtol=0, atol=1e-10)


def test_two_dimensional_series_keep_their_columns():
    series = np.stack([Y, 2 * Y], axis=1)
    out = persistence(series, WindowSpec(2, horizon=3), [4, 5])
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[:, :, 1], 2 * out[:, :, 0])


def test_all_baselines_names_and_checks():
    spec = WindowSpec(look_back=3)
    out = all_baselines(Y, spec, [5, 6], season=2)
    assert list(out) == ["persistence", "seasonal_naive", "drift", "moving_average"]
    np.testing.assert_allclose(out["moving_average"], [[(15 + 14 + 16) / 3], [(14 + 16 + 20) / 3]])
    with pytest.raises(ValueError, match="`season` is required"):
        all_baselines(Y, spec, [5])
    with pytest.raises(ValueError, match="unknown baselines \\['naive'\\]"):
        all_baselines(Y, spec, [5], names=["naive"])


def test_origins_outside_the_series_are_refused():
    with pytest.raises(ValueError, match="origins must index the series' 10 rows"):
        persistence(Y, WindowSpec(1), [10])
