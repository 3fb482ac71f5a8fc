"""Looking inside recurrent layers: per-timestep gates, cell and hidden states
(:func:`trace`) and gradients through time (:func:`gradients_through_time`)."""
from seqlab.inspect.gradients import gradients_through_time
from seqlab.inspect.recording import Recorder, Trace
from seqlab.inspect.trace import trace

__all__ = ["trace", "gradients_through_time", "Trace", "Recorder"]
