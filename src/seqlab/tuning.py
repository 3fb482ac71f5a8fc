"""``seqlab.tuning``: tune an experiment spec's search spaces with Optuna, from Python.

The same as ``seqlab tune`` (see docs/cli.md): trials compared on the validation part only, the
median pruner on ``val_loss``, the study in SQLite in the run folder, the best trial's model
scored once on the test part. Needs the ``tune`` extra (``pip install 'seqlab[tune]'``).

>>> from seqlab.tuning import tune                     # doctest: +SKIP
>>> result = tune("tune.toml", trials=20)               # doctest: +SKIP
>>> result.best_params, result.best_value               # doctest: +SKIP
"""
from seqlab.experiment.search_space import SearchSpace
from seqlab.experiment.tuning import TuningResult, tune, tune_demo_spec_path
from seqlab.experiment.tuning_trial import PruneOnValLoss
from seqlab.experiment.tuning_spec import TuningSpec, load_tuning_spec, tuning_spec_from_dict

__all__ = ["tune", "TuningResult", "TuningSpec", "SearchSpace", "load_tuning_spec", "tuning_spec_from_dict",
           "PruneOnValLoss", "tune_demo_spec_path"]
