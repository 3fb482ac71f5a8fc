"""Looking inside recurrent layers: per-timestep gates, cell and hidden states
(:func:`trace`), gradients through time (:func:`gradients_through_time`), and what to make of
them: gate saturation, units that switch on over a span or follow a signal, attributions to the
inputs, figures, the vanishing-gradient lesson, and the HTML explorer (:func:`explore`)."""
from seqlab.inspect.attribution import attribute
from seqlab.inspect.explorer import explore
from seqlab.inspect.gradients import gradients_through_time
from seqlab.inspect.lesson import lesson_vanishing
from seqlab.inspect.plots import plot_gates, plot_gradients, plot_saturation, plot_text_units
from seqlab.inspect.recording import Recorder, Trace
from seqlab.inspect.saturation import saturation
from seqlab.inspect.signals import cut_signals, series_signals, text_signals
from seqlab.inspect.trace import trace
from seqlab.inspect.units import Match, UnitSearch, correlate_units, find_units, top_units, top_units_table

__all__ = ["trace", "gradients_through_time", "Trace", "Recorder", "saturation", "find_units",
           "UnitSearch", "Match", "correlate_units", "top_units", "top_units_table", "attribute", "lesson_vanishing",
           "plot_gates", "plot_gradients", "plot_saturation", "plot_text_units", "text_signals", "series_signals", "cut_signals",
           "explore"]
