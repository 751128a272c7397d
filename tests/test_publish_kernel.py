"""The publish layer inside a kernel: what an Explainer and a static figure display once
it is activated (PNG copies, precomputed states), and nothing before."""

import types

import ipywidgets as widgets
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from IPython.core.formatters import DisplayFormatter

from explainer.plots import trace
from explainer.publish import kernel
from explainer.widgets.base import Explainer
from explainer.widgets.controls import control_grid

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FAKE_PNG = b"\x89PNG fake"


class Slope(Explainer):
    def __init__(self):
        super().__init__()
        self.a = widgets.IntSlider(value=1, min=0, max=2, description="a")
        self.fig = go.FigureWidget(go.Figure([go.Scatter(y=[0, 1], name="line")]))
        self.on_change(self.a, lambda a: setattr(trace(self.fig, "line"), "y", [0, a]))
        self.ui = widgets.VBox([self.a, self.fig])

    def exported_controls(self):
        return [control_grid(self.a)]


@pytest.fixture
def fake_png(monkeypatch):
    monkeypatch.setattr(kernel, "figures_png", lambda figs: FAKE_PNG)
    monkeypatch.setattr(kernel, "figure_png", lambda fig: FAKE_PNG)


def test_without_the_publish_layer_an_explainer_shows_its_view_and_a_stable_text():
    bundle = Slope()._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "text/plain"}
    assert bundle["text/plain"] == "Slope: interactive figure (needs a running kernel)"


def test_the_bundle_adds_a_png_and_the_states_on_request(fake_png):
    w = Slope()
    assert set(kernel.explainer_bundle(w, png=False, frames=False)) == {WIDGET_VIEW, "text/plain"}
    bundle = kernel.explainer_bundle(w, png=True, frames=True)
    assert bundle["image/png"] == "iVBORyBmYWtl"  # base64 of FAKE_PNG
    states = bundle[kernel.FRAMES_MIMETYPE]
    assert states["type"] == "Slope" and states["controls"][0]["label"] == "a"
    assert len(states["figures"][0]["figure"]["frames"]) == 3
    assert w.a.value == 1  # put back


def test_activation_registers_a_display_for_explainers_before_their_own(monkeypatch, fake_png):
    shell = types.SimpleNamespace(display_formatter=DisplayFormatter())
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append((obj, raw)))
    kernel.activate(frames=True, shell=shell)
    handled = shell.display_formatter.ipython_display_formatter(Slope())
    assert handled is True
    ((bundle, raw),) = shown
    assert raw and set(bundle) == {WIDGET_VIEW, "text/plain", kernel.FRAMES_MIMETYPE}


def test_activation_with_pngs_adds_one_to_every_figure_of_the_mimetype_renderer(fake_png):
    shell = types.SimpleNamespace(display_formatter=DisplayFormatter())
    before, default = pio.renderers[kernel.MIMETYPE_RENDERER], pio.renderers.default
    try:
        kernel.activate(png=True, shell=shell)
        pio.renderers.default = kernel.MIMETYPE_RENDERER  # what use_notebook_renderer does
        bundle = go.Figure(go.Scatter(y=[1, 2]))._repr_mimebundle_()
        assert set(bundle) == {"application/vnd.plotly.v1+json", "image/png"}
        assert bundle["image/png"] == "iVBORyBmYWtl"
    finally:
        pio.renderers[kernel.MIMETYPE_RENDERER] = before
        pio.renderers.default = default
    assert "image/png" not in go.Figure()._repr_mimebundle_()


def test_activation_code_names_its_switches_and_needs_a_kernel():
    code = kernel.activation_code(png=True, frames=False)
    assert code.endswith("activate(png=True, frames=False)")
    with pytest.raises(RuntimeError, match="needs a running IPython kernel"):
        exec(code, {})


TINY_EXPLAINER = '''import ipywidgets as widgets
import plotly.graph_objects as go
from explainer.plots import trace
from explainer.widgets.base import Explainer
from explainer.widgets.controls import control_grid


class Tiny(Explainer):
    def __init__(self):
        super().__init__()
        self.a = widgets.IntSlider(value=0, min=0, max=1, description="a")
        self.fig = go.FigureWidget(go.Figure([go.Scatter(y=[0, 0], name="line")]))
        self.on_change(self.a, lambda a: setattr(trace(self.fig, "line"), "y", [0, a]))
        self.ui = widgets.VBox([self.a, self.fig])

    def exported_controls(self):
        return [control_grid(self.a)]


Tiny()'''


def test_a_notebook_run_for_a_page_carries_the_states_and_keeps_its_execution_counts(tmp_path):
    import nbformat

    from explainer.publish.execute import run_notebook

    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TINY_EXPLAINER)]),
                   path)
    nb = run_notebook(path, frames=True)
    (cell,) = nb.cells
    assert cell.execution_count == 1  # the activation ran unrecorded
    (out,) = cell.outputs
    assert out.output_type == "display_data"  # as in JupyterLab, not an Out[1] result
    assert set(out.data) == {WIDGET_VIEW, "text/plain", kernel.FRAMES_MIMETYPE}
    assert out.data["text/plain"] == "Tiny: interactive figure (needs a running kernel)"
    assert [c["label"] for c in out.data[kernel.FRAMES_MIMETYPE]["controls"]] == ["a"]
