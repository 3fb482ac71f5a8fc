"""The notes' "Jack sees Jane." toy (lecture 000): a 5-token book, an LSTM trained to predict the
next token, then traced. The notes walk through what the cell should do: after a "." the next
token is a name ("forget any names as the dot means that any name can occur"), after a name
comes "sees", and the cell remembers the subject so that the object is another name.

The model trains on the fused path; the trace re-runs its trained weights on the step loop.
Behaviour checked on seed 0; the forget-gate finding held on each of 12 seeds tried (the share
of the cell state kept when reading "." was below the mean share kept at the other tokens).
"""
import numpy as np
import torch

from seqlab.inspect import trace
from seqlab.layers import LSTM, Dense, Embedding, TimeDistributed
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

TOKENS = ["Bobby", "Jack", "Jane", "sees", "."]
NAMES, SEES, DOT = [0, 1, 2], 3, 4


def book(rng, streams, sentences):
    """Streams of sentences "<name> sees <another name> ." as token ids."""
    rows = []
    for _ in range(streams):
        ids = []
        for _ in range(sentences):
            subject, obj = rng.choice(NAMES, size=2, replace=False)
            ids += [subject, SEES, obj, DOT]
        rows.append(ids)
    return np.array(rows)


def train_model(seed=0, steps=300):
    set_random_seed(seed)
    data = book(np.random.default_rng(seed), streams=64, sentences=6)
    x, y = torch.tensor(data[:, :-1]), torch.tensor(data[:, 1:])
    model = Sequential([Embedding(5, 5), LSTM(8, return_sequences=True),
                        TimeDistributed(Dense(5, activation="softmax"))])
    model(x)
    assert model.layers[1].execution_path() == "fused"
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(steps):
        optimizer.zero_grad()
        probabilities = model(x)
        loss = torch.nn.functional.nll_loss(torch.log(probabilities + 1e-9).reshape(-1, 5), y.reshape(-1))
        loss.backward()
        optimizer.step()
    return model


def test_jack_sees_jane_forget_gate_after_a_dot():
    model = train_model()
    ids = book(np.random.default_rng(100), streams=32, sentences=6)[:, :-1]
    model.eval()
    with torch.no_grad():
        probabilities = model(torch.tensor(ids)).numpy()
    position = np.arange(ids.shape[1]) % 4  # 0 subject, 1 "sees", 2 object, 3 "."

    # What the notes say the network predicts:
    after = lambda p: probabilities[:, position == p]  # noqa: E731
    assert after(3)[..., NAMES].sum(-1).min() > 0.95  # after "." comes a name
    assert after(0)[..., SEES].min() > 0.95  # after a name comes "sees"
    assert after(2)[..., DOT].min() > 0.95  # after the object, "."
    subject_prob = np.take_along_axis(after(1), ids[:, position == 0][..., None], axis=-1)
    assert subject_prob.max() < 0.1  # the cell remembers the subject: the object is another name

    lstm = model.layers[1]
    result = trace(model, ids)[lstm.name]
    # The trace is the model: its hidden states through the head give the model's output.
    head = model.layers[2](torch.tensor(result.hidden)).detach().numpy()
    np.testing.assert_allclose(head, probabilities, rtol=0, atol=1e-5)

    # "Forget any names": reading a ".", the forget gate keeps a smaller share of the cell
    # state than when reading any other token.
    forget, cell = result.gates["forget"], result.cell
    previous = np.concatenate([np.zeros_like(cell[:, :1]), cell[:, :-1]], axis=1)
    later = np.arange(ids.shape[1]) >= 4  # from the second sentence on, a previous state exists

    def kept(p):
        where = (position == p) & later
        return np.abs(forget * previous)[:, where].sum() / np.abs(previous)[:, where].sum()

    kept_at = {TOKENS_AT: kept(p) for p, TOKENS_AT in enumerate(("subject", "sees", "object", "."))}
    others = [kept_at[k] for k in ("subject", "sees", "object")]
    assert kept_at["."] < min(others), kept_at
    assert kept_at["."] < 0.6 * np.mean(others), kept_at
