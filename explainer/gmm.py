"""A density as a superposition of Gaussians: finite mixtures, fitted mixtures, and the
VAE's infinite mixture over a continuous latent z.

Everything is on one line (1-D x). Densities are evaluated on a grid and compared by
quadrature (the trapezoid rule on a fine grid); every random draw takes a seed.

- ``mixture_density``: P(x) = sum_m P(m) N(x; mu_m, sigma_m^2).
- ``TargetDensity`` / ``target_density``: a skewed, three-bump density that is *not* a
  Gaussian mixture (a gamma, a logistic and a triangle), with exact pdf, cdf, quantile
  function and a seeded sampler.
- ``l1_error``: the L1 distance int |p - q| dx by quadrature (0: equal; 2: disjoint).
- ``fit_mixtures``: scikit-learn ``GaussianMixture`` fitted to seeded samples for a grid
  of K, cached in memory and on disk.
- ``grid_mixture``: a K-component mixture built from the density itself (no samples):
  one construction, so its error is an upper bound on the best error K Gaussians can
  reach, not a limit (EM on samples beats it at small K).
- ``sample_mixture``: ancestral sampling, m ~ P(m), then x ~ N(mu_m, sigma_m^2).
- ``analytic_decoder`` / ``train_latent_decoder``: z ~ N(0, 1) -> mu(z), sigma(z);
  ``latent_mixture_density`` averages N(x; mu(z_n), sigma(z_n)^2) over N draws of z.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special, stats
from sklearn.mixture import GaussianMixture

from explainer import cache
from explainer.validation import check_int, check_real

# the x-range every figure shows (and where grid_mixture places its means)
X_RANGE = (-4.5, 7.0)
# the wider x-range of every quadrature: it holds the tails of broad fitted components
QUADRATURE_RANGE = (-8.0, 10.0)
# the K values fitted by default: powers of two up to the tutorial's 512
DEFAULT_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

# Sizes accepted, so that no call needs more than about 1 GB (measured: the largest
# accepted call of each kind adds at most ~0.5 GB to the ~0.4 GB of the imports).
# A mixture evaluated at points is computed in blocks of points (BLOCK_ELEMENTS entries of
# the (components x points) matrix at a time), so its memory is bounded for any K here.
MAX_COMPONENTS = 100_000
# EM (scikit-learn) holds several (n_samples x K) arrays at once
MAX_EM_COMPONENTS = 512
MAX_EM_SAMPLES = 20_000
# draws of one sampling call, points of one grid
MAX_DRAWS = 1_000_000
MAX_GRID_POINTS = 1_000_000
# 2**20 float64 entries = 8 MB per temporary array of a block
BLOCK_ELEMENTS = 2**20
# the largest (components x points) array handed out whole (32 MB)
MAX_OUTPUT_ELEMENTS = 2**22
# Gaussians evaluated by one call (K components at n points: K * n): 1e9 is a minute of work
MAX_EVALUATIONS = 10**9


# ----------------------------------------------------------------------------- mixtures


def check_mixture(
    weights: object, means: object, stds: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (weights, means, stds) as float arrays of one length K >= 1, weights
    renormalised to sum to 1; refuse negative weights, a zero total, non-positive
    standard deviations, non-finite values and mismatched lengths."""
    w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
    mu = np.atleast_1d(np.asarray(means, dtype=np.float64))
    sd = np.atleast_1d(np.asarray(stds, dtype=np.float64))
    for name, a in (("weights", w), ("means", mu), ("stds", sd)):
        if a.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one value per component), got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{name} must be finite, got {a}")
    if not (len(w) == len(mu) == len(sd)) or len(w) == 0:
        raise ValueError(
            "weights, means and stds must have one equal length K >= 1, got "
            f"{len(w)}, {len(mu)}, {len(sd)}"
        )
    if len(w) > MAX_COMPONENTS:
        raise ValueError(
            f"K must be in [1, {MAX_COMPONENTS}] (one entry per component in weights, means "
            f"and stds), got K = {len(w)}"
        )
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be >= 0 with a positive sum, got {w}")
    if (sd <= 0).any():
        raise ValueError(f"stds must be > 0, got {sd}")
    # P(m) = w_m / sum_k w_k
    return w / w.sum(), mu, sd


def _as_points(name: str, x: object) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite")
    return a


def _as_draws(name: str, x: object, *, low: int = 1, high: int) -> np.ndarray:
    """1-D draws (a (n, 1) column is accepted) with ``low`` <= n <= ``high``, else raise."""
    a = _as_points(name, x)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one number per draw), got shape {a.shape}")
    if not low <= len(a) <= high:
        raise ValueError(f"{name} must hold between {low} and {high} draws, got {len(a)}")
    return a


def _check_evaluations(n_components: int, n_points: int) -> None:
    """Refuse a mixture evaluation that would run for minutes: K * len(x) <= MAX_EVALUATIONS."""
    if n_components * n_points > MAX_EVALUATIONS:
        raise ValueError(
            f"K * len(x) must be at most {MAX_EVALUATIONS:.0e} Gaussians evaluated (a minute of work), "
            f"got K = {n_components} components at len(x) = {n_points} points"
        )


def _point_blocks(n_components: int, n_points: int) -> Iterator[slice]:
    """Slices of the points, each block of the (components x points) matrix holding about
    BLOCK_ELEMENTS entries. Widths are multiples of 64, so every point keeps its place in
    the vector lanes and its sum over the components is the one a single product gives."""
    width = max(64, BLOCK_ELEMENTS // max(n_components, 1) // 64 * 64)
    for start in range(0, n_points, width):
        yield slice(start, start + width)


def gaussian_pdf(x: np.ndarray, mean: np.ndarray | float, std: np.ndarray | float) -> np.ndarray:
    """N(x; mean, std^2) elementwise (broadcasting)."""
    # N(x; mu, sigma) = exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def component_densities(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """The weighted component curves P(m) N(x; mu_m, sigma_m^2), shape (K, len(x))."""
    w, mu, sd = check_mixture(weights, means, stds)
    x = _as_points("x", x).reshape(-1)
    if len(w) * len(x) > MAX_OUTPUT_ELEMENTS:
        raise ValueError(
            f"component_densities returns a (K, len(x)) array: K * len(x) must be at most "
            f"{MAX_OUTPUT_ELEMENTS}, got {len(w)} * {len(x)}; pass fewer points, or use "
            "mixture_density for their sum"
        )
    # P(m) N(x; mu_m, sigma_m^2) for every m (rows) and x (columns)
    return w[:, None] * gaussian_pdf(x[None, :], mu[:, None], sd[:, None])


def mixture_density(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """P(x) = sum_m P(m) N(x; mu_m, sigma_m^2), weights renormalised; same shape as ``x``."""
    w, mu, sd = check_mixture(weights, means, stds)
    xa = _as_points("x", x)
    flat = xa.reshape(-1)
    _check_evaluations(len(w), len(flat))
    out = np.empty(flat.shape)
    for block in _point_blocks(len(w), len(flat)):
        # sum_m P(m) N(x; mu_m, sigma_m^2), one matrix-vector product per block of points
        out[block] = w @ gaussian_pdf(flat[None, block], mu[:, None], sd[:, None])
    return out.reshape(xa.shape)


def log_mixture_density(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """log P(x), summed in log space: finite even where every component underflows."""
    w, mu, sd = check_mixture(weights, means, stds)
    xa = _as_points("x", x)
    flat = xa.reshape(-1)
    _check_evaluations(len(w), len(flat))
    log_w = np.log(np.where(w > 0, w, 1.0))[:, None]
    log_norm = np.log(sd * math.sqrt(2 * math.pi))[:, None]
    out = np.empty(flat.shape)
    for block in _point_blocks(len(w), len(flat)):
        # log P(x) = logsumexp_m [log P(m) - (x - mu_m)^2 / (2 sigma_m^2) - log(sigma_m sqrt(2 pi))]
        log_terms = log_w - 0.5 * ((flat[None, block] - mu[:, None]) / sd[:, None]) ** 2 - log_norm
        log_terms[w == 0] = -np.inf
        out[block] = special.logsumexp(log_terms, axis=0)
    return out.reshape(xa.shape)


def x_grid(n_points: int = 6001, *, x_range: tuple[float, float] = QUADRATURE_RANGE) -> np.ndarray:
    """An evenly spaced grid over ``x_range`` (by default the quadrature grid)."""
    n_points = check_int("n_points", n_points, low=2, high=MAX_GRID_POINTS)
    low = check_real("x_range[0]", x_range[0])
    high = check_real("x_range[1]", x_range[1], low=low, low_open=True)
    return np.linspace(low, high, n_points)


def integrate(values: object, grid: object) -> float:
    """int f(x) dx by the trapezoid rule on ``grid``."""
    v, g = _as_points("values", values), _as_points("grid", grid)
    if v.shape != g.shape or g.ndim != 1 or len(g) < 2:
        raise ValueError(f"values and grid must be 1-D of one length >= 2, got {v.shape}, {g.shape}")
    if not (np.diff(g) > 0).all():
        raise ValueError("grid must be increasing (a decreasing grid would flip the sign)")
    # sum_i (x_{i+1} - x_i) (f_i + f_{i+1}) / 2
    return float(np.trapezoid(v, g))


def l1_error(p: object, q: object, grid: object) -> float:
    """The L1 distance int |p(x) - q(x)| dx by quadrature; in [0, 2], half of it is the
    largest difference in probability the two densities give to any one set."""
    p, q = _as_points("p", p), _as_points("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have one shape, got {p.shape} and {q.shape}")
    # int |p(x) - q(x)| dx
    return integrate(np.abs(p - q), grid)


# ------------------------------------------------------------------------------ target


@dataclass(frozen=True)
class TargetDensity:
    """A finite mixture of named scipy shapes: exact pdf, cdf, quantile and sampler."""

    weights: tuple[float, ...]
    shapes: tuple  # frozen scipy.stats distributions

    def pdf(self, x: object) -> np.ndarray:
        x = _as_points("x", x)
        # p(x) = sum_j w_j p_j(x)
        return sum(w * d.pdf(x) for w, d in zip(self.weights, self.shapes))

    def cdf(self, x: object) -> np.ndarray:
        x = _as_points("x", x)
        # F(x) = sum_j w_j F_j(x)
        return sum(w * d.cdf(x) for w, d in zip(self.weights, self.shapes))

    def entropy(self) -> float:
        """H(p) = -int p log p dx by quadrature: the best mean log-likelihood any model can
        expect on fresh draws is -H(p)."""
        grid = x_grid()
        p = self.pdf(grid)
        safe = np.where(p > 0, p, 1.0)
        # -int p(x) log p(x) dx (the integrand is 0 where p = 0)
        return -integrate(p * np.log(safe), grid)

    def quantile(self, u: object) -> np.ndarray:
        """F^{-1}(u) for u in (0, 1), by interpolating F on a fine grid (error < 1e-4)."""
        u = _as_points("u", u)
        if (u <= 0).any() or (u >= 1).any():
            raise ValueError("u must be in (0, 1)")
        grid = x_grid(30001)
        cdf = self.cdf(grid)
        keep = np.concatenate([[True], np.diff(cdf) > 0])
        return np.interp(u, cdf[keep], grid[keep])

    def sample(self, n_samples: int, *, seed: int) -> np.ndarray:
        """``n_samples`` draws (ancestral: shape j ~ w, then x ~ p_j), seeded."""
        n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
        seed = check_int("seed", seed, low=0)
        rng = np.random.default_rng(seed)
        which = rng.choice(len(self.weights), size=n_samples, p=np.asarray(self.weights))
        x = np.empty(n_samples)
        for j, d in enumerate(self.shapes):
            idx = np.flatnonzero(which == j)
            x[idx] = d.rvs(size=len(idx), random_state=rng)
        return x


def target_density() -> TargetDensity:
    """The density the mixtures chase: a skewed gamma bump (shape 2, so continuous, zero
    left of x = -3 and rising linearly from it: a kink at -3), a logistic peak, and a
    triangle on [2.8, 4.8] (continuous, with kinks at its ends and apex); none of them is
    a Gaussian."""
    return TargetDensity(
        weights=(0.5, 0.3, 0.2),
        shapes=(
            stats.gamma(a=2.0, loc=-3.0, scale=0.6),
            stats.logistic(loc=1.6, scale=0.3),
            stats.triang(c=0.5, loc=2.8, scale=2.0),
        ),
    )


# ------------------------------------------------------------------- fitted mixtures


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
    samples = _as_draws("samples", samples, high=MAX_EM_SAMPLES)
    n_components = check_int("n_components", n_components, low=1, high=MAX_EM_COMPONENTS)
    if n_components > len(samples):
        raise ValueError(f"n_components must be at most the number of samples ({len(samples)}): "
                         f"EM needs one sample per component; got {n_components}")
    seed = check_int("seed", seed, low=0)
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
    seed = check_int("seed", seed, low=0)
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
        errors[i] = l1_error(p, mixture_density(grid, weights[i, :k], means[i, :k], stds[i, :k]), grid)
    return {
        "weights": weights, "means": means, "stds": stds, "errors": errors,
        "seconds": seconds, "n_iter": n_iter, "converged": converged,
    }


def mean_log_likelihood(samples: object, weights: object, means: object, stds: object) -> float:
    """(1/n) sum_i log P(x_i): how well the mixture explains the samples it was fitted to."""
    x = _as_points("samples", samples).reshape(-1)
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
    # int p log P dx (where p = 0 the integrand is 0)
    return integrate(np.where(p > 0, p * log_mixture_density(grid, weights, means, stds), 0.0), grid)


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
    return np.array([l1_error(p, mixture_density(grid, *grid_mixture(target, k)), grid) for k in ks])


# ------------------------------------------------------------------- ancestral sampling


def sample_mixture(
    weights: object, means: object, stds: object, n_samples: int, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ancestral sampling: m ~ P(m) (multinomial), then x ~ N(mu_m, sigma_m^2). Returns
    (m, x); the first n draws of a longer run equal a run of n (one seeded stream)."""
    w, mu, sd = check_mixture(weights, means, stds)
    n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
    seed = check_int("seed", seed, low=0)
    # two independent seeded streams, so the first n draws never depend on n_samples
    pick, noise = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    u = pick.random(n_samples)
    eps = noise.standard_normal(n_samples)
    # m = the first index whose cumulative weight exceeds u
    m = np.minimum(np.searchsorted(np.cumsum(w), u, side="right"), len(w) - 1)
    # x = mu_m + sigma_m * eps,  eps ~ N(0, 1)
    return m, mu[m] + sd[m] * eps


def histogram_density(x: object, edges: object) -> np.ndarray:
    """Counts per bin divided by (n * bin width): a histogram on the density scale."""
    x, edges = _as_points("x", x), _as_points("edges", edges)
    if edges.ndim != 1 or len(edges) < 2 or not (np.diff(edges) > 0).all():
        raise ValueError(f"edges must be increasing, with at least 2 entries, got {edges}")
    counts, _ = np.histogram(x, bins=edges)
    n = max(len(x), 1)
    return counts / (n * np.diff(edges))


# ----------------------------------------------------------------- continuous latent


@dataclass(frozen=True)
class LatentDecoder:
    """A decoder z -> (mu(z), sigma(z)) on a 1-D latent, as arrays in, arrays out."""

    name: str
    _fn: object  # callable: np.ndarray -> (np.ndarray, np.ndarray)

    def __call__(self, z: object) -> tuple[np.ndarray, np.ndarray]:
        return self._fn(_as_points("z", z))


def analytic_decoder(target: TargetDensity, *, sigma: float = 0.15) -> LatentDecoder:
    """mu(z) = F^{-1}(Phi(z)) pushes N(0, 1) onto the target exactly; with a constant
    sigma(z) = ``sigma`` the infinite mixture is the target smoothed by N(0, sigma^2)."""
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    grid_z = np.linspace(-8.5, 8.5, 4001)
    # u = Phi(z), clipped away from 0 and 1 only for the interpolation table
    u = np.clip(special.ndtr(grid_z), 1e-12, 1 - 1e-12)
    table = target.quantile(u)

    def fn(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # mu(z) = F^{-1}(Phi(z))
        return np.interp(z, grid_z, table), np.full(np.shape(z), sigma)

    return LatentDecoder("analytic", fn)


class _DecoderNet(torch.nn.Module):
    """z (B, 1) -> mu (B,), sigma (B,): a 1-32-32-2 tanh network."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(1, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.body(z[:, None])  # (B, 2)
        # sigma(z) = softplus(s(z)) + 1e-3, positive by construction
        return out[:, 0], torch.nn.functional.softplus(out[:, 1]) + 1e-3


@dataclass(frozen=True)
class TrainedDecoder:
    decoder: LatentDecoder
    losses: np.ndarray  # negative log-likelihood per x, per step (nats)
    seconds: float


def train_latent_decoder(
    samples: object,
    *,
    hidden: int = 32,
    n_steps: int = 800,
    n_latent: int = 64,
    batch_size: int = 256,
    lr: float = 1e-2,
    seed: int = 0,
) -> TrainedDecoder:
    """Fit mu(z), sigma(z) to ``samples`` by maximising a Monte Carlo estimate of the
    infinite mixture's log-likelihood, log (1/S) sum_s N(x; mu(z_s), sigma(z_s)^2): for
    finite S its expectation lies below log P(x) (Jensen), so this climbs a lower bound on
    the log-likelihood, not the log-likelihood itself. Each step takes ``batch_size`` of
    the x (a seeded permutation), draws S = ``n_latent`` fresh z ~ N(0, 1) (seeded;
    stratified, one in each of S equal-probability slices, so they cover the line evenly)
    and minimises -mean_i log (1/S) sum_s N(x_i; mu(z_s), sigma(z_s)^2). One thread, seeded,
    cached in memory."""
    x = _as_draws("samples", samples, low=2, high=MAX_DRAWS)
    hidden = check_int("hidden", hidden, low=1, high=1024)
    n_steps = check_int("n_steps", n_steps, low=1, high=100_000)
    # each step holds a few (batch_size x n_latent) arrays and their gradients
    n_latent = check_int("n_latent", n_latent, low=1, high=1024)
    batch_size = check_int("batch_size", batch_size, low=1, high=min(len(x), 4096))
    lr = check_real("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0)
    return _train_cached(x.tobytes(), hidden, n_steps, n_latent, batch_size, lr, seed)


@functools.lru_cache(maxsize=4)
def _train_cached(
    x_bytes: bytes, hidden: int, n_steps: int, n_latent: int, batch_size: int, lr: float, seed: int
) -> TrainedDecoder:
    x_raw = np.frombuffer(x_bytes, dtype=np.float64)
    # the network works on standardised x' = (x - m) / s; mu(z) = m + s mu'(z), sigma = s sigma'
    shift, scale = float(x_raw.mean()), float(x_raw.std())
    x_all = torch.from_numpy(((x_raw - shift) / scale).astype(np.float32))
    n = len(x_all)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            net = _DecoderNet(hidden)
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        # the step size falls from lr to lr / 10 along a cosine over the run
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_steps, eta_min=lr / 10)
        order = torch.randperm(n, generator=gen)
        cursor = 0
        losses = np.empty(n_steps)
        start = time.perf_counter()
        log_s = math.log(n_latent)
        for step in range(n_steps):
            if cursor + batch_size > n:
                order, cursor = torch.randperm(n, generator=gen), 0
            x = x_all[order[cursor : cursor + batch_size]]  # (B,)
            cursor += batch_size
            # stratified z_s = Phi^{-1}((s + u_s) / S), u_s ~ U(0, 1): even cover of N(0, 1)
            u = (torch.arange(n_latent) + torch.rand(n_latent, generator=gen)) / n_latent
            z = torch.special.ndtri(u)
            mu, sigma = net(z)  # (S,), (S,)
            # log N(x_i; mu_s, sigma_s^2), shape (n, S)
            log_n = (
                -0.5 * ((x[:, None] - mu[None, :]) / sigma[None, :]) ** 2
                - torch.log(sigma)[None, :]
                - 0.5 * math.log(2 * math.pi)
            )
            # -mean_i log (1/S) sum_s N(x_i; mu(z_s), sigma(z_s)^2)
            loss = -(torch.logsumexp(log_n, dim=1) - log_s).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            # in x's units: log p(x) = log p'(x') - log s
            losses[step] = loss.item() + math.log(scale)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(before)
    net.eval()

    def fn(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            mu, sigma = net(torch.as_tensor(np.ravel(z), dtype=torch.float32))
        # back to x's units: mu = m + s mu', sigma = s sigma'
        mu = shift + scale * mu.double().numpy()
        sigma = scale * sigma.double().numpy()
        return mu.reshape(np.shape(z)), sigma.reshape(np.shape(z))

    return TrainedDecoder(LatentDecoder("network", fn), losses, seconds)


def latent_draws(n_samples: int, *, seed: int) -> np.ndarray:
    """z_1..z_N ~ N(0, 1), seeded; a longer run extends a shorter one."""
    n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
    seed = check_int("seed", seed, low=0)
    return np.random.default_rng(seed).standard_normal(n_samples)


def latent_mixture_density(x: object, mu: object, sigma: object) -> np.ndarray:
    """P_N(x) = (1/N) sum_n N(x; mu(z_n), sigma(z_n)^2): the N-sample estimate of
    int P(z) P(x|z) dz, from the decoder's outputs at the drawn z."""
    mu, sigma = _as_points("mu", mu).reshape(-1), _as_points("sigma", sigma).reshape(-1)
    if len(mu) == 0 or mu.shape != sigma.shape:
        raise ValueError(f"mu and sigma must be 1-D of one length >= 1, got {mu.shape}, {sigma.shape}")
    if len(mu) > MAX_COMPONENTS:
        raise ValueError(f"mu must hold at most {MAX_COMPONENTS} values (one per z), got {len(mu)}")
    if (sigma <= 0).any():
        raise ValueError("sigma must be > 0 for every z")
    return mixture_density(x, np.ones_like(mu), mu, sigma)


def latent_model_density(x: object, decoder: LatentDecoder, *, n_quadrature: int = 4000) -> np.ndarray:
    """The infinite mixture int P(z) N(x; mu(z), sigma(z)^2) dz by quadrature over z at the
    normal quantiles z_j = Phi^{-1}((j + 1/2) / J), each with weight 1/J."""
    n_quadrature = check_int("n_quadrature", n_quadrature, low=1, high=MAX_COMPONENTS)
    # z_j = Phi^{-1}((j + 1/2) / J)
    z = special.ndtri((np.arange(n_quadrature) + 0.5) / n_quadrature)
    mu, sigma = decoder(z)
    return latent_mixture_density(x, mu, sigma)


def component_curves(
    weights: object, means: object, stds: object, *, n_points: int = 25, width: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted curves P(m) N(x; mu_m, sigma_m^2), each on its own window
    mu_m +- ``width`` sigma_m, joined into one polyline with NaN gaps (one plot trace for
    any K; 512 components cost 512 * (n_points + 1) points, not 512 full grids)."""
    w, mu, sd = check_mixture(weights, means, stds)
    # the curves hold K * (n_points + 1) points each way
    n_points = check_int("n_points", n_points, low=2, high=max(2, MAX_OUTPUT_ELEMENTS // len(w) - 1))
    width = check_real("width", width, low=0.0, low_open=True)
    t = np.linspace(-width, width, n_points)
    # x = mu_m + t sigma_m on each window, then P(m) N(x; mu_m, sigma_m^2)
    x = mu[:, None] + t[None, :] * sd[:, None]
    y = w[:, None] * gaussian_pdf(x, mu[:, None], sd[:, None])
    gap = np.full((len(w), 1), np.nan)
    return np.hstack([x, gap]).ravel(), np.hstack([y, gap]).ravel()


def latent_term_curves(
    mu: object, sigma: object, *, n_shown: int, n_points: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_shown`` of the N terms N(x; mu(z_n), sigma(z_n)^2) / N of the N-sample
    sum (N = len(mu)), as one polyline with NaN gaps (see ``component_curves``)."""
    mu, sigma = _as_points("mu", mu).reshape(-1), _as_points("sigma", sigma).reshape(-1)
    n_total = len(mu)
    n_shown = check_int("n_shown", n_shown, low=1, high=n_total)
    xs, ys = component_curves(np.ones(n_shown), mu[:n_shown], sigma[:n_shown], n_points=n_points)
    # each term carries weight 1/N of the whole sum (component_curves gave it 1/n_shown)
    return xs, ys * (n_shown / n_total)


def latent_mixture_densities(x: object, mu: object, sigma: object, ns: object) -> np.ndarray:
    """P_N(x) for every N in ``ns`` at once, shape (len(ns), len(x)), from running sums
    over the first N terms: row i equals ``latent_mixture_density(x, mu[:N], sigma[:N])``."""
    mu, sigma = _as_points("mu", mu).reshape(-1), _as_points("sigma", sigma).reshape(-1)
    if len(mu) > MAX_COMPONENTS:
        raise ValueError(f"mu must hold at most {MAX_COMPONENTS} values (one per z), got {len(mu)}")
    ns = [check_int(f"ns[{i}]", n, low=1, high=len(mu)) for i, n in enumerate(np.atleast_1d(ns))]
    if not ns:
        raise ValueError("ns must hold at least one N")
    if mu.shape != sigma.shape or (sigma <= 0).any():
        raise ValueError("mu and sigma must be 1-D of one length, with sigma > 0 for every z")
    x = _as_points("x", x).reshape(-1)
    _check_evaluations(max(ns), len(x))
    # S_N(x) = sum_{n <= N} N(x; mu(z_n), sigma(z_n)^2), in blocks between consecutive N
    order = sorted(set(ns))
    sums, running, start = {}, np.zeros_like(x), 0
    for n in order:
        block_sum = np.empty_like(x)
        for cols in _point_blocks(n - start, len(x)):
            block_sum[cols] = gaussian_pdf(x[None, cols], mu[start:n, None], sigma[start:n, None]).sum(0)
        running = running + block_sum
        sums[n], start = running, n
    # P_N(x) = S_N(x) / N
    return np.stack([sums[n] / n for n in ns])


# ------------------------------------------------------------- the decoder's noise width


@dataclass(frozen=True)
class SigmaSweep:
    """The analytic decoder's constant sigma(z) = sigma against the target, per sigma:
    the L1 error of its infinite mixture and the mean L1 error of its N-draw sum."""

    sigmas: np.ndarray  # (S,)
    n_draws: int
    seeds: tuple[int, ...]
    infinite_errors: np.ndarray  # (S,) int |p - P_inf| dx
    draw_errors: np.ndarray  # (S,) mean over seeds of int |p - P_N| dx

    def best_for_draws(self) -> float:
        """The sigma whose N-draw sum is closest to the target (on average over seeds)."""
        return float(self.sigmas[int(np.argmin(self.draw_errors))])


def decoder_sigma_sweep(
    target: TargetDensity, sigmas: object, *, n_draws: int = 100, seeds: tuple[int, ...] = (0, 1, 2)
) -> SigmaSweep:
    """How the analytic decoder's noise width sigma decides how close its mixture comes to
    the target: for each sigma, the infinite mixture int P(z) N(x; mu(z), sigma^2) dz (by
    quadrature over z) and the sum over ``n_draws`` prior draws of z (one per seed), each
    compared with the target by the L1 distance on the quadrature grid."""
    sigmas = _as_points("sigmas", sigmas).reshape(-1)
    if len(sigmas) == 0 or not (np.isfinite(sigmas) & (sigmas > 0)).all():
        raise ValueError(f"sigmas must hold at least one finite value > 0, got {sigmas.tolist()}")
    n_draws = check_int("n_draws", n_draws, low=1, high=MAX_COMPONENTS)
    seeds = tuple(check_int(f"seeds[{i}]", s, low=0) for i, s in enumerate(seeds))
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    grid = x_grid()
    p = target.pdf(grid)
    draws = [latent_draws(n_draws, seed=s) for s in seeds]
    infinite, drawn = [], []
    for sigma in sigmas:
        decoder = analytic_decoder(target, sigma=float(sigma))
        # int |p(x) - int P(z) N(x; mu(z), sigma^2) dz| dx
        infinite.append(l1_error(p, latent_model_density(grid, decoder), grid))
        # mean over seeds of int |p(x) - (1/N) sum_n N(x; mu(z_n), sigma^2)| dx
        drawn.append(np.mean([l1_error(p, latent_mixture_density(grid, *decoder(z)), grid)
                              for z in draws]))
    return SigmaSweep(sigmas=sigmas, n_draws=n_draws, seeds=seeds,
                      infinite_errors=np.array(infinite), draw_errors=np.array(drawn))
