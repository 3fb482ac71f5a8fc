"""Experiments: a spec file in, a run folder with an honest forecast report out.

The five steps of the notes' workflow, as one call: load → prepare → build → train → evaluate
(against the naive baselines, in the data's units) → report.

>>> from seqlab.experiment import load_spec, run_experiment   # doctest: +SKIP
>>> result = run_experiment(load_spec("spec.toml"))             # doctest: +SKIP
>>> result.run.path                                             # doctest: +SKIP
'runs/20240501-120000-aapl-lstm'
"""
from seqlab.experiment.errors import SpecError
from seqlab.experiment.generate.api import generate as generate_text
from seqlab.experiment.load import load_spec
from seqlab.experiment.runner import demo_spec_path, run_experiment
from seqlab.experiment.spec import Spec
from seqlab.experiment.validate import spec_from_dict

__all__ = ["Spec", "SpecError", "load_spec", "spec_from_dict", "run_experiment", "demo_spec_path",
           "generate_text"]
