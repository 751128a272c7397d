"""Widgets for PCA against autoencoders.

- :class:`LinearAETrainer`: a "train" button that trains a linear AE from random weights
  by gradient descent and streams its error and principal angles into the figure.
- :class:`CodeSizeExplorer`: a k slider (1 to 64) over PCA, the linear AE and the deep
  AE; everything is measured when the widget is built, so moving it only redraws.
"""

from __future__ import annotations

import ipywidgets as widgets

from explainer import compression, pca
from explainer.data import ImageDataset
from explainer.plots import compression as plots
from explainer.validation import check_int, check_seed
from explainer.widgets.base import Explainer, int_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates


class LinearAETrainer(Explainer):
    """Train a linear AE at code size k live, from new random weights on each press."""

    def __init__(self, data: ImageDataset, *, k: int = 10, reference: pca.PCA | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        k = check_int("k", k, low=1, high=pca.MAX_CODE_SIZE)
        seed = check_seed(seed)
        self.data, self.k, self.seed = data, k, seed
        self.reference = reference or pca.fit_pca(data.x_train, n_components=pca.MAX_CODE_SIZE)
        self.pca_error = float(pca.error_by_code_size(self.reference, data.x_train, max_k=k)[-1])
        self.moments = compression.data_moments(data)  # once: every press trains on them
        self.runs = 0
        self.states: list[compression.LinearAEState] = []
        self.train_button = widgets.Button(description="train", icon="play",
                                           tooltip="train from new random weights")
        self.readout = widgets.HTML()
        self.fig = SharedFigureWidget(plots.linear_training_figure(
            [], pca_error=self.pca_error, k=k,
            n_steps=compression.LINEAR_AE_TRAINING.n_steps))
        self.on_click(self.train_button, self.train)
        self.ui = widgets.VBox([widgets.HBox([self.train_button, self.readout]), self.fig,
                                self.errors])
        self._show_readout()

    def train(self) -> None:
        """Train from new weights (seed + number of presses), redrawing every 10 steps."""
        self.states = []
        self.train_button.disabled = True
        try:
            compression.train_linear_ae(self.data, k=self.k, seed=self.seed + self.runs,
                                        reference=self.reference, moments=self.moments,
                                        callback=self._stream)
        finally:
            self.train_button.disabled = False
            self.runs += 1

    def _stream(self, state: compression.LinearAEState) -> None:
        self.states.append(state)
        top = max(s.train_error for s in self.states)
        apply_updates(self.fig, plots.linear_training_updates(self.states),
                      {"yaxis.range": plots.log_range(self.pca_error, top)})
        self._show_readout()

    def _show_readout(self) -> None:
        if not self.states:
            self.readout.value = f"PCA's error at k = {self.k}: {self.pca_error:.2f}. Press train."
            return
        s = self.states[-1]
        self.readout.value = (f"step {s.step}: error {s.train_error:.2f} "
                              f"(PCA {self.pca_error:.2f}), "
                              f"largest angle {s.angles.max():.1f}°")


class CodeSizeExplorer(Explainer):
    """A k slider: the shown digits reconstructed by PCA, linear AE and deep AE at k."""

    def __init__(self, comparison: compression.CodeSizeComparison, *, k: int = 10) -> None:
        super().__init__()
        if not isinstance(comparison, compression.CodeSizeComparison):
            raise TypeError("comparison must be a compression.CodeSizeComparison, got "
                            f"{type(comparison).__name__}")
        self.k = int_slider("k", k, low=1, high=len(comparison.pca_error),
                            description="code size k", continuous_update=True,
                            style={"description_width": "initial"})
        k = self.k.value
        self.comparison = comparison
        self.top = float(max(comparison.pca_error.max(), comparison.deep_error.max()))
        self.fig = SharedFigureWidget(plots.code_size_figure(comparison, k=k))
        self.on_change(self.k, self.show)
        self.ui = widgets.VBox([self.k, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.k, n_steps=self.k.max, key="k")]  # every k: only a redraw each

    def show(self, k: int) -> None:
        apply_updates(self.fig, plots.code_size_updates(self.comparison, k, top=self.top),
                      {"title.text": plots.code_size_title(self.comparison, k)})
