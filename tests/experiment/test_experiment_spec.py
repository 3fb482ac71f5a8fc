"""Spec validation: every mistake named by key path, line and expectation."""
import textwrap

import pandas as pd

import pytest
import torch

from seqlab.errors import SeqlabError
from seqlab.experiment import SpecError, load_spec, spec_from_dict
from seqlab.experiment.data import load_data
from seqlab.experiment.prepare import split_bounds
from seqlab.experiment.tomlout import dump_spec
from seqlab.experiment.load import line_index


def test_a_valid_spec_loads_with_defaults(write_spec):
    spec = load_spec(write_spec())
    assert spec.windows.look_back == 5 and spec.windows.horizon == 1
    assert spec.split.train == 0.7 and spec.scaling.method == "minmax"
    assert spec.inputs == ["Close"] and spec.targets == ["Close"]
    assert spec.training.early_stopping is None


def test_spec_error_is_a_seqlab_error():
    assert issubclass(SpecError, SeqlabError)


def test_unknown_key_says_did_you_mean_with_its_line(write_spec):
    path = write_spec("""
        [data]
        source = "aapl"
        targets = ["close"]
        [windows]
        horizn = 3
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    with pytest.raises(SpecError, match=r"line 5: windows.horizn: unknown key; did you mean 'horizon'\?"):
        load_spec(path)


def test_wrong_type_names_key_path_line_and_value(write_spec):
    path = write_spec("""
        [data]
        source = "aapl"
        targets = ["close"]
        [training]
        epochs = "ten"
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    with pytest.raises(SpecError, match=r"line 5: training.epochs: expected an integer, got string 'ten'"):
        load_spec(path)


def test_every_problem_is_listed_at_once_in_line_order(write_spec):
    path = write_spec("""
        name = "bad name!"
        [data]
        path = "nowhere.csv"
        targets = ["close"]
        [windows]
        look_back = 0
        [[model.layers]]
        type = "LSTMM"
        units = 3
        [[model.layers]]
        type = "Dense"
        unit = 1
    """)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    text = str(caught.value)
    assert "5 problems" in text
    lines = [line.strip() for line in text.splitlines()[1:]]
    assert lines[0].startswith("line 1: name: must be letters, digits")
    assert lines[1].startswith("line 3: data.path: file 'nowhere.csv' does not exist")
    assert lines[2] == "line 6: windows.look_back: must be >= 1, got 0"
    assert lines[3].startswith("line 8: model.layers[0].type: no layer 'LSTMM'; did you mean 'LSTM'?")
    assert lines[4] == "line 12: model.layers[1].unit: Dense has no argument 'unit'; did you mean 'units'?"


def test_missing_spec_file_and_bad_toml(tmp_path, write_spec):
    with pytest.raises(SpecError, match="spec file '.*missing.toml' does not exist"):
        load_spec(tmp_path / "missing.toml")
    path = write_spec("[data\nsource = 1\n")
    with pytest.raises(SpecError, match=r"not valid TOML: .*line 1"):
        load_spec(path)


def test_required_sections_and_keys(write_spec):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec('name = "x"\n'))
    assert "data: is required" in str(caught.value) and "model: is required" in str(caught.value)
    with pytest.raises(SpecError, match="model.layers: must not be empty"):
        spec_from_dict({"data": {"source": "aapl", "targets": ["close"]}, "model": {"layers": []}})


def _spec(**sections):
    data = {"data": {"source": "aapl", "targets": ["close"]},
            "model": {"layers": [{"type": "Dense", "units": 1}]}}
    data.update(sections)
    return data


@pytest.mark.parametrize("sections, message", [
    ({"split": {"train": 0.7, "validation": 0.2, "test": 0.2}},
     r"split: train \+ validation \+ test must be 1, got 0.7 \+ 0.2 \+ 0.2 = 1.1"),
    ({"split": {"validation_start": "2012-01-01"}}, "split.test_start: is required when"),
    ({"split": {"validation_start": "2012-06-01", "test_start": "2012-01-01"}},
     "split.validation_start: must come before split.test_start"),
    ({"scaling": {"method": "minmx"}}, r"scaling.method: must be one of .* got 'minmx'; did you mean 'minmax'\?"),
    ({"scaling": {"feature_range": [1.0, 0.0]}}, r"scaling.feature_range: must be \[low, high\] with low < high"),
    ({"data": {"source": "aapll", "targets": ["close"]}}, "data.source: no bundled data set 'aapll'; did you mean 'aapl'"),
    ({"data": {"source": "aapl", "path": "x.csv", "targets": ["close"]}}, "data: give exactly one of `source`"),
    ({"data": {"source": "aapl", "targets": ["close"], "frequency": "fortnightly"}}, "data.frequency: is not a pandas frequency"),
    ({"model": {"layers": [{"type": "LSTM", "units": 0}]}},
     r"model.layers\[0\]: LSTM: `units` must be a positive integer, got 0$"),
    ({"model": {"layers": [{"units": 1}]}}, r"model.layers\[0\]: needs `type`"),
    ({"model": {"layers": [{"type": "Input", "shape": [3, 1]}]}}, "Input is added for you"),
    ({"training": {"early_stopping": {"monitor": "val_loss"}}, "split": {"train": 0.8, "validation": 0.0, "test": 0.2}},
     "training.early_stopping.monitor: 'val_loss' needs a validation part"),
    ({"training": {"optimizer": "adamm"}}, r"training.optimizer: unknown optimizer 'adamm'; did you mean 'adam'\?"),
    ({"training": {"loss": "msee"}}, r"training.loss: unknown loss 'msee'; did you mean 'mse'\?"),
    ({"data": {"source": "aapl", "targets": ["close"], "inputs": ["close", "volume"]},
      "evaluation": {"multi_step": "recursive"}}, "evaluation.multi_step: 'recursive' feeds predictions back"),
    ({"evaluation": {"baselines": ["persistence", "naive"]}}, r"evaluation.baselines\[1\]: must be one of"),
    ({"evaluation": {"backtest": {"folds": 2, "train_size": 100}}}, "evaluation.backtest.train_size: only applies to mode = 'sliding'"),
    ({"windows": {"look_back": 5.5}}, "windows.look_back: expected an integer, got number 5.5"),
    ({"data": {"path": "x.csv", "targets": ["y"]}, "split": {"test_start": "2020-01-01"}},
     r"split.test_start: splitting by dates needs data.time_column"),
    ({"model": {"layers": [{"type": "LSTM", "units": 3, "dtype": "float16"}]}},
     r"model.layers\[0\]: LSTM: `dtype`: Cannot convert 'float16' to a dtype policy: expected one of "
     r"'float32', 'float64', 'bfloat16', 'mixed_bfloat16', 'mixed_float16'$"),
    ({"model": {"layers": [{"type": "Dense", "units": 1, "kernel_regularizer": "l3"}]}},
     r"model.layers\[0\]: Dense: `kernel_regularizer`: unknown regularizer 'l3'; expected one of"),
])
def test_cross_key_checks(sections, message):
    with pytest.raises(SpecError, match=message):
        spec_from_dict(_spec(**sections))


def test_early_stopping_true_turns_on_the_defaults():
    spec = spec_from_dict(_spec(training={"early_stopping": True}))
    assert spec.training.early_stopping.patience == 5
    assert spec_from_dict(_spec(training={"early_stopping": False})).training.early_stopping is None


def test_a_column_that_does_not_exist_lists_the_ones_that_do(write_spec, prices_csv):
    path = write_spec(f"""
        [data]
        path = "{prices_csv.name}"
        time_column = "Date"
        targets = ["close"]
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    with pytest.raises(SpecError, match=r"line 4: data.targets: in prices.csv: column 'close' does not exist; "
                                        r"did you mean 'Close'\? the columns are: Date, Close, Volume"):
        load_data(load_spec(path))


def test_a_missing_time_column_is_named(write_spec, prices_csv):
    path = write_spec(f"""
        [data]
        path = "{prices_csv.name}"
        time_column = "Day"
        targets = ["Close"]
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    with pytest.raises(SpecError, match="data.time_column: in prices.csv: column 'Day' does not exist"):
        load_data(load_spec(path))


def test_look_back_longer_than_the_training_part(write_spec, prices_csv):
    path = write_spec(f"""
        [data]
        path = "{prices_csv.name}"
        time_column = "Date"
        targets = ["Close"]
        [windows]
        look_back = 120
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    spec = load_spec(path)
    with pytest.raises(SpecError, match=r"line 6: windows.look_back: a window spans .* = 121 rows, longer than "
                                        r"the train part \(112 rows\)"):
        split_bounds(spec, load_data(spec).frame)


def test_line_index_covers_tables_arrays_of_tables_and_inline_keys():
    text = textwrap.dedent("""
        name = "x"
        [training]
        epochs = 3
        early_stopping = { patience = 2 }
        [[model.layers]]
        type = "LSTM"
        [[model.layers]]
        type = "Dense"
    """).lstrip()
    lines = line_index(text)
    assert lines["name"] == 1 and lines["training"] == 2 and lines["training.epochs"] == 3
    assert lines["training.early_stopping"] == 4
    assert lines["model.layers[0].type"] == 6 and lines["model.layers[1].type"] == 8


def test_the_resolved_spec_round_trips_through_toml(write_spec, tmp_path):
    spec = load_spec(write_spec())
    spec.training.early_stopping = spec_from_dict(_spec(training={"early_stopping": True})).training.early_stopping
    again_path = tmp_path / "again.toml"
    again_path.write_text(dump_spec(spec))
    again = load_spec(again_path)
    for section in ("name", "data", "windows", "split", "scaling", "model", "training", "evaluation", "report"):
        assert getattr(again, section) == getattr(spec, section), section


def test_layer_regularizers_pass_through_and_round_trip_through_toml(write_spec, prices_csv, tmp_path):
    from seqlab.experiment.modeling import build_model

    spec = load_spec(write_spec(f"""
        [data]
        path = "{prices_csv.name}"
        targets = ["Close"]
        [[model.layers]]
        type = "LSTM"
        units = 4
        recurrent_regularizer = "l2"
        [[model.layers]]
        type = "Dense"
        units = 1
        bias_regularizer = {{ class_name = "L1", config = {{ l1 = 0.001 }} }}
    """))
    again_path = tmp_path / "again.toml"
    again_path.write_text(dump_spec(spec))
    assert load_spec(again_path).model == spec.model
    lstm, dense = build_model(spec, n_inputs=1).layers
    assert lstm.recurrent_regularizer.get_config() == {"l2": 0.01}
    assert dense.bias_regularizer.get_config() == {"l1": 0.001}


def _gappy_spec(write_spec, prices_csv, missing):
    frame = pd.read_csv(prices_csv).drop(index=[10, 11, 40])  # three business days absent
    frame.to_csv(prices_csv, index=False)
    return load_spec(write_spec(f"""
        [data]
        path = "{prices_csv.name}"
        time_column = "Date"
        targets = ["Close"]
        frequency = "B"
        missing = "{missing}"
        [[model.layers]]
        type = "Dense"
        units = 1
    """))


def test_missing_time_steps_are_an_error_unless_a_policy_is_chosen(write_spec, prices_csv):
    spec = _gappy_spec(write_spec, prices_csv, "error")
    with pytest.raises(SpecError, match=r"line 6: data.missing: the data hold 3 missing time steps at frequency 'B' \(first: 2020-01-15\); choose"):
        load_data(spec)


def test_the_missing_value_policy_says_what_it_did(write_spec, prices_csv):
    original = pd.read_csv(prices_csv)
    loaded = load_data(_gappy_spec(write_spec, prices_csv, "ffill"))
    assert len(loaded.frame) == 160 and not loaded.frame.isna().any().any()
    assert loaded.frame["Close"].iloc[10] == loaded.frame["Close"].iloc[9] == original["Close"].iloc[9]
    assert loaded.notes == ["3 missing time steps at frequency 'B' (first: 2020-01-15) became missing values",
                            "filled 3 missing values with the previous value (data.missing = 'ffill')"]


def test_a_data_path_that_is_a_folder_is_refused_by_name(write_spec, tmp_path):
    (tmp_path / "folder.csv").mkdir()
    path = write_spec("""
        [data]
        path = "folder.csv"
        targets = ["close"]
        [[model.layers]]
        type = "Dense"
        units = 1
    """)
    with pytest.raises(SpecError, match=r"data.path: 'folder.csv' is not a regular file; expected a CSV file"):
        load_spec(path)


def test_a_layer_error_names_its_class_once():
    with pytest.raises(SpecError) as caught:
        spec_from_dict(_spec(model={"layers": [{"type": "LSTM", "units": -3}, {"type": "Dense", "units": 1}]}))
    assert str(caught.value).count("LSTM") == 1


def test_a_mistyped_key_does_not_hide_the_other_checks_of_its_section():
    with pytest.raises(SpecError) as caught:
        spec_from_dict(_spec(training={"epoch": 5, "optimizer": "adamm"}))
    message = str(caught.value)
    assert "2 problems" in message
    assert "training.epoch: unknown key; did you mean 'epochs'?" in message
    assert "training.optimizer: unknown optimizer 'adamm'; did you mean 'adam'?" in message


def test_data_dependent_problems_name_the_key_that_caused_them():
    dated = spec_from_dict(_spec(split={"validation_start": "2013-01-01", "test_start": "2099-01-01"}))
    frame = load_data(dated).frame
    with pytest.raises(SpecError, match="split.test_start: the test part is empty"):
        split_bounds(dated, frame)
    # a season longer than the history before the first test window: found before any training
    long_season = spec_from_dict(_spec(data={"source": "aapl", "targets": ["close"], "start": "2012-09-01"},
                                       evaluation={"season": 500}))
    with pytest.raises(SpecError, match=r"evaluation.season: seasonal_naive: origin \d+ has less than one season "
                                        r"\(500 rows\) of history.*leave 'seasonal_naive' out of evaluation.baselines"):
        split_bounds(long_season, load_data(long_season).frame)
    without = spec_from_dict(_spec(data={"source": "aapl", "targets": ["close"], "start": "2012-09-01"},
                                   evaluation={"season": 500, "baselines": ["persistence"]}))
    assert split_bounds(without, load_data(without).frame)["test"][1] == len(load_data(without).frame)


def test_interpolating_training_data_needs_the_train_end_from_the_runner(write_spec, prices_csv):
    # The loader does not split: the runner, which owns the split, says where the train part ends.
    from seqlab.experiment.data import fill_missing, read_data

    spec = _gappy_spec(write_spec, prices_csv, "interpolate")
    read = read_data(spec)
    with pytest.raises(ValueError, match="fill_missing: data.missing = 'interpolate' on training data needs "
                                         "`train_end`"):
        fill_missing(spec, read)
    train_end = split_bounds(spec, read.frame)["train"][1]
    loaded = fill_missing(spec, read, train_end=train_end)
    assert not loaded.frame.isna().to_numpy().any()
    assert any("interpolation within the train part" in note for note in loaded.notes)


@pytest.mark.parametrize("text, shown", [("inf", "inf"), ("nan", "nan"), ("-inf", "-inf")])
def test_a_number_key_refuses_inf_and_nan(text, shown):
    # TOML writes inf and nan; no key means them (issue 15: learning_rate = inf was accepted)
    spec = _spec()
    with pytest.raises(SpecError, match=rf"training.learning_rate: must be a finite number, got {shown}"):
        spec_from_dict({**spec, "training": {"learning_rate": float(text)}})
    with pytest.raises(SpecError, match=rf"training.early_stopping.min_delta: must be a finite number, got {shown}"):
        spec_from_dict({**spec, "training": {"early_stopping": {"min_delta": float(text)}}})


@pytest.mark.parametrize("rate", [0, -0.001])
def test_learning_rate_must_be_positive(rate):
    with pytest.raises(SpecError, match=rf"training.learning_rate: must be > 0.0, got {float(rate)!r}"):
        spec_from_dict({**_spec(), "training": {"learning_rate": rate}})


def test_training_precision_bf16_builds_a_mixed_model_with_a_float32_head():
    from seqlab.experiment.modeling import build_model

    spec = spec_from_dict(_spec(training={"precision": "bf16"},
                                model={"layers": [{"type": "LSTM", "units": 4}, {"type": "Dense", "units": 1}]}))
    lstm, dense = build_model(spec, n_inputs=1).layers
    assert (lstm.dtype_policy.name, dense.dtype_policy.name) == ("mixed_bfloat16", "float32")
    assert {p.dtype for p in lstm.parameters()} == {torch.float32}
    assert spec_from_dict(_spec()).training.precision == "fp32"


def test_training_precision_must_be_fp32_or_bf16():
    with pytest.raises(SpecError, match=r"training.precision: must be one of 'fp32', 'bf16', got 'fp16'"):
        spec_from_dict(_spec(training={"precision": "fp16"}))
