"""Widgets for densities built from Gaussians: a mixture by hand, fitted mixtures for K up
to 512, ancestral sampling, and the continuous latent of a VAE's decoder.

Each class holds one ``FigureWidget``; the mathematics is in ``explainer.gmm``,
``explainer.mixture_fits`` and ``explainer.latent_mixture``, the figures in
``explainer.plots.mixture``. Expensive work (fits, training) happens before a
widget is built and is passed in, so every slider only indexes or sums precomputed arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import numpy as np

from explainer import gmm, latent_mixture, mixture_fits
from explainer.plots import mixture as plots
from explainer.validation import check_choice, check_int
from explainer.widgets.base import Explainer, float_slider, int_slider, play_control
from explainer.widgets.controls import ControlGrid, control_grid
from explainer.widgets.figure import SharedFigureWidget

MAX_COMPONENTS = 10
# a starting mixture for the hand-built widget: three bumps, roughly where the target is
_START = dict(
    weights=[0.5, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
    means=[-2.0, 1.6, 3.8, -3.0, -1.0, 0.0, 1.0, 2.5, 4.5, 5.5],
    stds=[0.8, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
)


def _plot_grid() -> np.ndarray:
    return gmm.x_grid(601, x_range=gmm.X_RANGE)


def _fmt_weights(w: np.ndarray) -> str:
    return ", ".join(f"{v:.2f}" for v in w)


class MixtureBuilder(Explainer):
    """A mixture of 1-10 Gaussians by hand over the target density: choose the number of
    components, pick one, set its weight, mean and standard deviation. The weights are
    renormalised (P(m) = w_m / sum w) and shown; the title shows the L1 error."""

    def __init__(self, *, n_components: int = 3) -> None:
        super().__init__()
        n_components = check_int("n_components", n_components, low=1, high=MAX_COMPONENTS)
        self.target = gmm.target_density()
        self.x = _plot_grid()
        self.quad = gmm.x_grid()
        self.p_plot = self.target.pdf(self.x)
        self.p_quad = self.target.pdf(self.quad)
        self.weights = np.array(_START["weights"], dtype=float)
        self.means = np.array(_START["means"], dtype=float)
        self.stds = np.array(_START["stds"], dtype=float)

        self.n_components = int_slider("n_components", n_components, low=1, high=MAX_COMPONENTS,
                                       description="components")
        self.component = int_slider("component", 1, low=1, high=n_components,
                                    description="edit m =")
        self.weight = float_slider("weight", self.weights[0], low=0.01, high=1.0, step=0.01,
                                   description="weight w_m")
        self.mean = float_slider("mean", self.means[0], low=gmm.X_RANGE[0], high=gmm.X_RANGE[1],
                                 step=0.05, description="mean μ_m")
        self.std = float_slider("std", self.stds[0], low=0.05, high=3.0, step=0.05,
                                description="std σ_m")
        self._syncing = False

        w, mu, sd = self.mixture()
        self.fig = SharedFigureWidget(plots.mixture_figure(
            self.x, self.p_plot, gmm.component_curves(w, mu, sd),
            gmm.mixture_density(self.x, w, mu, sd), title=self.title()))

        self.on_change(self.n_components, self._set_n_components)
        self.on_change(self.component, self._select_component)
        self.on_change(self.weight, lambda v: self._edit(self.weights, v))
        self.on_change(self.mean, lambda v: self._edit(self.means, v))
        self.on_change(self.std, lambda v: self._edit(self.stds, v))
        self.ui = widgets.VBox([
            widgets.HBox([self.n_components, self.component]),
            widgets.HBox([self.weight, self.mean, self.std]),
            self.fig, self.errors,
        ])

    def exported_controls(self) -> list[ControlGrid]:
        # the number of components, and component 1's weight, mean and spread
        return [control_grid(self.n_components), control_grid(self.weight),
                control_grid(self.mean, n_steps=21), control_grid(self.std)]

    def mixture(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current (P(m), mu, sigma) of the active components, weights renormalised."""
        k = self.n_components.value
        return gmm.check_mixture(self.weights[:k], self.means[:k], self.stds[:k])

    def error(self) -> float:
        """L1 error of the current mixture against the target (quadrature)."""
        return gmm.l1_error(self.p_quad, gmm.mixture_density(self.quad, *self.mixture()), self.quad)

    def title(self) -> str:
        w, _, _ = self.mixture()
        return (f"K = {len(w)}: P(m) = [{_fmt_weights(w)}]"
                f"<br>L1 error ∫|p − P| dx = {self.error():.3f}")

    def _set_n_components(self, k: int) -> None:
        if self.component.value > k:  # the selected component is gone: select the last one
            self.component.value = k
        self.component.max = k
        self._redraw()

    def _select_component(self, m: int) -> None:
        i = m - 1
        self._syncing = True
        try:
            self.weight.value = float(self.weights[i])
            self.mean.value = float(self.means[i])
            self.std.value = float(self.stds[i])
        finally:
            self._syncing = False

    def _edit(self, array: np.ndarray, value: float) -> None:
        if self._syncing:
            return
        i = self.component.value - 1
        before = array[i]
        array[i] = value
        try:
            self._redraw()
        except Exception:  # a value the mixture refuses is not kept: the other sliders still work
            array[i] = before
            raise

    def _redraw(self) -> None:
        w, mu, sd = self.mixture()
        cx, cy = gmm.component_curves(w, mu, sd)
        total = gmm.mixture_density(self.x, w, mu, sd)
        with self.fig.batch_update():
            self.fig.data[1].x, self.fig.data[1].y = cx, cy
            self.fig.data[2].y = total
            self.fig.layout.title.text = self.title()


class FittedMixture(Explainer):
    """EM fits of K = 1 ... 512 Gaussians to samples of the target: a K slider shows the
    fit and its components beside the error-against-K curve (fits precomputed)."""

    def __init__(self, fits: mixture_fits.MixtureFits, *, k: int | None = None) -> None:
        super().__init__()
        if not isinstance(fits, mixture_fits.MixtureFits):
            raise TypeError(f"fits must be a mixture_fits.MixtureFits, got {type(fits).__name__}")
        self.fits = fits
        k = fits.ks[0] if k is None else check_choice("k", k, fits.ks)
        target = gmm.target_density()
        self.x = _plot_grid()
        # every fit's curves, computed once: the slider only swaps arrays
        self.curves = {kk: gmm.component_curves(*fits.mixture(kk)) for kk in fits.ks}
        self.totals = {kk: gmm.mixture_density(self.x, *fits.mixture(kk)) for kk in fits.ks}
        self.grid_errors = mixture_fits.grid_mixture_errors(target, fits.ks)

        self.k = widgets.SelectionSlider(options=list(fits.ks), value=k, description="K")
        self.fig = SharedFigureWidget(plots.fitted_mixture_figure(
            self.x, target.pdf(self.x), self.curves[k], self.totals[k],
            ks=np.array(fits.ks), fitted_errors=fits.errors_, grid_errors=self.grid_errors,
            k=k, n_samples=fits.n_samples, title=self.title(k)))
        self.on_change(self.k, self._show)
        self.ui = widgets.VBox([self.k, self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.k)]

    def title(self, k: int) -> str:
        return (f"K = {k} Gaussians fitted by EM to {self.fits.n_samples} samples: "
                f"L1 error {self.fits.error(k):.3f}")

    def _show(self, k: int) -> None:
        cx, cy = self.curves[k]
        with self.fig.batch_update():
            self.fig.data[1].x, self.fig.data[1].y = cx, cy
            self.fig.data[2].y = self.totals[k]
            self.fig.data[5].x, self.fig.data[5].y = [k], [self.fits.error(k)]
            self.fig.layout.title.text = self.title(k)


class AncestralSampling(Explainer):
    """Sampling as a story: m ~ P(m), then x ~ N(mu_m, sigma_m^2). The draws are one seeded
    sequence; the slider (or Play, or the buttons) shows the first n of them, and the
    histogram of x converges to P(x)."""

    def __init__(self, weights: object, means: object, stds: object, *,
                 max_draws: int = 5000, n_bins: int = 60, seed: int = 0) -> None:
        super().__init__()
        self.w, self.mu, self.sd = gmm.check_mixture(weights, means, stds)
        max_draws = check_int("max_draws", max_draws, low=1, high=1_000_000)
        n_bins = check_int("n_bins", n_bins, low=1, high=1000)
        self.m_draws, self.x_draws = gmm.sample_mixture(self.w, self.mu, self.sd, max_draws,
                                                        seed=seed)
        self.x = _plot_grid()
        self.edges = np.linspace(gmm.X_RANGE[0], gmm.X_RANGE[1], n_bins + 1)

        self.n_drawn = int_slider("n_drawn", 0, low=0, high=max_draws, description="draws")
        self.play = play_control("play", 0, low=0, high=max_draws, step=10, interval=120,
                                 description="play")
        widgets.jslink((self.play, "value"), (self.n_drawn, "value"))
        self.draw_one = widgets.Button(description="draw 1")
        self.draw_hundred = widgets.Button(description="draw 100")
        self.reset = widgets.Button(description="reset")

        freq, hist, last = self.state(0)
        self.fig = SharedFigureWidget(plots.sampling_figure(
            self.w, freq, self.edges, hist, self.x,
            gmm.mixture_density(self.x, self.w, self.mu, self.sd),
            last_x=last, title=self.title(0)))
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

    def state(self, n: int) -> tuple[np.ndarray, np.ndarray, float | None]:
        """(share of each m, histogram density of x, last x) after the first n draws."""
        m = self.m_draws[:n]
        freq = np.bincount(m, minlength=len(self.w)) / max(n, 1)
        hist = gmm.histogram_density(self.x_draws[:n], self.edges)
        return freq, hist, (float(self.x_draws[n - 1]) if n else None)

    def title(self, n: int) -> str:
        if n == 0:
            return "no draws yet: press play or draw"
        return (f"draw {n}: m = {self.m_draws[n - 1] + 1}, "
                f"x = {self.x_draws[n - 1]:.2f}")

    def _advance(self, step: int) -> None:
        self.n_drawn.value = min(self.n_drawn.value + step, self.n_drawn.max)

    def _show(self, n: int) -> None:
        freq, hist, last = self.state(n)
        with self.fig.batch_update():
            self.fig.data[1].y = freq
            self.fig.data[2].y = hist
            self.fig.data[4].x = [] if last is None else [last]
            self.fig.data[4].y = [] if last is None else [0.0]
            self.fig.layout.title.text = self.title(n)


N_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


class LatentMixture(Explainer):
    """The VAE's infinite mixture: z ~ N(0, 1), a decoder gives mu(z), sigma(z), and
    P(x) = int P(z) N(x; mu(z), sigma(z)^2) dz is estimated by the average over N drawn z.
    Choose the decoder and N; up to ``n_terms_shown`` of the summed curves are drawn."""

    def __init__(self, decoders: Mapping[str, latent_mixture.LatentDecoder], *, n: int = 10,
                 n_terms_shown: int = 40, seed: int = 0) -> None:
        super().__init__()
        if not decoders or not all(isinstance(d, latent_mixture.LatentDecoder)
                                   for d in decoders.values()):
            raise TypeError("decoders must map names to latent_mixture.LatentDecoder objects "
                            "(at least one)")
        n = check_choice("n", n, N_OPTIONS)
        self.n_terms_shown = check_int("n_terms_shown", n_terms_shown, low=1)
        self.x = _plot_grid()
        self.z = np.linspace(-3.0, 3.0, 241)
        self.z_drawn = latent_mixture.latent_draws(max(N_OPTIONS), seed=seed)
        target = gmm.target_density()
        # per decoder, once: mu(z) on the z grid, mu and sigma at every drawn z, the model
        self.tables = {}
        for name, dec in decoders.items():
            mu_z, sd_z = dec(self.z)
            mu_d, sd_d = dec(self.z_drawn)
            self.tables[name] = dict(
                mu_z=mu_z, sd_z=sd_z, mu_d=mu_d, sd_d=sd_d,
                model=latent_mixture.latent_model_density(self.x, dec),
                estimates=latent_mixture.latent_mixture_densities(self.x, mu_d, sd_d, N_OPTIONS),
            )

        names = list(decoders)
        self.decoder = widgets.Dropdown(options=names, value=names[0], description="decoder")
        self.n = widgets.SelectionSlider(options=list(N_OPTIONS), value=n, description="N draws")
        t = self.tables[names[0]]
        terms, estimate, err = self.estimate(names[0], n)
        self.fig = SharedFigureWidget(plots.latent_mixture_figure(
            self.z, t["mu_z"], t["sd_z"], self.z_drawn[:n], t["mu_d"][:n], self.x, terms,
            estimate, t["model"], target.pdf(self.x), title=self.title(names[0], n, err)))
        self.on_change(self.decoder, lambda _name: self._redraw(left=True))
        self.on_change(self.n, lambda _n: self._redraw(left=False))
        self.ui = widgets.VBox([widgets.HBox([self.decoder, self.n]), self.fig, self.errors])

    def exported_controls(self) -> list[ControlGrid]:
        return [control_grid(self.decoder), control_grid(self.n)]  # 2 x 11, every pair

    def estimate(self, name: str, n: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, float]:
        """(shown terms, N-sample sum on the plot grid, its L1 distance to the model)."""
        t = self.tables[name]
        mu, sd = t["mu_d"][:n], t["sd_d"][:n]
        terms = latent_mixture.latent_term_curves(mu, sd, n_shown=min(n, self.n_terms_shown))
        estimate = t["estimates"][N_OPTIONS.index(n)]
        return terms, estimate, gmm.l1_error(estimate, t["model"], self.x)

    def title(self, name: str, n: int, err: float) -> str:
        return f"{name} decoder, N = {n} draws of z: L1 to the infinite mixture {err:.3f}"

    def _redraw(self, *, left: bool) -> None:
        name, n = self.decoder.value, self.n.value
        t = self.tables[name]
        terms, estimate, err = self.estimate(name, n)
        with self.fig.batch_update():
            if left:
                self.fig.data[0].y = t["mu_z"] + t["sd_z"]
                self.fig.data[1].y = t["mu_z"] - t["sd_z"]
                self.fig.data[2].y = t["mu_z"]
                self.fig.data[7].y = t["model"]
            self.fig.data[3].x, self.fig.data[3].y = self.z_drawn[:n], t["mu_d"][:n]
            self.fig.data[5].x, self.fig.data[5].y = terms
            self.fig.data[6].y = estimate
            self.fig.layout.title.text = self.title(name, n, err)
