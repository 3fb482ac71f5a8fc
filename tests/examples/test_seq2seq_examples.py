"""examples/seq2seq_lstm.py and seq2seq_attention.py on a tiny slice: data, models, decoding, plot.

The exact-match figures come from the full runs recorded in docs/examples.md, not from here.
"""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    if str(EXAMPLES) not in sys.path:  # the attention example imports the task from seq2seq_lstm
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lstm = load("seq2seq_lstm")
attn = load("seq2seq_attention")


def test_pairs_are_reversals_framed_and_one_hot_shifted_by_one_step():
    sources, targets = lstm.make_pairs(300, np.random.default_rng(0))
    assert all(lstm.MIN_LEN <= len(s) <= lstm.MAX_LEN and set(s) <= set(lstm.LETTERS) for s in sources)
    assert all(t == "\t" + s[::-1] + "\n" for s, t in zip(sources, targets))
    enc, dec_in, dec_out = lstm.vectorize(sources, targets)
    assert enc.shape == (300, 8, 13) and dec_in.shape == dec_out.shape == (300, 10, 13)
    assert (enc.sum(-1) == 1).all() and (dec_in.sum(-1) == 1).all()
    np.testing.assert_array_equal(dec_out[:, :-1], dec_in[:, 1:])  # teacher forcing: one step ahead
    first = "".join(lstm.CHARS[k] for k in enc[0].argmax(-1))
    assert first == sources[0].ljust(8)


def test_exact_match_counts_whole_strings_only():
    assert lstm.exact_match(["cba", "fed"], ["abc", "dex"]) == 0.5


def test_inference_models_share_the_trained_weights_and_reproduce_teacher_forcing():
    torch.manual_seed(0)
    model, encoder_model, decoder_model = lstm.build_models(units=8)
    assert model.count_params() == 4 * 8 * (13 + 8 + 1) * 2 + 8 * 13 + 13  # two LSTMs and the Dense
    sources, targets = lstm.make_pairs(4, np.random.default_rng(1))
    enc, dec_in, _ = lstm.vectorize(sources, targets)
    h, c = encoder_model.predict(enc, verbose=0)
    assert h.shape == c.shape == (4, 8)
    full = model.predict([enc, dec_in], verbose=0)
    for t in range(3):  # stepping the decoder model with the true characters gives the same outputs
        probs, h, c = decoder_model.predict([dec_in[:, t:t + 1], h, c], verbose=0)
        np.testing.assert_allclose(probs[:, 0], full[:, t], rtol=1e-5, atol=1e-6)


def test_attention_inference_matches_training_graph_and_weights_sum_to_one():
    torch.manual_seed(0)
    model, encoder_model, decoder_model = attn.build_models(units=8)
    sources, targets = lstm.make_pairs(4, np.random.default_rng(2))
    enc, dec_in, _ = lstm.vectorize(sources, targets)
    memory, h, c = encoder_model.predict(enc, verbose=0)
    assert memory.shape == (4, 8, 8)
    full = model.predict([enc, dec_in], verbose=0)
    for t in range(3):
        probs, h, c, scores = decoder_model.predict([dec_in[:, t:t + 1], memory, h, c], verbose=0)
        np.testing.assert_allclose(probs[:, 0], full[:, t], rtol=1e-5, atol=1e-6)
        assert scores.shape == (4, 1, 8)
        np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)
    guesses, weights = attn.decode_sequences(encoder_model, decoder_model, enc, max_steps=3)
    assert len(guesses) == 4 and all(len(g) <= 3 for g in guesses)
    assert weights.shape[0] == 4 and weights.shape[2] == 8 and 1 <= weights.shape[1] <= 3


def test_mirror_weight_reads_the_weight_on_the_character_being_reversed():
    weights = np.zeros((2, 4, 4))
    weights[0, [0, 1, 2], [2, 1, 0]] = 1.0      # "abc": perfectly mirrored
    weights[1, :, :] = 0.25                      # "abcd": uniform
    assert attn.mirror_weight(weights, ["abc", "abcd"]) == (3 * 1.0 + 4 * 0.25) / 7


def run_main(module, argv):
    threads = torch.get_num_threads()  # main() sets the thread count: give the suite's back after
    try:
        return module.main(argv)
    finally:
        torch.set_num_threads(threads)


def test_the_lstm_example_trains_and_decodes_on_a_small_slice(capsys):
    result = run_main(lstm, ["--samples", "300", "--epochs", "2", "--units", "16"])
    loss = result["history"]["loss"]
    assert len(loss) == 2 and loss[1] < loss[0] and 0.0 <= result["exact_match"] <= 1.0
    assert len(result["guesses"]) == 30
    out = capsys.readouterr().out
    assert "Exact-match accuracy on 30 held-out strings" in out and out.count("Q ") == 10


def test_the_attention_example_trains_and_saves_its_heat_map(tmp_path, capsys):
    plot = tmp_path / "runs" / "attention.png"
    result = run_main(attn, ["--samples", "300", "--epochs", "2", "--units", "16", "--plot", str(plot)])
    assert result["history"]["loss"][1] < result["history"]["loss"][0]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "Exact-match accuracy on 30 held-out strings" in out and "Mean attention weight" in out
    assert 0.0 <= result["mirror_weight"] <= 1.0
    assert not str(attn.DEFAULT_PLOT).startswith(str(EXAMPLES.parent))  # never in the repository
