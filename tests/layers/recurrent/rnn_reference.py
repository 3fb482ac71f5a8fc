"""Float64 NumPy step loops of the notes' equations, on weights in Keras's layout.

They are the trusted reference the recurrent layers are tested against: written from the
equations (LSTM: lecture 000 "LSTM-Concepts"; GRU: Keras 3's reset_after form; SimpleRNN:
lecture 001's h_t = tanh(w_2 h_{t-1} + w_1 x_t + b_1)), one timestep at a time, with Keras's
mask semantics (a masked step carries the state and repeats the previous output).
"""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
    "hard_sigmoid": lambda x: np.clip((x + 3.0) / 6.0, 0.0, 1.0),  # Keras 3: relu6(x + 3) / 6
    "linear": lambda x: x,
}


def _prepare(x, mask, go_backwards):
    x = np.asarray(x, dtype=np.float64)
    n, steps, _ = x.shape
    mask = np.ones((n, steps), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if go_backwards:
        x, mask = x[:, ::-1], mask[:, ::-1]
    return x, mask


def _run(x, mask, states, step, zero_output_for_mask):
    """Generic Keras masked loop around ``step(x_t, states) -> (output, states, gates)``."""
    n, steps, _ = x.shape
    outputs, record = [], {"gates": [], "states": []}
    previous = np.zeros_like(states[0])
    for t in range(steps):
        output, new_states, gates = step(x[:, t], states)
        keep = mask[:, t:t + 1]
        states = tuple(np.where(keep, new, old) for new, old in zip(new_states, states))
        output = np.where(keep, output, 0.0 if zero_output_for_mask else previous)
        previous = output
        outputs.append(output)
        record["gates"].append(gates)
        record["states"].append(states)
    gates = {name: np.stack([g[name] for g in record["gates"]], axis=1) for name in record["gates"][0]}
    per_state = [np.stack([s[i] for s in record["states"]], axis=1) for i in range(len(states))]
    return {"outputs": np.stack(outputs, axis=1), "states": states, "gates": gates,
            "hidden": per_state[0], "cell": per_state[1] if len(per_state) > 1 else None}


def lstm(x, kernel, recurrent_kernel, bias, activation="tanh", recurrent_activation="sigmoid",
         initial_state=None, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Lecture 000's equations, with W·[h_{t-1}, x_t] written as one matrix per gate:

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)      i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
        C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)   C_t = f_t * C_{t-1} + i_t * C̃_t
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)      h_t = o_t * tanh(C_t)

    Keras stores the gates in the order i, f, c, o along the last axis.
    """
    act, rec = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    x, mask = _prepare(x, mask, go_backwards)
    units = recurrent_kernel.shape[0]
    bias = np.zeros(4 * units) if bias is None else bias
    W = {name: np.concatenate([recurrent_kernel[:, k * units:(k + 1) * units],
                               kernel[:, k * units:(k + 1) * units]], axis=0)
         for k, name in enumerate(("i", "f", "c", "o"))}
    b = {name: bias[k * units:(k + 1) * units] for k, name in enumerate(("i", "f", "c", "o"))}

    def step(x_t, states):
        h, c = states
        hx = np.concatenate([h, x_t], axis=1)
        f = rec(hx @ W["f"] + b["f"])
        i = rec(hx @ W["i"] + b["i"])
        candidate = act(hx @ W["c"] + b["c"])
        c = f * c + i * candidate
        o = rec(hx @ W["o"] + b["o"])
        h = o * act(c)
        return h, (h, c), {"input": i, "forget": f, "candidate": candidate, "output": o}

    zeros = np.zeros((x.shape[0], units))
    states = (zeros, zeros) if initial_state is None else tuple(np.asarray(s, np.float64) for s in initial_state)
    return _run(x, mask, states, step, zero_output_for_mask)


def gru(x, kernel, recurrent_kernel, bias, activation="tanh", recurrent_activation="sigmoid",
        initial_state=None, mask=None, go_backwards=False, zero_output_for_mask=False, reset_after=True):
    """Keras 3's GRU (reset_after=True); gates z, r, h along the last axis, bias (2, 3H):

        z_t = σ(x W_z + b_z + h U_z + b'_z)    r_t = σ(x W_r + b_r + h U_r + b'_r)
        ĥ_t = tanh(x W_h + b_h + r_t * (h U_h + b'_h))
        h_t = z_t * h_{t-1} + (1 - z_t) * ĥ_t

    or Keras 2's (reset_after=False), bias (3H,) on the input side only:

        ĥ_t = tanh(x W_h + b_h + (r_t * h) U_h)
    """
    act, rec = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    x, mask = _prepare(x, mask, go_backwards)
    units = recurrent_kernel.shape[0]
    if bias is None:
        bias = np.zeros((2, 3 * units))
    elif not reset_after:
        bias = np.stack([bias, np.zeros(3 * units)])
    part = lambda m, k: m[..., k * units:(k + 1) * units]  # noqa: E731

    def step(x_t, states):
        (h,) = states
        x_z, x_r, x_h = (x_t @ part(kernel, k) + part(bias[0], k) for k in range(3))
        h_z, h_r, h_h = (h @ part(recurrent_kernel, k) + part(bias[1], k) for k in range(3))
        z = rec(x_z + h_z)
        r = rec(x_r + h_r)
        # reset after the matmul (Keras 3), or before it (Keras 2)
        candidate = act(x_h + r * h_h) if reset_after else act(x_h + (r * h) @ part(recurrent_kernel, 2))
        h = z * h + (1.0 - z) * candidate
        return h, (h,), {"update": z, "reset": r, "candidate": candidate}

    states = (np.zeros((x.shape[0], units)),) if initial_state is None else (np.asarray(initial_state[0], np.float64),)
    return _run(x, mask, states, step, zero_output_for_mask)


def simple_rnn(x, kernel, recurrent_kernel, bias, activation="tanh", initial_state=None, mask=None,
               go_backwards=False, zero_output_for_mask=False):
    """Lecture 001: h_t = tanh(w_2 h_{t-1} + w_1 x_t + b_1)."""
    act = ACTIVATIONS[activation]
    x, mask = _prepare(x, mask, go_backwards)
    units = recurrent_kernel.shape[0]
    bias = np.zeros(units) if bias is None else bias

    def step(x_t, states):
        h = act(x_t @ kernel + states[0] @ recurrent_kernel + bias)
        return h, (h,), {}

    states = (np.zeros((x.shape[0], units)),) if initial_state is None else (np.asarray(initial_state[0], np.float64),)
    return _run(x, mask, states, step, zero_output_for_mask)


REFERENCES = {"LSTM": lstm, "GRU": gru, "SimpleRNN": simple_rnn}


def reference_for(layer, x, **kwargs):
    """Run the reference of ``layer``'s class with its weights (from ``get_weights()``) and
    activations."""
    weights = [w.astype(np.float64) for w in layer.get_weights()]
    kernel, recurrent_kernel = weights[:2]
    bias = weights[2] if len(weights) > 2 else None
    config = layer.get_config()
    options = {"activation": config["activation"]}
    if "recurrent_activation" in config:
        options["recurrent_activation"] = config["recurrent_activation"]
    if config.get("reset_after") is False:
        options["reset_after"] = False
    name = next(base.__name__ for base in type(layer).__mro__ if base.__name__ in REFERENCES)
    return REFERENCES[name](x, kernel, recurrent_kernel, bias, go_backwards=layer.go_backwards,
                            **options, **kwargs)
