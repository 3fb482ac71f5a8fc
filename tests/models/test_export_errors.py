"""What ``model.export`` refuses, by name and before capturing anything (fast: no graph is built)."""
import pytest
import torch

import seqlab
from seqlab import layers
from seqlab.errors import NotBuiltError, SeqlabError
from seqlab.models.export import ExportError


def _lstm_model(**lstm):
    return seqlab.models.Sequential([layers.Input(shape=(5, 2)), layers.LSTM(3, **lstm), layers.Dense(1)])


def test_a_stateful_layer_is_refused_by_name(tmp_path):
    model = seqlab.models.Sequential([layers.Input(shape=(5, 2), batch_size=4),
                                      layers.LSTM(3, stateful=True, name="carried"), layers.Dense(1)])
    with pytest.raises(ExportError, match=r"layer 'carried' \(LSTM\) is stateful: it carries its final state"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_a_stateful_layer_inside_bidirectional_is_refused(tmp_path):
    model = seqlab.models.Sequential([layers.Input(shape=(5, 2), batch_size=4),
                                      layers.Bidirectional(layers.GRU(3, stateful=True, name="g"))])
    with pytest.raises(ExportError, match=r"\(Bidirectional\) is stateful"):
        model.export(tmp_path / "m.pt2")


def test_a_lambda_is_refused_by_name(tmp_path):
    def double(x):
        return 2 * x

    model = seqlab.models.Sequential([layers.Input(shape=(4,)), layers.Lambda(double, name="twice"),
                                      layers.Dense(1)])
    with pytest.raises(ExportError, match=r"layer 'twice' \(Lambda\) runs the Python function 'double'"):
        model.export(tmp_path / "m.onnx", format="onnx")


def test_an_unknown_format_is_refused_with_the_supported_ones(tmp_path):
    model = _lstm_model()
    with pytest.raises(ValueError, match=r"Unrecognized format='tflite'. Supported formats are: \['onnx', 'torch'\]"):
        model.export(tmp_path / "m.bin", format="tflite")
    with pytest.raises(ValueError, match=r"seqlab does not write format='tf_saved_model' \(a TensorFlow "
                                         r"SavedModel needs TensorFlow\); it writes \['onnx', 'torch'\]"):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match=r"format='torchscript' \(torch 2.13 deprecates torch.jit in favour of "
                                         r"torch.export: format='torch' writes a .pt2 program"):
        model.export(tmp_path / "m.pt", format="torchscript")
    with pytest.raises(ValueError, match=r"no `format` given and the file name .*m\.bin' does not say one"):
        model.export(tmp_path / "m.bin")
    with pytest.raises(ValueError, match=r"format='torch' writes a \.pt2 file"):
        model.export(tmp_path / "m.onnx", format="torch")


def test_export_errors_are_seqlab_errors_too():
    assert issubclass(ExportError, SeqlabError) and issubclass(ExportError, ValueError)


def test_an_unbuilt_model_is_refused(tmp_path):
    model = seqlab.models.Sequential([layers.LSTM(3), layers.Dense(1)])
    with pytest.raises(NotBuiltError, match="has not been built yet, so it has no graph to export"):
        model.export(tmp_path / "m.onnx")


def test_a_free_length_through_a_step_loop_asks_for_one(tmp_path):
    model = seqlab.models.Sequential([layers.Input(shape=(None, 2)), layers.Masking(0.0, name="pad"),
                                      layers.LSTM(3, name="rnn"), layers.Dense(1)])
    with pytest.raises(ExportError, match=r"layer 'rnn' \(LSTM\) follows the mask of 'pad' step by step, which an "
                                          r"exported graph unrolls over a fixed number of timesteps, but input "
                                          r"'.*' of model '.*' leaves them free \(shape \(None, None, 2\)\); pass "
                                          r"input_signature="):
        model.export(tmp_path / "m.pt2")
    ids = seqlab.models.Sequential([layers.Input(shape=(None,), dtype="int64"),
                                    layers.Embedding(9, 2, mask_zero=True, name="tokens"), layers.GRU(3, name="g")])
    with pytest.raises(ExportError, match=r"layer 'g' \(GRU\) follows the mask of 'tokens' step by step.*"
                                          r"\(shape \(None, None\)\)"):
        ids.export(tmp_path / "m.onnx")
    loop = seqlab.models.Sequential([layers.Input(shape=(None, 2)), layers.GRU(3, activation="relu", name="g")])
    with pytest.raises(ExportError, match=r"layer 'g' \(GRU\) runs on the step loop \(activation='relu'"):
        loop.export(tmp_path / "m.onnx")


def test_a_bad_input_signature_names_what_it_takes(tmp_path):
    with pytest.raises(ValueError, match=r"`input_signature` must be 1 shape\(s\) with the batch axis"):
        _lstm_model().export(tmp_path / "m.pt2", input_signature=[(None, 5, 2), (None, 3)])


def test_the_model_is_left_in_its_training_mode(tmp_path):
    model = seqlab.models.Sequential([layers.Input(shape=(3,)), layers.Dropout(0.5), layers.Dense(1)])
    model.train()
    model.export(tmp_path / "m.pt2", verbose=False)
    assert model.training
    program = torch.export.load(str(tmp_path / "m.pt2")).module()
    x = torch.ones(4, 3)
    with torch.no_grad():  # the inference graph: dropout off, as in predict
        torch.testing.assert_close(program(x), model(x, training=False), rtol=0, atol=1e-6)


def test_a_missing_folder_is_named_before_any_capture(tmp_path):
    with pytest.raises(ExportError, match=r"cannot write '.*m\.pt2': the folder '.*nowhere' does not exist"):
        _lstm_model().export(tmp_path / "nowhere" / "m.pt2")


def test_a_graph_torch_cannot_capture_is_a_seqlab_error_with_torchs_reason(tmp_path):
    class ValueBranch(seqlab.Model):  # a Python branch on a value: no single graph holds it
        def __init__(self):
            super().__init__(name="branchy")
            self.dense = layers.Dense(1)

        def call(self, inputs, training=None):
            return self.dense(inputs) if bool(inputs.mean() > 0) else -self.dense(inputs)

    model = ValueBranch()
    model(torch.ones(2, 3))
    with pytest.raises(ExportError, match=r"torch.export could not capture model 'branchy': .*data-dependent"):
        model.export(tmp_path / "m.pt2")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_verbose_says_where_and_which_sizes_are_free(tmp_path, capsys):
    model = seqlab.models.Sequential([layers.Input(shape=(4,), name="features"), layers.Dense(1)])
    model.export(tmp_path / "m.pt2")
    assert capsys.readouterr().out == (f"Saved PyTorch ExportedProgram at '{tmp_path / 'm.pt2'}'; input shapes "
                                       "'features' (None, 4) (None: any size).\n")
