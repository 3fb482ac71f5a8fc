"""``model.export``: ONNX files run by onnxruntime and torch.export programs loaded back give
seqlab's own predictions within 1e-5, at a batch size and (where the model leaves it free) a
sequence length other than the example the graph was captured with (batch 2, 5 timesteps)."""
import numpy as np
import pytest
import torch

from export_helpers import MODELS, TOLERANCE, inputs_for, need, run_onnx, run_torch, seqlab_predictions

RUNNERS = {"onnx": (".onnx", run_onnx), "torch": (".pt2", run_torch)}
pytestmark = pytest.mark.slow  # each capture takes a few seconds (ONNX: up to ~10 s on 2 busy cores)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each model built once (seeded) and exported once per format, on first use."""
    folder = tmp_path_factory.mktemp("export")
    models, files = {}, {}

    def get(name: str, format: str):
        if name not in models:
            torch.manual_seed(sum(map(ord, name)))
            models[name] = MODELS[name][0]()
        if (name, format) not in files:
            if format == "onnx":
                need("onnxscript")
            path = folder / f"{name}{RUNNERS[format][0]}"
            written = models[name].export(path, format=format, verbose=False,
                                          input_signature=MODELS[name][1])
            assert written == str(path) and path.stat().st_size > 0
            files[(name, format)] = path
        return models[name], files[(name, format)]

    return get


@pytest.mark.parametrize("format", list(RUNNERS))
@pytest.mark.parametrize("name", list(MODELS))
def test_exported_graph_matches_seqlab(exported, name, format):
    model, path = exported(name, format)
    free_length = MODELS[name][2]
    run = RUNNERS[format][1]
    for batch, steps in ((3, 9 if free_length else 7), (1, 4 if free_length else 7)):
        inputs = inputs_for(name, batch, steps, seed=batch)
        expected = seqlab_predictions(model, inputs)
        got = run(path, inputs)
        assert [g.shape for g in got] == [e.shape for e in expected], (batch, steps)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=0, atol=TOLERANCE, err_msg=f"{name} {format} {batch}x{steps}")


def test_onnx_file_names_inputs_and_leaves_batch_and_length_free(exported):
    need("onnxruntime")
    _, path = exported("functional_attention", "onnx")
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (series, static) = session.get_inputs()
    assert (series.name, static.name) == ("series", "static")
    assert isinstance(series.shape[0], str) and isinstance(series.shape[1], str) and series.shape[2] == 3
    assert isinstance(static.shape[0], str) and static.shape[1] == 4


def test_a_fixed_length_graph_keeps_the_length_it_was_given(exported):
    _, path = exported("simple_rnn", "torch")
    with pytest.raises(Exception, match="7"):  # torch.export's guard names the expected size
        run_torch(path, inputs_for("simple_rnn", 2, 6))
