"""Widgets for densities built from Gaussians: a mixture by hand, fitted mixtures for K up
to 512, ancestral sampling, and the continuous latent of a VAE's decoder.

Each class is a view: it builds its controls and one ``FigureWidget``, and draws what a
plain class of ``explainer.mixture_views`` returns, by trace name (the ``*_updates`` of
``explainer.plots.mixture``). Expensive work (fits, training) happens before a widget is
built and is passed in, so every slider only indexes or sums precomputed arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np

from explainer import gmm, latent_mixture, mixture_fits
from explainer.mixture_views import (
    MAX_COMPONENTS,
    N_OPTIONS,
    AncestralSamples,
    FittedMixtureViews,
    HandMixture,
    LatentMixtureViews,
    SamplingState,
)
from explainer.plots import mixture as plots
from explainer.validation import check_choice
from explainer.widgets.base import Explainer, float_slider, int_slider, play_control
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget, apply_updates


def _fmt_weights(w: np.ndarray) -> str:
    return ", ".join(f"{v:.2f}" for v in w)


class MixtureBuilder(Explainer):
    """A mixture of 1-10 Gaussians by hand over the target density: choose the number of
    components, pick one, set its weight, mean and standard deviation. The weights are
    renormalised (P(m) = w_m / sum w) and shown; the title shows the L1 error. The
    mixture itself is ``self.hand`` (a ``mixture_views.HandMixture``)."""

    def __init__(self, *, n_components: int = 3) -> None:
        super().__init__()
        self.hand = HandMixture(n_components=n_components)
        weight, mean, std = self.hand.component(1)
        self.n_components = int_slider("n_components", n_components, low=1, high=MAX_COMPONENTS,
                                       description="components")
        self.component = int_slider("component", 1, low=1, high=n_components,
                                    description="edit m =")
        self.weight = float_slider("weight", weight, low=0.01, high=1.0, step=0.01,
                                   description="weight w_m")
        self.mean = float_slider("mean", mean, low=gmm.X_RANGE[0], high=gmm.X_RANGE[1],
                                 step=0.05, description="mean μ_m")
        self.std = float_slider("std", std, low=0.05, high=3.0, step=0.05,
                                description="std σ_m")
        self._syncing = False

        curves = self.hand.curves()
        self.fig = SharedFigureWidget(plots.mixture_figure(
            self.hand.x, self.hand.p_plot, curves.components, curves.total,
            title=self.title()))

        self.on_change(self.n_components, self._set_n_components)
        self.on_change(self.component, self._select_component)
        self.on_change(self.weight, lambda v: self._edit(weight=v))
        self.on_change(self.mean, lambda v: self._edit(mean=v))
        self.on_change(self.std, lambda v: self._edit(std=v))
        self.ui = widgets.VBox([
            widgets.HBox([self.n_components, self.component]),
            widgets.HBox([self.weight, self.mean, self.std]),
            self.fig, self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        # the number of components, and component 1's weight, mean and spread
        return [control_grid(self.n_components), control_grid(self.weight, key="weight"),
                control_grid(self.mean, n_steps=21, key="mean"), control_grid(self.std, key="std")]

    def title(self) -> str:
        w, _, _ = self.hand.mixture()
        return (f"K = {len(w)}: P(m) = [{_fmt_weights(w)}]"
                f"<br>L1 error ∫|p − P| dx = {self.hand.error():.3f}")

    def _set_n_components(self, k: int) -> None:
        if self.component.value > k:  # the selected component is gone: select the last one
            self.component.value = k
        self.component.max = k
        self.hand.n_components = k
        self._redraw()

    def _select_component(self, m: int) -> None:
        self._syncing = True
        try:
            self.weight.value, self.mean.value, self.std.value = self.hand.component(m)
        finally:
            self._syncing = False

    def _edit(self, **value: float) -> None:
        if self._syncing:
            return
        self.hand.set(self.component.value, **value)
        self._redraw()

    def _redraw(self) -> None:
        curves = self.hand.curves()
        apply_updates(self.fig, plots.mixture_updates(curves.components, curves.total),
                      title=self.title())


class FittedMixture(Explainer):
    """EM fits of K = 1 ... 512 Gaussians to samples of the target: a K slider shows the
    fit and its components beside the error-against-K curve (fits precomputed; the curves
    are ``self.views``, a ``mixture_views.FittedMixtureViews``)."""

    def __init__(self, fits: mixture_fits.MixtureFits, *, k: int | None = None) -> None:
        super().__init__()
        self.views = FittedMixtureViews(fits)
        k = fits.ks[0] if k is None else check_choice("k", k, fits.ks)
        self.k = widgets.SelectionSlider(options=list(fits.ks), value=k, description="K")
        self.fig = SharedFigureWidget(plots.fitted_mixture_view_figure(self.views, k=k))
        self.on_change(self.k, self._show)
        self.ui = widgets.VBox([self.k, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.k, key="k")]

    def _show(self, k: int) -> None:
        view = self.views.view(k)
        apply_updates(self.fig, plots.fitted_mixture_updates(view.components, view.total, k=k,
                                                             error=view.error),
                      title=self.views.title(k))


class AncestralSampling(Explainer):
    """Sampling as a story: m ~ P(m), then x ~ N(mu_m, sigma_m^2). The draws are one seeded
    sequence (``self.samples``, a ``mixture_views.AncestralSamples``); the slider (or Play,
    or the buttons) shows the first n of them, and the histogram of x converges to P(x)."""

    def __init__(self, weights: object, means: object, stds: object, *,
                 max_draws: int = 5000, n_bins: int = 60, seed: int = 0) -> None:
        super().__init__()
        self.samples = AncestralSamples(weights, means, stds, max_draws=max_draws,
                                        n_bins=n_bins, seed=seed)
        top = self.samples.max_draws
        self.n_drawn = int_slider("n_drawn", 0, low=0, high=top, description="draws")
        self.play = play_control("play", 0, low=0, high=top, step=10, interval=120,
                                 description="play")
        widgets.jslink((self.play, "value"), (self.n_drawn, "value"))
        self.draw_one = widgets.Button(description="draw 1")
        self.draw_hundred = widgets.Button(description="draw 100")
        self.reset = widgets.Button(description="reset")

        s, state = self.samples, self.samples.state(0)
        self.fig = SharedFigureWidget(plots.sampling_figure(
            s.weights, state.shares, s.edges, state.histogram, s.x, s.density,
            last_x=state.last_x, title=self.title(state)))
        self.on_change(self.n_drawn, self._show)
        self.on_click(self.draw_one, lambda: self._advance(1))
        self.on_click(self.draw_hundred, lambda: self._advance(100))
        self.on_click(self.reset, lambda: setattr(self.n_drawn, "value", 0))
        self.ui = widgets.VBox([
            widgets.HBox([self.play, self.n_drawn, self.draw_one, self.draw_hundred, self.reset]),
            self.fig, self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        top = self.n_drawn.max
        stops = [n for n in (0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if n < top]
        return [control_grid(self.n_drawn, [*stops, top])]

    @staticmethod
    def title(state: SamplingState) -> str:
        if state.n == 0:
            return "no draws yet: press play or draw"
        return f"draw {state.n}: m = {state.last_m}, x = {state.last_x:.2f}"

    def _advance(self, step: int) -> None:
        self.n_drawn.value = min(self.n_drawn.value + step, self.n_drawn.max)

    def _show(self, n: int) -> None:
        state = self.samples.state(n)
        apply_updates(self.fig, plots.sampling_updates(state.shares, state.histogram,
                                                       last_x=state.last_x),
                      title=self.title(state))


class LatentMixture(Explainer):
    """The VAE's infinite mixture: z ~ N(0, 1), a decoder gives mu(z), sigma(z), and
    P(x) = int P(z) N(x; mu(z), sigma(z)^2) dz is estimated by the average over N drawn z.
    Choose the decoder and N; up to ``n_terms_shown`` of the summed curves are drawn (the
    curves are ``self.views``, a ``mixture_views.LatentMixtureViews``)."""

    def __init__(self, decoders: Mapping[str, latent_mixture.LatentDecoder], *, n: int = 10,
                 n_terms_shown: int = 40, seed: int = 0) -> None:
        super().__init__()
        self.views = LatentMixtureViews(decoders, n_terms_shown=n_terms_shown, seed=seed)
        n = check_choice("n", n, N_OPTIONS)
        names = list(self.views.decoders)
        self.decoder = widgets.Dropdown(options=names, value=names[0], description="decoder")
        self.n = widgets.SelectionSlider(options=list(N_OPTIONS), value=n, description="N draws")
        self.fig = SharedFigureWidget(plots.latent_mixture_view_figure(
            self.views, self.views.view(names[0], n),
            title=self.views.title(names[0], self.views.view(names[0], n))))
        self._drawn_decoder = names[0]  # the decoder whose curves the figure shows
        self.on_change(self.decoder, lambda _name: self._redraw())
        self.on_change(self.n, lambda _n: self._redraw())
        self.ui = widgets.VBox([widgets.HBox([self.decoder, self.n]), self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.decoder), control_grid(self.n, key="n")]  # 2 x 11, every pair

    def _redraw(self) -> None:
        name = self.decoder.value
        view = self.views.view(name, self.n.value)
        updates = plots.latent_mixture_view_updates(self.views, view)
        if name == self._drawn_decoder:  # a change of N: the decoder's curves stay
            updates = {k: v for k, v in updates.items() if k not in plots.DECODER_TRACES}
        apply_updates(self.fig, updates, title=self.views.title(name, view))
        self._drawn_decoder = name
