"""The shared-loader FigureWidget: plotly's own widget, its bundle imported once per page."""

import json

import plotly.graph_objects as go

from explainer.widgets.figure import _BUNDLE, SharedFigureWidget


def test_it_is_a_plotly_figure_widget_with_the_same_api():
    fig = SharedFigureWidget(go.Scatter(y=[1, 3, 2]))
    assert isinstance(fig, go.FigureWidget)
    with fig.batch_update():
        fig.data[0].y = [2, 2, 2]
    assert list(fig.data[0].y) == [2, 2, 2]


def test_its_module_carries_plotlys_bundle_and_imports_it_once_per_page():
    esm = SharedFigureWidget._esm
    bundle = _BUNDLE.read_text(encoding="utf-8")
    # the bundle travels as one JSON string literal: any figure can be the first to load
    assert json.dumps(bundle) in esm
    assert "export default async" in esm
    # the import is guarded by a page-wide key: later figures reuse the first module
    loader = esm.replace(json.dumps(bundle), "")
    assert "if (!globalThis[key])" in loader
    assert loader.count("import(") == 1
