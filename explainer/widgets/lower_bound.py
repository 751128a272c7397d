"""Widgets for the lower bound: move q and watch the exact split of log p(x); press the
encoder and decoder buttons and watch Lb climb from a poor q; move K and watch one MNIST
digit's importance weights (their spread, their effective sample size, their estimate of
log p(x)); move x under a folded decoder and watch the best Gaussian q's. Each class is a
view: it draws what ``explainer.lower_bound_views`` and
``explainer.marginal_likelihood`` compute, by trace name (the ``*_updates`` of
``explainer.plots.lower_bound``).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import torch

from explainer import elbo
from explainer.lower_bound_views import (
    Z_VIEW,
    BoundAscent,
    BoundSplit,
    BoundSplitView,
    NonlinearGap,
)
from explainer.marginal_likelihood import DigitImportanceWeights
from explainer.plots import lower_bound as plots
from explainer.validation import check_choice
from explainer.widgets.base import Explainer, float_slider, int_slider
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates

IMPORTANCE_KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


class BoundSplitExplorer(Explainer):
    """Sliders for the observed x and q's mean and log sigma (q = N(mu, sigma^2)); the figure
    shows q against the exact posterior, and two bars: log p(x) = Lb + KL(q || p(z|x)), and
    Lb = -Minimize1 - Minimize2/2 (the tutorial's two losses), all in closed form.
    """

    def __init__(
        self,
        decoder: elbo.LinearGaussianDecoder | None = None,
        *,
        x: float = 2.0,
        mean: float = -1.0,
        log_std: float = 0.0,
    ) -> None:
        super().__init__()
        self.split = BoundSplit(decoder)
        style = dict(continuous_update=True, readout_format=".2f",
                     layout=widgets.Layout(width="420px"))
        self.x = float_slider("x", x, low=-4.0, high=4.0, step=0.05,
                              description="observed x", **style)
        self.mean = float_slider("mean", mean, low=-3.0, high=3.0, step=0.02,
                                 description="q mean μ", **style)
        self.log_std = float_slider("log_std", log_std, low=-2.5, high=1.0, step=0.02,
                                    description="q log σ", **style)
        self.fig = SharedFigureWidget(self.static_figure())
        for control in (self.x, self.mean, self.log_std):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.x, self.mean, self.log_std, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.x, n_steps=33, key="x"),
                control_grid(self.mean, n_steps=31, key="mean"),
                control_grid(self.log_std, n_steps=29, key="log-std")]

    def view(self) -> BoundSplitView:
        """The exact split at the sliders' values."""
        return self.split.view(self.x.value, mean=self.mean.value, log_std=self.log_std.value)

    def redraw(self) -> None:
        view = self.view()
        updates = plots.bound_split_updates(posterior_density=view.posterior_density,
                                            q_density=view.q_density, terms=view.terms)
        axis = {f"{plots.BOUND_SPLIT_BAR_AXIS}.range": plots.bar_axis_range(view.terms)}
        apply_updates(self.fig, updates, axis, title=plots.bound_summary(view.terms))

    def static_figure(self) -> go.Figure:
        """The figure as it stands, as a plain ``go.Figure`` (for reading without a kernel)."""
        view = self.view()
        return plots.bound_split_figure(Z_VIEW, posterior_density=view.posterior_density,
                                        q_density=view.q_density, terms=view.terms)


class EncoderDecoderAscent(Explainer):
    """Buttons: "encoder step" climbs Lb in every q (log p(X) stays put, the gap shrinks);
    "decoder step" climbs Lb in (w, b, log v) with the q's fixed (Lb rises; log p(X) may
    rise or fall, since the gap changes too);
    "alternate" runs ``rounds`` of both; "reset" starts again. The trace shows log p(X)
    and Lb after every step, and the highest log p(X) any linear-Gaussian decoder reaches.
    The climb itself is ``self.climb``, a ``lower_bound_views.BoundAscent`` (its
    docstring gives the start).
    """

    def __init__(
        self,
        x: np.ndarray,
        *,
        decoder: elbo.LinearGaussianDecoder | None = None,
        q: elbo.GaussianQ | None = None,
    ) -> None:
        super().__init__()
        self.climb = BoundAscent(x, decoder=decoder, q=q)
        self.encoder_button = widgets.Button(
            description="encoder step",
            tooltip="one step on Lb in every q_i, the decoder fixed: the gap shrinks, "
                    "log p(X) stays")
        self.decoder_button = widgets.Button(
            description="decoder step",
            tooltip="one step on Lb in the decoder (w, b, log v), every q_i fixed: "
                    "log p(X) moves")
        self.alternate_button = widgets.Button(
            description="alternate",
            tooltip="run 'rounds' rounds, each an encoder step then a decoder step")
        self.reset_button = widgets.Button(
            description="reset", tooltip="back to the start: the poor q and the first decoder")
        self.rounds = int_slider("rounds", 5, low=1, high=50, description="rounds",
                                 tooltip="how many (encoder step, decoder step) rounds "
                                         "one press of 'alternate' runs")
        self.fig = SharedFigureWidget(self.static_figure())
        self.on_click(self.encoder_button, lambda: self._step(self.climb.encoder_step))
        self.on_click(self.decoder_button, lambda: self._step(self.climb.decoder_step))
        self.on_click(self.alternate_button,
                      lambda: self._step(lambda: self.climb.alternate(self.rounds.value)))
        self.on_click(self.reset_button, lambda: self._step(self.climb.reset))
        buttons = widgets.HBox([self.encoder_button, self.decoder_button, self.alternate_button,
                                self.rounds, self.reset_button])
        self.ui = widgets.VBox([buttons, self.fig, self.errors])

    def _step(self, step: Callable[[], None]) -> None:
        """Run ``step`` on the climb, then redraw."""
        step()
        self.redraw()

    def redraw(self) -> None:
        climb, terms = self.climb, self.climb.terms()
        updates = {**plots.bound_bar_updates(terms),
                   **plots.ascent_updates(steps=climb.steps,
                                          log_marginal=climb.log_marginal_trace,
                                          lower_bound=climb.lower_bound_trace)}
        apply_updates(self.fig, updates, title=plots.bound_summary(terms),
                      layout={f"{plots.ASCENT_BAR_AXIS}.range": plots.bar_axis_range(terms)})

    def static_figure(self) -> go.Figure:
        """The figure as it stands, as a plain ``go.Figure`` (for reading without a kernel)."""
        return plots.climb_figure(self.climb)


class ImportanceSamplingExplorer(Explainer):
    """A K slider (1 to 1,000 draws): one digit's importance weights as K grows, from log
    weights drawn once (seeded) before: the histogram of the first K draws' normalised
    weights, their effective sample size, and their estimate log (1/K) sum w of log p(x)
    beside the ELBO (Burda et al., 2016). The numbers come from
    ``marginal_likelihood.DigitImportanceWeights``.
    """

    def __init__(self, log_weights: torch.Tensor, *, k: int = 1, digit: int = 0) -> None:
        super().__init__()
        if not isinstance(log_weights, torch.Tensor) or log_weights.ndim != 2:
            shape = tuple(getattr(log_weights, "shape", ()))
            raise TypeError("log_weights must be a 2-D torch.Tensor (digits, samples), got "
                            f"{type(log_weights).__name__} {shape}")
        ks = [k_ for k_ in IMPORTANCE_KS if k_ <= log_weights.shape[1]]
        k = check_choice("k", k, ks)
        self.weights = DigitImportanceWeights(log_weights, digit=digit, ks=ks)
        self.ks = ks
        self.k = widgets.SelectionSlider(options=ks, value=k, description="K samples",
                                         continuous_update=True,
                                         tooltip="how many of the digit's draws z ~ q(z|x) "
                                                 "the estimate uses",
                                         layout=widgets.Layout(width="420px"))
        w, first = self.weights, self.weights.first(k)
        self.fig = SharedFigureWidget(plots.importance_weights_figure(
            w.bin_centres(), shares=w.shares(k), ks=ks, ess=w.ess_,
            mean_estimates=w.mean_estimates_, elbo=w.elbo_, best_estimate=w.best_estimate_,
            selected_k=k, selected_ess=first.ess, selected_estimate=first.estimate,
            estimate_range=w.estimate_range()))
        self.on_change(self.k, self.redraw)
        self.ui = widgets.VBox([self.k, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.k, key="k")]

    def redraw(self, k: int) -> None:
        w, first = self.weights, self.weights.first(k)
        apply_updates(self.fig, plots.importance_updates(k, shares=w.shares(k), ess=first.ess,
                                                         estimate=first.estimate),
                      title=plots.importance_title(k, estimate=first.estimate, ess=first.ess,
                                                   elbo=w.elbo_, best_estimate=w.best_estimate_))


class NonlinearGapExplorer(Explainer):
    """A slider for the observed x under the folded decoder: the numerical posterior p(z|x)
    and the best Gaussian q started from each wall of the fold, with the gap each leaves
    (computed by ``self.gap``, a ``lower_bound_views.NonlinearGap``).

    Each change runs two fits (a few hundred ms), so the slider answers on release.
    """

    def __init__(self, *, x: float = 1.0) -> None:
        super().__init__()
        self.x = float_slider("x", x, low=-0.5, high=3.0, step=0.05,
                              description="observed x", continuous_update=False,
                              layout=widgets.Layout(width="420px"))
        self.gap = NonlinearGap()
        self.fig = SharedFigureWidget(plots.nonlinear_posterior_figure(self.gap.view(self.x.value)))
        self.on_change(self.x, self.redraw)
        self.ui = widgets.VBox([self.x, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.x, n_steps=15, key="x")]  # two fits per value: 0.25 apart

    def redraw(self, x: float) -> None:
        view = self.gap.view(x)
        apply_updates(self.fig, plots.nonlinear_updates(view), title=plots.nonlinear_title(view))
