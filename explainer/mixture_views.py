"""What the mixture figures show, as plain objects: a mixture built by hand, the fitted
mixtures for each K, ancestral sampling after n draws, and a decoder's infinite mixture
against its N-sample sums.

The widgets in ``explainer.widgets.mixture`` draw these views and the notebooks print and
plot the same ones; nothing here needs ipywidgets. Expensive work (fits, training) happens
before, and is passed in: every view only indexes or sums precomputed arrays. The
mathematics is in ``explainer.gmm``, ``explainer.mixture_fits`` and
``explainer.latent_mixture``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from explainer import gmm, latent_mixture, mixture_fits
from explainer.validation import check_choice, check_int

# points of the grid every mixture figure is drawn on (gmm.X_RANGE)
PLOT_POINTS = 601
MAX_COMPONENTS = 10
# the number of drawn z a LatentMixtureViews sums over
N_OPTIONS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
# a starting mixture for the hand-built one: three bumps, roughly where the target is
START_WEIGHTS = (0.5, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2)
START_MEANS = (-2.0, 1.6, 3.8, -3.0, -1.0, 0.0, 1.0, 2.5, 4.5, 5.5)
START_STDS = (0.8, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3)


def plot_grid() -> np.ndarray:
    """The x grid every mixture figure is drawn on: PLOT_POINTS points of gmm.X_RANGE."""
    return gmm.x_grid(PLOT_POINTS, x_range=gmm.X_RANGE)


@dataclass(frozen=True)
class MixtureCurves:
    """One mixture on the plot grid: its weighted components P(m) N(x; mu_m, sigma_m^2) as
    one polyline with NaN gaps, their sum P(x), and the L1 error against the target."""

    components: tuple[np.ndarray, np.ndarray]
    total: np.ndarray
    error: float


class HandMixture:
    """A mixture of 1 to MAX_COMPONENTS Gaussians set by hand: the first ``n_components``
    of ten (weight, mean, std) rows are active, and the weights are renormalised,
    P(m) = w_m / sum w. Starts on three bumps roughly where the target is."""

    def __init__(self, *, n_components: int = 3) -> None:
        self.target = gmm.target_density()
        self.x = plot_grid()
        self.quad = gmm.x_grid()
        self.p_plot = self.target.pdf(self.x)
        self.p_quad = self.target.pdf(self.quad)
        self.weights = np.array(START_WEIGHTS, dtype=float)
        self.means = np.array(START_MEANS, dtype=float)
        self.stds = np.array(START_STDS, dtype=float)
        self.n_components = check_int("n_components", n_components, low=1, high=MAX_COMPONENTS)

    def component(self, m: int) -> tuple[float, float, float]:
        """(weight, mean, std) of component m (1-based), as set (not renormalised)."""
        i = m - 1
        return float(self.weights[i]), float(self.means[i]), float(self.stds[i])

    def set(self, m: int, **values: float) -> None:
        """Set component m's ``weight``, ``mean`` and/or ``std``; a value the mixture refuses
        is not kept (the mixture stays as it was)."""
        arrays = dict(weight=self.weights, mean=self.means, std=self.stds)
        i = m - 1
        before = {name: arrays[name][i] for name in values}
        for name, value in values.items():
            arrays[name][i] = value
        try:
            self.mixture()
        except Exception:  # a refused value is not kept: the other values still work
            for name, value in before.items():
                arrays[name][i] = value
            raise

    def mixture(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The active (P(m), mu, sigma), weights renormalised."""
        k = self.n_components
        return gmm.check_mixture(self.weights[:k], self.means[:k], self.stds[:k])

    def error(self) -> float:
        """L1 error of the mixture against the target (quadrature)."""
        return gmm.l1_error(self.p_quad, gmm.mixture_density(self.quad, *self.mixture()), self.quad)

    def curves(self) -> MixtureCurves:
        """The active mixture on the plot grid."""
        w, mu, sd = self.mixture()
        return MixtureCurves(gmm.component_curves(w, mu, sd),
                             gmm.mixture_density(self.x, w, mu, sd), self.error())


class FittedMixtureViews:
    """The curves of every fit in ``fits`` (K = 1 ... 512), computed once, and the error
    against K of the mixtures built from the density itself. ``n_points`` is the points per
    drawn component (fewer keep a stored figure of 512 components small)."""

    def __init__(self, fits: mixture_fits.MixtureFits, *, n_points: int = 25) -> None:
        if not isinstance(fits, mixture_fits.MixtureFits):
            raise TypeError(f"fits must be a mixture_fits.MixtureFits, got {type(fits).__name__}")
        self.fits = fits
        self.target = gmm.target_density()
        self.x = plot_grid()
        self.target_pdf = self.target.pdf(self.x)
        self.grid_errors = mixture_fits.grid_mixture_errors(self.target, fits.ks)
        self._views = {k: MixtureCurves(gmm.component_curves(*fits.mixture(k), n_points=n_points),
                                        gmm.mixture_density(self.x, *fits.mixture(k)),
                                        fits.error(k))
                       for k in fits.ks}

    def view(self, k: int) -> MixtureCurves:
        """The K = k fit (one of ``fits.ks``)."""
        return self._views[check_choice("k", k, self.fits.ks)]

    def title(self, k: int) -> str:
        return (f"K = {k} Gaussians fitted by EM to {self.fits.n_samples} samples: "
                f"L1 error {self.view(k).error:.3f}")


@dataclass(frozen=True)
class SamplingState:
    """Ancestral sampling after the first n draws: the share of draws that picked each m,
    the histogram of x on the density scale, and the last draw (None before the first)."""

    n: int
    shares: np.ndarray
    histogram: np.ndarray
    last_m: int | None
    last_x: float | None


class AncestralSamples:
    """One seeded sequence of ``max_draws`` ancestral draws m ~ P(m), x ~ N(mu_m, sigma_m^2),
    read n at a time; the histogram has ``n_bins`` bins over gmm.X_RANGE."""

    def __init__(self, weights: object, means: object, stds: object, *,
                 max_draws: int = 5000, n_bins: int = 60, seed: int = 0) -> None:
        self.weights, self.means, self.stds = gmm.check_mixture(weights, means, stds)
        self.max_draws = check_int("max_draws", max_draws, low=1, high=1_000_000)
        n_bins = check_int("n_bins", n_bins, low=1, high=1000)
        self.m_draws, self.x_draws = gmm.sample_mixture(self.weights, self.means, self.stds,
                                                        self.max_draws, seed=seed)
        self.x = plot_grid()
        self.density = gmm.mixture_density(self.x, self.weights, self.means, self.stds)
        self.edges = np.linspace(gmm.X_RANGE[0], gmm.X_RANGE[1], n_bins + 1)

    def state(self, n: int) -> SamplingState:
        """The first n draws (0 <= n <= max_draws)."""
        n = check_int("n", n, low=0, high=self.max_draws)
        m = self.m_draws[:n]
        shares = np.bincount(m, minlength=len(self.weights)) / max(n, 1)
        hist = gmm.histogram_density(self.x_draws[:n], self.edges)
        if n == 0:
            return SamplingState(0, shares, hist, None, None)
        return SamplingState(n, shares, hist, int(self.m_draws[n - 1]) + 1,
                             float(self.x_draws[n - 1]))


@dataclass(frozen=True)
class DecoderCurves:
    """One decoder on the z grid and at every drawn z, and its infinite mixture on the plot
    grid with the N-sample sums for every N in N_OPTIONS (one row each)."""

    mu_z: np.ndarray
    sigma_z: np.ndarray
    mu_drawn: np.ndarray
    sigma_drawn: np.ndarray
    model: np.ndarray
    estimates: np.ndarray


@dataclass(frozen=True)
class LatentMixtureView:
    """One decoder summed over its first N drawn z: the shown terms N(x; mu(z_n),
    sigma(z_n)^2) / N (one polyline with NaN gaps), their sum P_N(x), and its L1 distance
    to the infinite mixture."""

    decoder: DecoderCurves
    n: int
    terms: tuple[np.ndarray, np.ndarray]
    estimate: np.ndarray
    error: float


class LatentMixtureViews:
    """Decoders z -> (mu(z), sigma(z)) as infinite mixtures P(x) = int P(z) N(x; mu(z),
    sigma(z)^2) dz, against the average over the first N of one seeded set of draws
    z_n ~ N(0, 1). Everything is computed once, per decoder; ``n_terms_shown`` caps the
    terms a view draws."""

    def __init__(self, decoders: Mapping[str, latent_mixture.LatentDecoder], *,
                 n_terms_shown: int = 40,
                 seed: int = 0) -> None:
        if not decoders or not all(isinstance(d, latent_mixture.LatentDecoder)
                                   for d in decoders.values()):
            raise TypeError("decoders must map names to latent_mixture.LatentDecoder objects "
                            "(at least one)")
        self.n_terms_shown = check_int("n_terms_shown", n_terms_shown, low=1)
        self.x = plot_grid()
        self.z = np.linspace(-3.0, 3.0, 241)
        self.z_drawn = latent_mixture.latent_draws(max(N_OPTIONS), seed=seed)
        self.target_pdf = gmm.target_density().pdf(self.x)
        self.decoders = {}
        for name, decoder in decoders.items():
            mu_z, sigma_z = decoder(self.z)
            mu_d, sigma_d = decoder(self.z_drawn)
            self.decoders[name] = DecoderCurves(
                mu_z=mu_z, sigma_z=sigma_z, mu_drawn=mu_d, sigma_drawn=sigma_d,
                model=latent_mixture.latent_model_density(self.x, decoder),
                estimates=latent_mixture.latent_mixture_densities(self.x, mu_d, sigma_d, N_OPTIONS))

    def view(self, name: str, n: int) -> LatentMixtureView:
        """Decoder ``name`` summed over its first n drawn z (n one of N_OPTIONS)."""
        curves = self.decoders[check_choice("name", name, self.decoders)]
        n = check_choice("n", n, N_OPTIONS)
        terms = latent_mixture.latent_term_curves(curves.mu_drawn[:n], curves.sigma_drawn[:n],
                                       n_shown=min(n, self.n_terms_shown))
        estimate = curves.estimates[N_OPTIONS.index(n)]
        return LatentMixtureView(curves, n, terms, estimate,
                                 gmm.l1_error(estimate, curves.model, self.x))

    @staticmethod
    def title(name: str, view: LatentMixtureView) -> str:
        return (f"{name} decoder, N = {view.n} draws of z: "
                f"L1 to the infinite mixture {view.error:.3f}")
