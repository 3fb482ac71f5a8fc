"""SeriesScaler: fitted on the train part only, inverse(transform(x)) = x, leakage refused."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from seqlab.data import LeakageError, SeriesScaler, chronological_split
from seqlab.errors import NotBuiltError, SeqlabError


def test_notes_min_max_example_round_trips():
    # The notes: MinMaxScaler on 0, 10, ..., 100 gives 0, 0.1, ..., 1, and inverse_transform gives them back.
    values = np.arange(0.0, 101.0, 10.0)
    split = chronological_split(values, train=1.0, val=0.0)
    scaler = SeriesScaler(MinMaxScaler(feature_range=(0, 1))).fit(split)
    normalized = scaler.transform(values)
    np.testing.assert_allclose(normalized, np.arange(11) / 10, rtol=0, atol=1e-15)
    np.testing.assert_allclose(scaler.inverse_transform(normalized), values, rtol=0, atol=1e-12)


def test_notes_standard_scaler_example():
    # The notes' printed values: -0.46286604 for 4.1, -1.60569456 for 1.0, 0.34817357 for 6.3.
    values = np.array([4.1, 1.0, 2.6, 7.9, 5.5, 9.0, 8.8, 3.0, 6.3])
    scaler = SeriesScaler(StandardScaler()).fit(chronological_split(values, train=1.0, val=0.0))
    standardized = scaler.transform(values)
    np.testing.assert_allclose(standardized[[0, 1, 8]], [-0.46286604, -1.60569456, 0.34817357], atol=5e-9)


def test_fits_on_the_train_part_and_keeps_frames():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    frame = pd.DataFrame({"close": np.arange(10.0), "volume": np.arange(10.0) * 100}, index=index)
    split = chronological_split(frame, train=0.6, val=0.2)
    scaler = SeriesScaler(MinMaxScaler(), columns=["close"]).fit(split)
    assert scaler.transformers_["close"].data_max_[0] == 5.0  # the train part's max, not 9
    scaled = scaler.transform(split)
    assert scaled.sizes == split.sizes
    np.testing.assert_allclose(scaled.test["close"], [8 / 5, 9 / 5], atol=1e-15)
    np.testing.assert_array_equal(scaled.test["volume"], [800.0, 900.0])  # not scaled: passes through
    assert scaled.test.index.equals(index[8:])
    predictions = np.array([[1.6, 1.8]])  # (samples, horizon) for the close column
    np.testing.assert_allclose(scaler.inverse_transform(predictions, column="close"), [[8.0, 9.0]], atol=1e-12)


def test_fit_refuses_validation_and_test_rows():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    frame = pd.DataFrame({"x": np.arange(10.0)}, index=index)
    split = chronological_split(frame, train=0.6, val=0.2)
    with pytest.raises(LeakageError, match=r"the data has 10 rows but the train part has only 6"):
        SeriesScaler().fit(frame, split=split)
    with pytest.raises(LeakageError, match=r"includes 2 rows of the validation/test parts \(first: "
                                           r"Timestamp\('2024-01-07 00:00:00'\), in the val part"):
        SeriesScaler().fit(frame.iloc[2:8], split=split)
    with pytest.raises(LeakageError):
        SeriesScaler().fit(np.arange(7.0), split=chronological_split(np.arange(10.0), train=0.6, val=0.2))
    with pytest.raises(TypeError, match="pass the Split .* or the train rows with `split=`"):
        SeriesScaler().fit(frame)
    assert issubclass(LeakageError, SeqlabError) and issubclass(LeakageError, ValueError)
    scaler = SeriesScaler().fit(split.train, split=split)  # the train rows themselves are fine
    assert scaler.n_train_ == 6


def test_unfitted_and_mismatched_use():
    with pytest.raises(NotBuiltError, match=r"call fit\(split\) before transform"):
        SeriesScaler().transform(np.arange(3.0))
    with pytest.raises(TypeError, match="must have fit, transform and inverse_transform"):
        SeriesScaler(transformer=object())
    scaler = SeriesScaler().fit(chronological_split(np.zeros((10, 2))))
    with pytest.raises(ValueError, match=r"the data has columns \[0, 1, 2\], but the scaler was fitted on \[0, 1\]"):
        scaler.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"`column` 'close' was not scaled"):
        scaler.inverse_transform(np.zeros(3), column="close")


@pytest.mark.parametrize("transformer", [MinMaxScaler(feature_range=(-1, 1)), StandardScaler(), RobustScaler(),
                                         FunctionTransformer(np.log1p, np.expm1)])
def test_any_scikit_learn_transformer(transformer):
    values = np.random.default_rng(0).random((50, 2)) * [1.0, 1000.0]
    split = chronological_split(values)
    scaler = SeriesScaler(transformer).fit(split)
    for j in range(2):
        reference = transformer.__class__(**transformer.get_params()).fit(values[:35, j:j + 1])
        np.testing.assert_allclose(scaler.transform(values)[:, j], reference.transform(values[:, j:j + 1])[:, 0],
                                   rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(values)), values, rtol=1e-10)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(values=arrays(np.float64, st.tuples(st.integers(10, 60), st.integers(1, 3)), elements=finite),
       train=st.floats(0.3, 0.9), standard=st.booleans())
def test_statistics_are_the_train_parts_and_inverse_undoes_transform(values, train, standard):
    split = chronological_split(values, train=train, val=0.0)
    scaler = SeriesScaler(StandardScaler() if standard else MinMaxScaler()).fit(split)
    part = values[: split.train_end]
    for j, fitted in scaler.transformers_.items():
        if standard:
            np.testing.assert_allclose(fitted.mean_[0], part[:, j].mean(), rtol=1e-10, atol=1e-6)
        else:
            assert fitted.data_min_[0] == part[:, j].min() and fitted.data_max_[0] == part[:, j].max()
    restored = scaler.inverse_transform(scaler.transform(values))
    np.testing.assert_allclose(restored, values, rtol=1e-9, atol=1e-6)


def test_a_scaler_rebuilt_from_fitted_columns_scales_as_the_original():
    # A run folder stores each column's fitted transformer; from_fitted puts them back together.
    rng = np.random.default_rng(1)
    split = chronological_split(rng.normal(size=(40, 2)) * [1.0, 50.0])
    fitted = SeriesScaler(StandardScaler()).fit(split)
    again = SeriesScaler.from_fitted(fitted.transformers_, n_train=fitted.n_train_)
    values = rng.normal(size=(6, 2))
    np.testing.assert_array_equal(again.transform(values), fitted.transform(values))
    np.testing.assert_array_equal(again.inverse_transform(values[:, 1], column=1),
                                  fitted.inverse_transform(values[:, 1], column=1))
    assert again.columns_ == [0, 1] and again.n_train_ == 28  # 70 % of 40 rows
    with pytest.raises(ValueError, match="SeriesScaler.from_fitted: `transformers` must hold at least one column"):
        SeriesScaler.from_fitted({}, n_train=3)
