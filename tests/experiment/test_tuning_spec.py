"""Search spaces in a spec: their parsing, and every error by its message, before any training."""
import pytest

from seqlab.cli.main import main
from seqlab.experiment import load_spec
from seqlab.experiment.errors import SpecError
from seqlab.experiment.tuning_spec import load_tuning_spec


def test_search_spaces_are_parsed_in_file_order(write_tuning):
    path = write_tuning(units="{int = [2, 64], log = true}", extra="""
        [training]
        learning_rate = {float = [1e-4, 1e-2], log = true}
        batch_size = {choice = [16, 32]}
        [training.early_stopping]
        min_delta = {float = [0.0, 0.5], step = 0.25}
    """)
    tuning = load_tuning_spec(path)
    described = [(s.path, s.kind, s.low, s.high, s.log, s.step, s.choices) for s in tuning.spaces]
    assert described == [
        ("model.layers[1].units", "int", 2, 64, True, None, ()),
        ("training.learning_rate", "float", 1e-4, 1e-2, True, None, ()),
        ("training.batch_size", "choice", None, None, False, None, (16, 32)),
        ("training.early_stopping.min_delta", "float", 0.0, 0.5, False, 0.25, ()),
    ]
    # the base spec takes each space's first candidate; a trial's spec its values
    assert tuning.base.model.layers[1]["units"] == 2 and tuning.base.training.batch_size == 16
    spec = tuning.trial_spec({"model.layers[1].units": 16, "training.learning_rate": 0.003,
                              "training.batch_size": 32, "training.early_stopping.min_delta": 0.25})
    assert (spec.model.layers[1]["units"], spec.training.learning_rate, spec.training.batch_size,
            spec.training.early_stopping.min_delta) == (16, 0.003, 32, 0.25)


def test_a_trial_value_that_is_no_valid_spec_is_a_spec_error(write_tuning):
    tuning = load_tuning_spec(write_tuning(extra="[training]\nbatch_size = {choice = [16, 32]}\n"))
    with pytest.raises(SpecError, match=r"training.batch_size: expected an integer, got string 'x'"):
        tuning.trial_spec({"model.layers[1].units": 4, "training.batch_size": "x"})
    with pytest.raises(ValueError, match=r"no value for training.batch_size"):
        tuning.trial_spec({"model.layers[1].units": 4})


# (units search space, extra TOML, the one-line error expected)
ERRORS = [
    ("{int = [8, 2]}", "", r"line 12: model.layers\[1\].units: `int` must be \[low, high\] with low < high, got \[8, 2\]"),
    ("{int = [2.5, 8]}", "", r"`int` must be \[low, high\], two integers, got \[2.5, 8\]"),
    ("{int = [2]}", "", r"`int` must be \[low, high\], two integers, got \[2\]"),
    ("{int = [0, 8], log = true}", "", r"`log = true` needs bounds above 0, got \[0, 8\]"),
    ("{int = [2, 8], log = 1}", "", r"`log` must be true or false, got 1"),
    ("{int = [2, 8], step = 4, log = true}", "", r"`step` and `log = true` cannot be combined"),
    ("{int = [2, 8], step = 4}", "", r"high - low = 6 must be a multiple of `step` = 4"),
    ("{int = [2, 8], step = 0}", "", r"`step` must be a positive integer, got 0"),
    ("{int = [2, 8], lg = true}", "", r"unknown key 'lg' in a search space; int takes with log and step"),
    ("{int = [2, 8], float = [2.0, 8.0]}", "", r"one of int, float or choice, got int and float"),
    ("{choice = []}", "", r"model.layers\[1\].units: `choice` must be a non-empty list of values, got \[\]"),
    ("{choice = [4, 4]}", "", r"`choice` lists 4 more than once"),
    ("{choice = [[4], [8]]}", "", r"each choice must be a string, number or boolean, got \[4\]"),
    ("{choice = [4], log = true}", "", r"unknown key 'log' in a search space; choice takes alone"),
    # valid forms, values invalid for their key: the spec's own check, naming the candidate
    ("{int = [0, 8]}", "", r"model.layers\[1\]: Dense: `units` must be a positive integer, got 0 "
                           r"\(the lower bound 0 of the search space of model.layers\[1\].units\)"),
    ("{choice = [4, \"four\"]}", "", r"\(the choice 'four' of the search space of model.layers\[1\].units\)"),
    ("4", "[training]\nlearning_rate = {float = [0, 0.1]}\n",
     r"line 17: training.learning_rate: must be > 0.0, got 0.0 \(the lower bound 0.0 of its search space\)"),
    ("4", "[training]\noptimizer = {choice = [\"adam\", \"adamm\"]}\n",
     r"training.optimizer: unknown optimizer 'adamm'; did you mean 'adam'\?.*\(the choice 'adamm' of its search space\)"),
    ("{int = [2, 8]}", "[windows.extra]\n", r"line 16: windows.extra: unknown key; known keys: look_back"),  # an ordinary mistake is reported as is
    # keys that would change what trials are compared on
    ("4", "[split]\ntrain = {float = [0.5, 0.7]}\nvalidation = 0.15\ntest = 0.15\n",
     r"split.train: cannot be searched: trials are compared by their loss on the same validation rows"),
    ("4", "[training]\nloss = {choice = [\"mse\", \"mae\"]}\n", r"training.loss: cannot be searched"),
    ("4", "", r"has no search space to tune; write one in place of a value"),
    ("{int = [2, 8]}", "[split]\ntrain = 0.85\nvalidation = 0.0\ntest = 0.15\n",
     r"split.validation: tuning needs a validation part"),
]


@pytest.mark.parametrize("units, extra, message", ERRORS)
def test_every_search_space_error_is_one_line_naming_the_key(write_tuning, units, extra, message):
    with pytest.raises(SpecError, match=message) as caught:
        load_tuning_spec(write_tuning(units=units, extra=extra))
    assert len(caught.value.problems) == 1, caught.value.problems


def test_a_layer_type_choice_is_checked_with_each_choice(write_tuning, make_spec):
    path = write_tuning(hidden_layers=[{"type": make_spec.raw('{choice = ["LSTM", "GRUU"]}'), "units": 4}])
    with pytest.raises(SpecError, match=r"line 9: model.layers\[0\].type: no layer 'GRUU'; did you mean 'GRU'\?"
                                        r".*\(the choice 'GRUU' of its search space\)"):
        load_tuning_spec(path)


def test_seqlab_run_refuses_a_search_space_and_points_to_tune(write_tuning, capsys):
    path = write_tuning(units="{int = [2, 8], log = true}")
    with pytest.raises(SpecError, match=r"line 12: model.layers\[1\].units: is a search space "
                                        r"\{int = \[2, 8\], log = true\}; `seqlab run` trains one model: give one "
                                        r"value, or search it with `seqlab tune SPEC --trials N`"):
        load_spec(path)
    assert main(["run", str(path), "--runs-dir", str(path.parent / "runs")]) == 1
    assert "seqlab tune" in capsys.readouterr().err
    assert not (path.parent / "runs").exists()  # refused before any run folder
