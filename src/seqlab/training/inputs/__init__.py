"""Input handling: what a user passes to ``fit``/``evaluate``/``predict`` becomes device batches.

One entry point, :func:`make_source`, with a :class:`Role` saying what the data is for. The
modules, from the bottom up:

* ``roles.py``: :class:`Role`, what differs between the calls;
* ``tree.py``: nested structures (lists/tuples/dicts of arrays) and their single-tensor fast path;
* ``convert.py``: array-likes to checked tensors (types, NaN/inf, shapes; errors that name the fix);
* ``rules.py``: what the model sets: dtypes, input shape, labels, batch size, class weights;
* ``batch.py``: :class:`Batch`, the inputs, targets and weights of some samples;
* ``arrays.py`` / ``streams.py``: the two sources, each with its own checks;
* ``road.py``: the one road: convert → check → build and place the model → check labels →
  the source's checks → the device.
"""
from seqlab.training.inputs.batch import Batch
from seqlab.training.inputs.road import convert_batch, make_source, place
from seqlab.training.inputs.roles import Role
from seqlab.training.inputs.streams import is_stream

__all__ = ["Batch", "Role", "convert_batch", "is_stream", "make_source", "place"]
