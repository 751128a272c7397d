"""Gaussian mixtures fitted to samples of the target, and built from the target itself.

- ``fit_mixtures``: scikit-learn ``GaussianMixture`` (EM) fitted to seeded samples for a
  grid of K, with each fit's L1 error; cached in memory and on disk.
- ``mean_log_likelihood`` / ``expected_log_likelihood``: how well a mixture explains the
  samples it was fitted to, and fresh draws of the target.
- ``grid_mixture``: a K-component mixture built from the density itself (no samples):
  one construction, so its error is an upper bound on the best error K Gaussians can
  reach, not a limit (EM on samples beats it at small K).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
from sklearn.mixture import GaussianMixture

from explainer import cache
from explainer.gmm import (
    MAX_COMPONENTS,
    X_RANGE,
    TargetDensity,
    integrate,
    l1_error,
    log_mixture_density,
    mixture_density,
    target_density,
    x_grid,
)
from explainer.validation import check_draws, check_finite, check_int, check_seed

# the K values fitted by default: powers of two up to the tutorial's 512
DEFAULT_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
# EM (scikit-learn) holds several (n_samples x K) arrays at once
MAX_EM_COMPONENTS = 512
MAX_EM_SAMPLES = 20_000


@dataclass(frozen=True)
class MixtureFits:
    """Fitted mixtures for each K in ``ks``: component k of fit i is row i, column k
    of ``weights_``/``means_``/``stds_`` (padded with zero weights beyond K)."""

    ks: tuple[int, ...]
    weights_: np.ndarray  # (len(ks), max K)
    means_: np.ndarray
    stds_: np.ndarray
    errors_: np.ndarray  # L1 error against the target, per K
    seconds_: np.ndarray  # fit time per K, measured on the machine that fitted (cached)
    n_iter_: np.ndarray  # EM steps per K
    converged_: np.ndarray  # whether EM met its tolerance, per K
    n_samples: int
    seed: int

    def mixture(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(weights, means, stds) of the K = k fit."""
        if k not in self.ks:
            raise ValueError(f"k must be one of the fitted K values {self.ks}, got {k!r}")
        i, n = self.ks.index(k), k
        return self.weights_[i, :n], self.means_[i, :n], self.stds_[i, :n]

    def error(self, k: int) -> float:
        self.mixture(k)
        return float(self.errors_[self.ks.index(k)])


def fit_gaussian_mixture(samples: np.ndarray, n_components: int, *, seed: int) -> GaussianMixture:
    """One ``GaussianMixture`` fitted by EM, seeded and fast enough for K = 512: one
    k-means++ start (no full k-means), ``covariance_type="diag"`` (in 1-D the same model as
    "full", but computed for all components at once instead of in a Python loop), at
    most 100 EM steps, stopping when the mean log-likelihood gains less than 1e-3.

    ``samples``: 1-D, at most ``MAX_EM_SAMPLES``; ``n_components`` at most
    ``MAX_EM_COMPONENTS`` and at most one per sample."""
    samples = check_draws("samples", samples, high=MAX_EM_SAMPLES)
    n_components = check_int("n_components", n_components, low=1, high=MAX_EM_COMPONENTS)
    if n_components > len(samples):
        raise ValueError(f"n_components must be at most the number of samples ({len(samples)}): "
                         f"EM needs one sample per component; got {n_components}")
    seed = check_seed(seed)
    return GaussianMixture(
        n_components=n_components,
        covariance_type="diag",
        init_params="k-means++",
        n_init=1,
        max_iter=100,
        tol=1e-3,
        reg_covar=1e-6,
        random_state=seed,
    ).fit(samples.reshape(-1, 1))


def fit_mixtures(
    ks: tuple[int, ...] = DEFAULT_KS,
    *,
    n_samples: int = 4000,
    seed: int = 0,
    use_disk_cache: bool = True,
) -> MixtureFits:
    """GaussianMixture fitted to ``n_samples`` seeded draws of the target for every K in
    ``ks``, with each fit's L1 error; cached in memory and (by default) on disk.

    Each K is in [1, ``MAX_EM_COMPONENTS``] and at most ``n_samples``, itself at most
    ``MAX_EM_SAMPLES`` (EM holds several n_samples x K arrays)."""
    n_samples = check_int("n_samples", n_samples, low=1, high=MAX_EM_SAMPLES)
    ks = tuple(check_int(f"ks[{i}]", k, low=1, high=MAX_EM_COMPONENTS) for i, k in enumerate(ks))
    if not ks or list(ks) != sorted(set(ks)):
        raise ValueError(f"ks must be a non-empty increasing sequence of integers, got {ks}")
    if ks[-1] > n_samples:
        raise ValueError(f"ks[{len(ks) - 1}] must be at most n_samples ({n_samples}): EM needs "
                         f"one sample per component; got {ks[-1]}")
    seed = check_seed(seed)
    return _fit_mixtures_cached(ks, n_samples, seed, bool(use_disk_cache))


@functools.lru_cache(maxsize=8)
def _fit_mixtures_cached(ks: tuple[int, ...], n_samples: int, seed: int, disk: bool) -> MixtureFits:
    path = cache.cache_dir() / "mixtures" / (
        cache.cache_key(kind="gmm-fits", ks=ks, n_samples=n_samples, seed=seed) + ".npz"
    )
    n_ks, n_max = len(ks), max(ks)
    arrays = cache.load_arrays(path, parse=lambda arrays: cache.check_arrays(arrays, {
        "weights": (np.float64, (n_ks, n_max)), "means": (np.float64, (n_ks, n_max)),
        "stds": (np.float64, (n_ks, n_max)), "errors": (np.float64, (n_ks,)),
        "seconds": (np.float64, (n_ks,)), "n_iter": (np.int64, (n_ks,)),
        "converged": (np.bool_, (n_ks,))})) if disk else None
    if arrays is None:
        arrays = _fit_all(ks, n_samples, seed)
        if disk:
            cache.save_arrays(path, arrays)
    return MixtureFits(
        ks=ks,
        weights_=arrays["weights"],
        means_=arrays["means"],
        stds_=arrays["stds"],
        errors_=arrays["errors"],
        seconds_=arrays["seconds"],
        n_iter_=arrays["n_iter"],
        converged_=arrays["converged"],
        n_samples=n_samples,
        seed=seed,
    )


def _fit_all(ks: tuple[int, ...], n_samples: int, seed: int) -> dict[str, np.ndarray]:
    samples = target_density().sample(n_samples, seed=seed)
    grid = x_grid()
    p = target_density().pdf(grid)
    shape = (len(ks), max(ks))
    weights, means, stds = np.zeros(shape), np.zeros(shape), np.ones(shape)
    errors, seconds = np.zeros(len(ks)), np.zeros(len(ks))
    n_iter, converged = np.zeros(len(ks), dtype=np.int64), np.zeros(len(ks), dtype=bool)
    for i, k in enumerate(ks):
        start = time.perf_counter()
        gm = fit_gaussian_mixture(samples, k, seed=seed)
        seconds[i] = time.perf_counter() - start
        n_iter[i], converged[i] = gm.n_iter_, gm.converged_
        order = np.argsort(gm.means_[:, 0])
        weights[i, :k] = gm.weights_[order]
        means[i, :k] = gm.means_[order, 0]
        # sigma_m = sqrt(Sigma_m) (1-D covariance)
        stds[i, :k] = np.sqrt(gm.covariances_[order, 0])
        fitted = mixture_density(grid, weights[i, :k], means[i, :k], stds[i, :k])
        errors[i] = l1_error(p, fitted, grid)
    return {
        "weights": weights, "means": means, "stds": stds, "errors": errors,
        "seconds": seconds, "n_iter": n_iter, "converged": converged,
    }


def mean_log_likelihood(samples: object, weights: object, means: object, stds: object) -> float:
    """(1/n) sum_i log P(x_i): how well the mixture explains the samples it was fitted to."""
    x = check_finite("samples", samples).reshape(-1)
    if len(x) == 0:
        raise ValueError("samples must hold at least one draw")
    # (1/n) sum_i log sum_m P(m) N(x_i; mu_m, sigma_m^2)
    return float(np.mean(log_mixture_density(x, weights, means, stds)))


def expected_log_likelihood(target: TargetDensity, weights: object, means: object,
                            stds: object) -> float:
    """int p(x) log P(x) dx by quadrature: how well the mixture explains fresh draws of the
    target (the held-out score with infinitely many held-out samples)."""
    grid = x_grid()
    p = target.pdf(grid)
    log_mixture = log_mixture_density(grid, weights, means, stds)
    # int p log P dx (where p = 0 the integrand is 0)
    return integrate(np.where(p > 0, p * log_mixture, 0.0), grid)


def grid_mixture(
    target: TargetDensity, n_components: int, *, x_range: tuple[float, float] = X_RANGE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A K-component mixture built from the density itself, with no samples: means on an
    even grid of spacing h over ``x_range``, weights P(m) proportional to p(mu_m), every
    sigma = h. This is p smoothed by N(0, h^2): nothing is estimated from samples, but it is
    one construction among many, so its error bounds the best error of K Gaussians from
    above (EM on samples beats it at small K)."""
    n_components = check_int("n_components", n_components, low=1, high=MAX_COMPONENTS)
    low, high = x_range
    h = (high - low) / n_components
    # mu_m = low + (m + 1/2) h
    means = low + (np.arange(n_components) + 0.5) * h
    weights = target.pdf(means) * h
    if weights.sum() <= 0:
        raise ValueError(f"n_components={n_components} puts no mean where the target has mass")
    return weights / weights.sum(), means, np.full(n_components, h)


def grid_mixture_errors(target: TargetDensity, ks: tuple[int, ...] = DEFAULT_KS) -> np.ndarray:
    """L1 error of ``grid_mixture`` for each K (quadrature)."""
    grid = x_grid()
    p = target.pdf(grid)
    return np.array([l1_error(p, mixture_density(grid, *grid_mixture(target, k)), grid)
                     for k in ks])
