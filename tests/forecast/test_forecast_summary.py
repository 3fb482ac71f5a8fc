"""The plain-language verdict and the CLI's metrics table."""
from seqlab.forecast.summary import beats_all, format_number, text_table, verdicts

TABLE = {"close": {"model": {"mae": 2.0, "rmse": 3.0, "skill": -1.0},
                   "persistence": {"mae": 1.0, "rmse": 1.5, "skill": 0.0},
                   "drift": {"mae": 4.0, "rmse": 5.0, "skill": -3.0}}}


def test_verdict_names_every_baseline_the_model_loses_to():
    (sentence,) = verdicts(TABLE, labels={"persistence": "persistence (last value)"})
    # persistence: 1 - 1/2 = 50% lower error than the model; drift is beaten, so not named
    assert sentence == "close: the model (MAE 2) does NOT beat persistence (last value) (MAE 1, 50.0% lower error)."
    assert not beats_all(TABLE)


def test_verdict_when_the_model_wins_names_the_best_baseline():
    table = {"y": {"model": {"mae": 0.5}, "persistence": {"mae": 1.0}, "drift": {"mae": 0.8}}}
    assert verdicts(table) == ["y: the model beats every baseline; MAE 0.5 vs 0.8 for the best of them (drift), 37.5% lower."]
    assert beats_all(table)


def test_a_tie_is_not_a_win():
    table = {"y": {"model": {"mae": 1.0}, "persistence": {"mae": 1.0}}}
    assert "does NOT beat persistence" in verdicts(table)[0]
    assert not beats_all(table)


def test_text_table_marks_the_best_of_each_column():
    lines = text_table(TABLE["close"], metrics=("mae", "rmse")).splitlines()
    assert lines[0].split() == ["forecast", "MAE", "RMSE", "skill", "vs", "persistence"]
    assert lines[1].split() == ["model", "2", "3", "-1"]
    assert lines[2].split() == ["persistence", "1*", "1.5*", "0*"]
    assert lines[3].split() == ["drift", "4", "5", "-3"]


def test_numbers_are_readable():
    assert format_number(None) == "n/a"
    assert format_number(1234.5678) == "1,235"
    assert format_number(0.000123456) == "0.0001235"
    assert format_number(2_500_000.0) == "2,500,000"
