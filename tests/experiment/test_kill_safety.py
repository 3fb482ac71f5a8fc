"""SIGKILL at random moments never leaves a half-written file, and what finished is recovered.

``kill_harness.py`` (run once per scenario, in its own process) forks a child per kill, kills it
with SIGKILL after a random delay and checks what is on disk:

* ``model.save`` over an existing file: the file is absent (the first save never finished) or
  loads as one of the two versions being saved, never anything else; the next save removes the
  killed saves' temporary files.
* ``ModelCheckpoint`` during ``fit``: the checkpoint is absent or loads, and a fit resumed from
  it equals the uninterrupted fit, bit for bit.
* ``seqlab run``: every file of the run folder is absent or byte-identical to an uninterrupted
  run's (``status.json`` and ``report.html``, which hold times, are whole); ``seqlab report``
  rebuilds the report from what finished, and ``--resume`` finishes the run with the same files.

The delays are drawn from fixed seeds; where a kill lands within the work still varies from
machine to machine, which is the point. Bounded: about 30 s of CPU for the three together.
"""
import json
import os
import subprocess
import sys

import pytest

HARNESS = os.path.join(os.path.dirname(__file__), "kill_harness.py")
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the harness forks one child per kill (POSIX only)")


def harness(scenario: str, kills: int, seed: int, folder) -> list[dict]:
    done = subprocess.run([sys.executable, HARNESS, scenario, str(kills), str(seed), str(folder)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_a_killed_model_save_leaves_the_old_file_or_the_new_one(tmp_path):
    results = harness("save", 20, 1, tmp_path)
    kills = [r for r in results if "kill" in r]
    assert len(kills) == 20
    assert sum(r["killed"] for r in kills) >= 18  # killed while saving, not after
    for r in kills:
        assert r["version"] in (0, 1, "absent"), r  # None: a file that is neither version
    assert [r["leftovers"] for r in results if r.get("after")] == [[]]


def test_a_killed_fit_leaves_a_checkpoint_that_resumes_exactly(tmp_path):
    results = harness("checkpoint", 5, 2, tmp_path)
    assert len(results) == 5
    resumed = [r for r in results if r["epoch"] != "absent"]
    assert len(resumed) >= 3, results  # most kills land after the first epoch's checkpoint
    for r in resumed:
        assert isinstance(r["epoch"], int) and r["resumed_equal"] is True, r


def test_a_killed_run_is_never_half_written_and_resumes_to_the_same_files(tmp_path, make_spec):
    make_spec(tmp_path / "killed.toml", name="killed", start="2012-10-01",
              hidden_layers=[{"type": "LSTM", "units": 3, "dropout": 0.2}], training={"epochs": 4, "batch_size": 8, "seed": 5},
              evaluation={"backtest": {"folds": 2}})
    results = harness("run", 5, 3, tmp_path)
    assert len(results) == 5
    assert sum(r["killed"] for r in results) >= 3, results
    for r in results:
        if r["state"] == "no folder":  # killed before the folder was made: nothing to recover
            continue
        assert r["problems"] == [], r
        if "report_rebuilt" in r:
            assert r["report_rebuilt"] is True, r
        if r["state"] != "succeeded":
            assert r["state"] == "running", r  # SIGKILL leaves no chance to write another state
            assert r["resumed"] is True and r["state_after"] == "succeeded", r
            assert r["problems_after"] == [] and r["missing_after"] == [], r
            assert r["leftovers_after"] == [], r
