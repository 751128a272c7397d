"""The latent-traversal widget: a KL-weight slider and a digit dropdown over a
:class:`~explainer.traversals.TraversalGrid` (which holds the state and the mathematics)."""

from __future__ import annotations

import ipywidgets as widgets

from explainer.plots import traversals as plots
from explainer.traversals import TraversalGrid
from explainer.widgets.base import Explainer
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates


class TraversalExplorer(Explainer):
    """Rows = code dimensions, columns = the value m_j takes, for the chosen KL weight and
    digit; each row labelled with its KL and active or inactive."""

    def __init__(self, grid: TraversalGrid) -> None:
        super().__init__()
        if not isinstance(grid, TraversalGrid):
            raise TypeError("grid must be an explainer.traversals.TraversalGrid, got "
                            f"{type(grid).__name__}")
        self.grid = grid
        self.beta = widgets.SelectionSlider(options=[(f"{b:g}", b) for b in grid.betas],
                                            value=grid.beta, description="KL weight")
        self.digit = widgets.Dropdown(
            options=[(f"test digit {d} (a {int(grid.labels[d])})", d) for d in grid.digits],
            value=grid.digit, description="digit")
        self.fig = SharedFigureWidget(plots.traversal_figure(grid.current))
        self.on_change(self.beta, lambda _v: self.show())
        self.on_change(self.digit, lambda _v: self.show())
        self.ui = widgets.VBox([widgets.HBox([self.beta, self.digit]), self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        # every weight and every digit (6 x 10 states: all combinations are stored)
        return [control_grid(self.beta, key="beta"), control_grid(self.digit)]

    def show(self) -> None:
        t = self.grid.select(self.beta.value, self.digit.value)
        apply_updates(self.fig, plots.traversal_updates(t), plots.traversal_layout(t))
