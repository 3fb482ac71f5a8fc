"""seqlab in a notebook, without a kernel: how a Jupyter kernel is recognised (and nothing
imported to find out), which progress bar ``fit`` draws there, and the HTML of the layer table,
metric tables and run results. tests/examples/test_notebook_tour.py runs the same in a real kernel."""
import html.parser
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from tqdm.std import tqdm as text_tqdm

import seqlab
from seqlab import notebook
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.runner import RunResult
from seqlab.forecast.summary import MetricTable, html_table, text_table
from seqlab.models.summary import Summary, summarize
from seqlab.training import progress


class FakeKernelShell:
    """Stands for ipykernel.zmqshell.ZMQInteractiveShell."""


class FakeTerminalShell:
    """Stands for IPython's TerminalInteractiveShell, which shows no HTML."""


@pytest.fixture
def fake_ipython(monkeypatch):
    """Makes ``IPython.get_ipython()`` return the shell the test sets: ``fake_ipython.shell = ...``."""
    state = types.SimpleNamespace(shell=None)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: state.shell,
                                                                      version_info=(9, 0)))
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.SimpleNamespace(ZMQInteractiveShell=FakeKernelShell))
    return state


def test_a_kernel_is_recognised_by_its_shell_class(fake_ipython):
    assert not notebook.in_notebook()  # IPython imported, but no shell running (a script using it)
    fake_ipython.shell = FakeTerminalShell()
    assert not notebook.in_notebook()  # IPython's terminal: text only
    fake_ipython.shell = FakeKernelShell()
    assert notebook.in_notebook() and notebook.kernel_shell() is fake_ipython.shell


def test_outside_a_kernel_nothing_of_ipython_is_imported():
    # A fresh process: fit with a live bar and a summary must not import IPython to find out.
    code = ("import sys, numpy as np, seqlab\n"
            "m = seqlab.Sequential([seqlab.layers.Dense(1, input_shape=(2,))]); m.compile('sgd', 'mse')\n"
            "m.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=1); m.summary()\n"
            "import seqlab.inspect; seqlab.inspect.plot_gradients({'rnn': np.ones((2, 3))})\n"
            "print('IMPORTED', sorted(n for n in ('IPython', 'ipykernel', 'ipywidgets', 'tqdm.notebook') if n in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "IMPORTED []" in output
    assert "Total params: 3" in output  # printed as text


def _bar_kind(monkeypatch, widgets: bool):
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "widgets_available", lambda: widgets)
    bar = progress.Progress(verbose=1, steps=4, epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no tqdm warning about the missing widget library leaks out
        bar.begin(0)
    kind = type(bar.bar)
    bar.end({"loss": 0.5})
    return kind


def test_in_a_notebook_fit_draws_the_widget_bar(monkeypatch, capsys):
    pytest.importorskip("ipywidgets", reason="the notebook extra brings ipywidgets")
    from tqdm.notebook import tqdm as notebook_tqdm

    assert _bar_kind(monkeypatch, widgets=True) is notebook_tqdm


def test_without_ipywidgets_the_text_bar_is_drawn(monkeypatch, capsys):
    assert _bar_kind(monkeypatch, widgets=False) is text_tqdm
    assert "4/4 [==============================] - " in capsys.readouterr().out


def test_a_widget_library_that_cannot_draw_falls_back_to_text(monkeypatch, capsys):
    tqdm_notebook = pytest.importorskip("tqdm.notebook")
    monkeypatch.setattr(tqdm_notebook, "IProgress", None)  # what tqdm sees with a broken ipywidgets
    assert _bar_kind(monkeypatch, widgets=True) is text_tqdm


def _model():
    model = seqlab.Sequential([seqlab.layers.LSTM(3, input_shape=(5, 2), name="lstm"),
                               seqlab.layers.Dense(1, name="out")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_summary_html_holds_the_same_table_as_the_text():
    model = _model()
    table = summarize(model)
    assert str(table) == model.summary(print_fn=None)
    page = table._repr_html_()
    # LSTM(3) on 2 features: 4 * (3 * (2 + 3) + 3) = 72 (Keras's count); Dense(1): 3 + 1
    assert model.count_params() == 76 and "Total params: 76" in page
    assert page.count("<tr>") == 1 + 2  # the header and one row per layer
    assert "<td style='text-align:left'>lstm (LSTM)</td><td style='text-align:left'>(None, 3)</td>" in page


def test_summary_html_of_a_graph_lists_what_each_layer_is_connected_to():
    first = seqlab.Input((4,), name="a")
    second = seqlab.Input((4,), name="b")
    joined = seqlab.layers.Add(name="sum")([first, second])
    page = summarize(seqlab.Model([first, second], joined))._repr_html_()
    assert "<th style='text-align:left'>Connected to</th>" in page
    assert "a[0][0]<br>b[0][0]" in page


def test_model_summary_displays_html_in_a_notebook_and_prints_elsewhere(monkeypatch, capsys):
    from seqlab.models import model as model_module

    shown = []
    model = _model()
    monkeypatch.setattr(model_module, "display", shown.append)
    monkeypatch.setattr(model_module, "in_notebook", lambda: True)
    assert model.summary() is None
    assert len(shown) == 1 and isinstance(shown[0], Summary) and capsys.readouterr().out == ""
    lines = []
    model.summary(print_fn=lines.append)  # an explicit print_fn is always given the text
    assert lines == [str(shown[0])]
    monkeypatch.setattr(model_module, "in_notebook", lambda: False)
    model.summary()
    assert capsys.readouterr().out == str(shown[0]) + "\n" and len(shown) == 1


TABLE = {"model": {"mae": 2.0, "rmse": 3.0, "skill": -1.0}, "persistence": {"mae": 1.0, "rmse": 1.5, "skill": 0.0}}


def test_metric_table_text_and_html_mark_the_same_best_values():
    table = MetricTable(TABLE, metrics=("mae", "rmse"), labels={"persistence": "last <value>"})
    assert str(table) == text_table(TABLE, ("mae", "rmse"), {"persistence": "last <value>"})
    page = table._repr_html_()
    assert page == html_table(TABLE, ("mae", "rmse"), {"persistence": "last <value>"})
    assert ('<tr class=""><td>last &lt;value&gt;</td><td class="best"><strong>1</strong></td>'
            '<td class="best"><strong>1.5</strong></td><td class="best"><strong>0</strong></td></tr>') in page
    assert '<td class="neg">-1</td>' in page


class _Iframe(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.attributes = dict(attrs)


def _result(tmp_path, report: str | None):
    run = RunDir.create(str(tmp_path), "demo")
    if report is not None:
        run.write_text("report.html", report)
    table = MetricTable(TABLE, metrics=("mae",))
    return RunResult(run, {}, {"close": table}, ["close: the model (MAE 2) does NOT beat persistence."], 1.0)


def test_run_result_shows_its_report_in_an_escaped_iframe(tmp_path):
    document = '<!DOCTYPE html><p title="a &amp; b">it\'s "quoted" & </iframe><script>x = 1 < 2</script>'
    parser = _Iframe()
    parser.feed(_result(tmp_path, document)._repr_html_())
    assert parser.attributes["srcdoc"] == document
    assert parser.attributes["sandbox"] == ""


def test_run_result_without_a_report_shows_its_tables(tmp_path):
    result = _result(tmp_path, None)
    page = result._repr_html_()
    assert "<h4>close</h4><table>" in page and "does NOT beat persistence" in page
    assert str(result).splitlines()[1:3] == ["Test metrics for close, in the data's units (* = best):", "forecast     MAE   skill vs persistence"]
    assert str(result).endswith(f"run folder: {result.run.path}")


def test_figures_register_ipythons_png_printer_once_in_a_kernel(fake_ipython):
    pytest.importorskip("IPython.core.pylabtools", reason="the notebook extra brings IPython")
    from matplotlib.figure import Figure

    class Formatter:
        printers: dict = {}

        def lookup_by_type(self, kind):
            return self.printers[kind]

        def for_type(self, kind, printer):
            self.printers[kind] = printer

    fake_ipython.shell = FakeKernelShell()
    fake_ipython.shell.display_formatter = types.SimpleNamespace(formatters={"image/png": Formatter()})
    figure = seqlab.inspect.plot_gradients({"rnn": np.ones((2, 3))})
    printer = Formatter.printers[Figure]
    assert printer(figure)[:8] == b"\x89PNG\r\n\x1a\n"
    seqlab.inspect.plot_gradients({"rnn": np.ones((2, 3))})
    assert Formatter.printers[Figure] is printer  # registered once, an existing one kept
