"""How one call of a recurrent layer runs, once :meth:`.layer.RecurrentLayer.call` has prepared it
(initial states, the mask, dropout, ``go_backwards``).

:func:`choose` asks :func:`.paths.choose_path` for the path, with the reasons this call gives
against the fused kernel; then :func:`run` takes it:

* ``'fused'``: torch's kernels (:mod:`.fused`), in the dtype a mixed policy's measurements choose
  (:mod:`.precision_path`), or seqlab's bfloat16 GRU kernel where :mod:`.paths` measured it faster
  (:mod:`.gru_inference`);
* a trace (``seqlab.inspect``) that the fused path can serve: the hidden states read off the fused
  kernel, or every gate and state from the in-place LSTM kernel (:mod:`.inplace`);
* ``'loop'`` / ``'compiled_loop'``: the step loop (:mod:`.loop`), whose gradients come from the
  standard LSTM's in-place training (:mod:`.inplace_train`), the hand-written backward through
  time (:mod:`.bptt`), or autograd through every step (``Path.backward`` says which).
"""
from __future__ import annotations

import dataclasses

import torch

from seqlab.layers.inputs import capturing_graph
from seqlab.layers.recurrent import bptt, compiled, fused, gru_inference, inplace, inplace_train, precision_path
from seqlab.layers.recurrent.loop import run_loop
from seqlab.layers.recurrent.paths import Path, choose_path

Tensor = torch.Tensor


def run(layer, x: Tensor, states: tuple, mask, recurrent_mask, training: bool):
    """``(outputs, final_states)`` of ``layer`` on ``x`` ``(N, L, F)`` from ``states``."""
    recorder = layer._recorder
    # A trace reads the fused kernel's outputs where they hold all it asked for (hidden states
    # only), and runs seqlab's in-place LSTM kernel where it applies (every gate, no mask, no
    # gradients: inplace.py); otherwise it records on the step loop.
    fused_trace = recorder is not None and (_hidden_only(layer) or _inplace_traceable(layer, mask, recurrent_mask))
    path = choose(layer, x, states, recorder is not None and not fused_trace, recurrent_mask, mask)
    if recorder is None:  # a trace's path says nothing about how the model runs
        layer.path = path
    if path.name == "fused" and recorder is not None:
        return _record_fused(layer, x, states, mask, path)
    if path.name == "fused":
        return run_fused(layer, x, states, mask, float32_kernel=path.float32_kernel, kernel=path.kernel)
    if recorder is None:
        layer._announce_loop(training)
    record = recorder.new_record() if recorder is not None else None
    bias_ih, bias_hh = layer.split_bias()
    loop_options = dict(mask=mask, recurrent_mask=recurrent_mask, return_sequences=layer.return_sequences,
                        zero_output_for_mask=layer.zero_output_for_mask)
    if path.backward == "bptt" and inplace_train.applies(layer.cell, mask, layer._autocast_dtype or x.dtype):
        # The standard LSTM trains in place, its input projection inside (inplace_train.py).
        return inplace_train.run_lstm(x, states, layer.weight_ih, layer.weight_hh, bias_ih, recurrent_mask,
                                      layer.return_sequences)
    if path.backward == "bptt":
        return bptt.run_sequence(layer.cell, layer.project_inputs(x, bias_ih), states, layer.weight_hh, bias_hh,
                                 **loop_options)
    step = compiled.step_function(layer.cell) if path.name == "compiled_loop" else None
    outputs, finals = run_loop(layer.cell, layer.project_inputs(x, bias_ih), states, layer.weight_hh, bias_hh,
                               record=record, step=step, **loop_options)
    if recorder is not None:
        recorder.add(layer, record, mask)
    return outputs, finals


def _hidden_only(layer) -> bool:
    # A masked step's fused output repeats the carried state, as the trace records it, unless
    # zero_output_for_mask zeroes it.
    return layer._recorder.record == {"hidden"} and not layer.zero_output_for_mask


def _inplace_traceable(layer, mask, recurrent_mask) -> bool:
    return (layer.kernel_name == "lstm" and mask is None and recurrent_mask is None
            and layer._autocast_dtype is None and not torch.is_grad_enabled())


def _record_fused(layer, x, states, mask, path: Path):
    """A trace's run without the step loop: the hidden states off the fused kernel, or every
    gate and state from the in-place LSTM kernel."""
    record = layer._recorder.new_record()
    if _hidden_only(layer):
        sequences, finals = run_fused(layer, x, states, mask, path.float32_kernel, return_sequences=True,
                                      kernel=path.kernel)
        record.set_sequences((), (sequences,))
    else:
        bias_ih, _ = layer.split_bias()
        sequences, cells, gates, finals = inplace.run_lstm_inplace(
            x, states, layer.weight_ih, layer.weight_hh, bias_ih, keep_gates=record.keep_gates)
        record.set_sequences(gates, (sequences, cells) if record.keep_states else ())
    layer._recorder.add(layer, record, mask)
    return (sequences if layer.return_sequences else sequences[:, -1]), finals


def choose(layer, x, states, recording: bool, recurrent_mask, mask) -> Path:
    """The path of this call (:func:`.paths.choose_path`), with how the loop takes gradients."""
    # Recurrent dropout has no fused kernel; it is in use exactly when `recurrent_mask` is.
    reasons = layer._loop_reasons(training=recurrent_mask is not None)
    if recording:
        reasons.append("seqlab.inspect is recording every step")
    if mask is not None and capturing_graph():
        # The fused masked path sorts and packs by lengths read from the mask's values, which
        # a captured graph cannot; the step loop follows any mask with tensor ops.
        reasons.append("an exported graph follows the mask step by step")
    # Gradients can be asked for only with grad mode on and something requiring them.
    grads = torch.is_grad_enabled() and any(
        t.requires_grad for t in (x, *states, *layer.parameters()))
    batch, steps, *_ = x.shape
    path = choose_path(layer.cell.kind, training=grads, compute_dtype=layer.compute_dtype,
                       device=x.device, batch=batch, timesteps=steps, features=x.shape[-1],
                       units=layer.units, loop_reasons=tuple(reasons), use_cudnn=layer.use_cudnn,
                       masked=mask is not None)
    if path.name != "loop" or not grads:
        return path
    return dataclasses.replace(path, backward=_loop_backward(layer))


def _loop_backward(layer) -> str:
    """How the step loop takes its gradients: by hand (:mod:`.bptt`) where it can."""
    if layer._recorder is not None:  # any trace (hidden states only too) reads the loop's record
        why = "seqlab.inspect is recording every step"
    elif torch.compiler.is_compiling():
        why = "inside torch.compile, which traces the loop's graph itself"
    else:
        why = bptt.unsupported(layer.cell)
    return "bptt" if why is None else f"autograd: {why}"


def run_fused(layer, x, states, mask, float32_kernel=False, return_sequences=None, kernel="torch"):
    """``layer`` on a fused kernel: torch's (in the dtype the measurements choose) or seqlab's."""
    return_sequences = layer.return_sequences if return_sequences is None else return_sequences
    bias_ih, bias_hh = layer.split_bias()
    params = [layer.weight_ih, layer.weight_hh]
    if layer.use_bias:
        # torch's kernels add two biases; Keras's LSTM/SimpleRNN have one: add zeros.
        params += [bias_ih, bias_hh if bias_hh is not None else torch.zeros_like(bias_ih)]
    # Ask the kernel to keep what backward needs only when a gradient can be asked for.
    train = torch.is_grad_enabled() and any(
        t.requires_grad for t in (*params, x, *states))
    if kernel == "seqlab":  # paths.FACTS: seqlab's GRU inference kernel measured faster here
        return gru_inference.run_gru_inference(x, states[0].to(x.dtype), params,
                                               return_sequences=return_sequences)
    if float32_kernel:  # paths.FACTS: torch's low-precision kernel measured slower here
        cast = torch.float32
    elif layer._autocast_dtype is None:
        cast = None
    else:  # a mixed layer: which low-precision kernel runs fast (precision_path's measurements)
        cast = precision_path.fused_dtype(layer.kernel_name, layer._autocast_dtype, x.device.type)
    if cast is None:  # float32 layers, and mixed ones whose kernel autocast runs fast
        return fused.run_fused(layer.kernel_name, x, states, params, mask=mask,
                               return_sequences=return_sequences,
                               zero_output_for_mask=layer.zero_output_for_mask, train=train)
    with torch.autocast(x.device.type, enabled=False):
        outputs, finals = fused.run_fused(layer.kernel_name, x.to(cast), tuple(s.to(cast) for s in states),
                                          [p.to(cast) for p in params], mask=mask,
                                          return_sequences=return_sequences,
                                          zero_output_for_mask=layer.zero_output_for_mask, train=train)
    return outputs.to(x.dtype), tuple(f.to(x.dtype) for f in finals)
