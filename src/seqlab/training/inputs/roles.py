"""What one call does with its data: a :class:`Role` says it, so no caller's name steers the road.

The differences between ``fit``'s training data, its validation data, ``evaluate``, ``predict``
and the single-batch calls are properties of the role: whether targets come with the inputs
(and the compiled loss, so the optimizer is attached too), whether all samples form one batch,
whether the data may be shuffled, whether ``x``/``y``/``sample_weight`` arrive packed in one
argument, and the argument names that error messages use.
"""
from __future__ import annotations

from enum import Enum


class Role(Enum):
    """The part a batch source plays. Each member is
    ``(argument, targets, one_batch, shuffles, packed, steps_argument)``:

    * ``argument``: the user's argument that holds the data (named in errors);
    * ``targets``: ``y`` is required and checked against the loss, and the optimizer is
      attached when the model is placed (the model is trained or scored, not only run);
    * ``one_batch``: all samples form one batch (``train_on_batch`` & co.);
    * ``shuffles``: the samples may be reshuffled every pass;
    * ``packed``: ``x``, ``y`` and ``sample_weight`` come as one tuple (``validation_data``);
    * ``steps_argument``: the argument that sets the batches per pass of a stream.
    """

    FIT = ("x", True, False, True, False, "steps_per_epoch")
    VALIDATE = ("validation_data", True, False, False, True, "validation_steps")
    EVALUATE = ("x", True, False, False, False, "steps")
    PREDICT = ("x", False, False, False, False, "steps")
    BATCH = ("x", True, True, False, False, "steps")  # train_on_batch, test_on_batch
    PREDICT_BATCH = ("x", False, True, False, False, "steps")  # predict_on_batch

    def __init__(self, argument, targets, one_batch, shuffles, packed, steps_argument):
        self.argument = argument
        self.targets = targets
        self.one_batch = one_batch
        self.shuffles = shuffles
        self.packed = packed
        self.steps_argument = steps_argument
        # The optimizer is attached with the data the model is trained or scored on; validation
        # data follows fit's training data, whose placement already attached it (attaching again
        # would walk the optimizer's state on every fit call).
        self.attaches_optimizer = targets and not packed
        # Names inside the data: "x" or "validation_data x".
        self.prefix = f"{argument} " if packed else ""
        # What the fixed-batch rule calls all the samples: "x" or "validation data".
        self.samples_name = "validation data" if packed else "x"
