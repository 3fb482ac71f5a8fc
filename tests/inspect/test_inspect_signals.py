"""seqlab.inspect.signals: each signal against a hand computation on a tiny input, the (N, L)
shape contract of windows, and the errors."""
import numpy as np
import pandas as pd
import pytest

from seqlab.inspect import correlate_units, cut_signals, series_signals, text_signals


def test_text_signals_by_hand():
    #        A  b  :  \n c  ␣  "  d  "  \n
    s = text_signals('Ab:\nc "d"\n')
    assert list(s) == ["line_position", "line_end", "speaker_name", "in_quotes", "upper", "whitespace",
                       "punctuation"]
    assert s["line_position"].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5]
    assert s["line_end"].tolist() == [3, 2, 1, 0, 5, 4, 3, 2, 1, 0]
    assert s["speaker_name"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert s["in_quotes"].tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    assert s["upper"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert s["whitespace"].tolist() == [0, 0, 0, 1, 0, 1, 0, 0, 0, 1]
    assert s["punctuation"].tolist() == [0, 0, 1, 0, 0, 0, 1, 0, 1, 0]
    assert all(signal.dtype == np.float64 and signal.shape == (10,) for signal in s.values())


def test_speaker_heads_follow_an_empty_line_and_a_colon_inside_a_speech_is_not_one():
    # lines: 'so:' (the text's first line), '', 'KING:' (after an empty line), "yes:" (after
    # 'KING:', a colon inside a speech), 'no' (no newline after it).
    text = "so:\n\nKING:\nyes:\nno"
    s = text_signals(text)
    assert s["speaker_name"].tolist() == [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    # After the last newline the end of the line is one past the end of the text.
    assert s["line_end"].tolist()[-3:] == [0, 2, 1]
    assert s["line_position"].tolist() == [0, 1, 2, 3, 0, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 0, 1]


def test_apostrophes_are_not_quotes():
    assert text_signals("'Tis o'er")["in_quotes"].sum() == 0


def test_windows_give_n_by_l_signals_each_read_alone():
    as_strings = text_signals(["ab\nc", "d\nef"])
    as_chars = text_signals(np.array([list("ab\nc"), list("d\nef")]))
    for name in as_strings:
        np.testing.assert_array_equal(as_strings[name], as_chars[name])
        np.testing.assert_array_equal(as_strings[name][1], text_signals("d\nef")[name])
    assert as_strings["line_position"].tolist() == [[0, 1, 2, 0], [0, 1, 0, 1]]


def test_windows_plug_into_correlate_units():
    signals = text_signals(["ab\ncd", "e\nfgh"])
    units = np.stack([signals["line_position"], -signals["whitespace"]], axis=-1)   # (2, 5, 2)
    table = correlate_units(units, signals)
    assert table.loc[0, "line_position"] == pytest.approx(1.0)
    assert table.loc[1, "whitespace"] == pytest.approx(-1.0)


def test_text_signals_errors():
    with pytest.raises(ValueError, match=r"windows must all have the same non-zero length, got lengths \[2, 3\]"):
        text_signals(["ab", "cde"])
    with pytest.raises(TypeError, match=r"`text` must be a str, a list of equal-length strings or an \(N, L\) "
                                        r"array of characters, got 12"):
        text_signals(12)
    with pytest.raises(ValueError, match="must hold single characters"):
        text_signals(np.array([["ab", "c"]]))


def test_cut_signals_keeps_the_context_before_each_window():
    whole = text_signals("ab\ncdef\ngh")
    cut = cut_signals(whole, starts=np.array([2, 4]), length=3)
    # Window 1 starts at 'd', the second character of its line: position 1, not 0.
    assert cut["line_position"].tolist() == [[2, 0, 1], [1, 2, 3]]
    with pytest.raises(ValueError, match=r"windows of length 3 at starts 2..9 must lie within signal "
                                         r"'line_position' of length 10"):
        cut_signals(whole, starts=np.array([2, 9]), length=3)
    with pytest.raises(TypeError, match=r"`starts` must be a 1-D array of integers"):
        cut_signals(whole, starts=np.array([0.5]), length=3)


def test_series_level_and_trend_by_hand_and_against_polyfit():
    values = [1.0, 3.0, 2.0, 6.0, 4.0]
    s = series_signals(values, window=3)
    assert list(s) == ["value", "level", "trend"]
    # level: the mean of the last 3 values (fewer at the start)
    np.testing.assert_allclose(s["level"], [1, 2, 2, 11 / 3, 4], rtol=1e-12)
    # trend by hand: (1,3) -> 2; (1,3,2) -> sum((k-1)(y-2))/2 = 0.5; (3,2,6) -> 3/2; (2,6,4) -> 1
    np.testing.assert_allclose(s["trend"], [0, 2, 0.5, 1.5, 1.0], rtol=1e-12, atol=1e-12)
    reference = [0.0] + [np.polyfit(np.arange(len(values[max(0, t - 2):t + 1])), values[max(0, t - 2):t + 1], 1)[0]
                         for t in range(1, 5)]
    np.testing.assert_allclose(s["trend"], reference, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(s["value"], values)


def test_series_windows_are_read_row_by_row():
    windows = np.array([[1.0, 3.0, 2.0], [6.0, 4.0, 4.0]])
    s = series_signals(windows, window=2)
    for row in range(2):
        one = series_signals(windows[row], window=2)
        for name in ("level", "trend"):
            np.testing.assert_allclose(s[name][row], one[name], rtol=1e-12)
    assert s["trend"].shape == (2, 3)


def test_day_of_week_flags_and_phase():
    dates = pd.date_range("2024-01-06", periods=3, freq="D")     # Saturday, Sunday, Monday
    s = series_signals([1.0, 2.0, 3.0], timestamps=dates)
    assert s["saturday"].tolist() == [1, 0, 0] and s["sunday"].tolist() == [0, 1, 0] and s["monday"].tolist() == [0, 0, 1]
    assert sum(s[day].sum() for day in ("tuesday", "wednesday", "thursday", "friday")) == 0
    np.testing.assert_allclose(s["weekday_sin"], np.sin(2 * np.pi * np.array([5, 6, 0]) / 7), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s["weekday_cos"], np.cos(2 * np.pi * np.array([5, 6, 0]) / 7), rtol=1e-12)
    windows = series_signals(np.ones((2, 3)), timestamps=np.array(dates.append(dates + pd.Timedelta(days=1))).reshape(2, 3))
    assert windows["monday"].tolist() == [[0, 0, 1], [0, 1, 0]]


def test_series_signals_errors():
    with pytest.raises(ValueError, match=r"`values` must be finite; 1 are NaN or infinite"):
        series_signals([1.0, np.nan])
    with pytest.raises(ValueError, match=r"series_signals: `window` must be"):
        series_signals([1.0, 2.0], window=0)
    with pytest.raises(ValueError, match=r"`timestamps` must have the shape of `values`, \(3,\), got \(2,\)"):
        series_signals([1.0, 2.0, 3.0], timestamps=["2024-01-01", "2024-01-02"])
    with pytest.raises(ValueError, match=r"`values` must be \(T,\) or \(N, L\) with at least one step, got shape \(1, 1, 1\)"):
        series_signals(np.ones((1, 1, 1)))
    with pytest.raises(TypeError, match=r"`values` must be an array of numbers"):
        series_signals(["a", "b"])
