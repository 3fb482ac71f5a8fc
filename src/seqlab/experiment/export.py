"""``seqlab export``: a finished run's model, or any model file, as an ONNX or torch.export file.

The exported graph is the model alone: it takes the windows scaled by the run's
``scalers.json`` (inputs) and returns scaled forecasts, which ``scalers.json`` (targets) turns
back into the data's units, as ``seqlab predict`` does.
"""
from __future__ import annotations

import os

from seqlab.experiment import artifacts
from seqlab.experiment.rundir import RunDir, RunDirError
from seqlab.models import load_model
from seqlab.models.export import FORMATS


def export_run(run_or_model, format: str = "onnx", output=None) -> str:
    """Export the model of a run folder (or a ``.seqlab`` model file) and return the path written.

    Args:
        run_or_model: a run folder of a succeeded run, or a model file.
        format: ``"onnx"`` or ``"torch"`` (see :meth:`seqlab.Model.export`).
        output: the file to write; by default beside the model file, ``model.onnx`` / ``model.pt2``.
    """
    path = os.fspath(run_or_model)
    if os.path.isdir(path):
        run = RunDir.open(path)
        state = run.status().get("state")
        if state != "succeeded":
            raise RunDirError(f"run {run.path} did not succeed (status {state!r}); it has no model to export")
        model_file = run.require(artifacts.MODEL_FILE)
    else:
        model_file = path
    model = load_model(model_file, compile=False)
    if output is None and format in FORMATS:
        output = os.path.splitext(model_file)[0] + FORMATS[format]
    return model.export(output, format=format, verbose=False)
