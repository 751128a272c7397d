"""A density as a superposition of Gaussians on one line, and the density they chase.

- ``mixture_density``: P(x) = sum_m P(m) N(x; mu_m, sigma_m^2) (``log_mixture_density``
  in log space); ``component_densities`` and ``component_curves`` give the weighted
  components one by one.
- ``TargetDensity`` / ``target_density``: a skewed, three-bump density that is *not* a
  Gaussian mixture (a gamma, a logistic and a triangle), with exact pdf, cdf, quantile
  function and a seeded sampler.
- ``l1_error``: the L1 distance int |p - q| dx by quadrature (0: equal; 2: disjoint).
- ``sample_mixture``: ancestral sampling, m ~ P(m), then x ~ N(mu_m, sigma_m^2).

Densities are evaluated on a grid and compared by quadrature (the trapezoid rule on a
fine grid); every random draw takes a seed. Mixtures fitted to samples are in
:mod:`explainer.mixture_fits`, the VAE's infinite mixture over a continuous latent z in
:mod:`explainer.latent_mixture`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from explainer.gaussians import log_normal_pdf, normal_pdf
from explainer.validation import check_finite, check_int, check_real, check_seed

# the x-range every figure shows (and where grid_mixture places its means)
X_RANGE = (-4.5, 7.0)
# the wider x-range of every quadrature: it holds the tails of broad fitted components
QUADRATURE_RANGE = (-8.0, 10.0)

# Sizes accepted, so that no call needs more than about 1 GB (measured: the largest
# accepted call of each kind adds at most ~0.5 GB to the ~0.4 GB of the imports).
# A mixture evaluated at points is computed in blocks of points (BLOCK_ELEMENTS entries of
# the (components x points) matrix at a time), so its memory is bounded for any K here.
MAX_COMPONENTS = 100_000
# draws of one sampling call, points of one grid
MAX_DRAWS = 1_000_000
MAX_GRID_POINTS = 1_000_000
# 2**20 float64 entries = 8 MB per temporary array of a block
BLOCK_ELEMENTS = 2**20
# the largest (components x points) array handed out whole (32 MB)
MAX_OUTPUT_ELEMENTS = 2**22
# Gaussians evaluated by one call (K components at n points: K * n): 1e9 is a minute of work
MAX_EVALUATIONS = 10**9


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


def check_evaluations(n_components: int, n_points: int) -> None:
    """Refuse a mixture evaluation that would run for minutes: K * len(x) <= MAX_EVALUATIONS."""
    if n_components * n_points > MAX_EVALUATIONS:
        raise ValueError(
            f"K * len(x) must be at most {MAX_EVALUATIONS:.0e} Gaussians evaluated "
            "(a minute of work), "
            f"got K = {n_components} components at len(x) = {n_points} points"
        )


def point_blocks(n_components: int, n_points: int) -> Iterator[slice]:
    """Slices of the points, each block of the (components x points) matrix holding about
    BLOCK_ELEMENTS entries. Widths are multiples of 64, so every point keeps its place in
    the vector lanes and its sum over the components is the one a single product gives."""
    width = max(64, BLOCK_ELEMENTS // max(n_components, 1) // 64 * 64)
    for start in range(0, n_points, width):
        yield slice(start, start + width)


def component_densities(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """The weighted component curves P(m) N(x; mu_m, sigma_m^2), shape (K, len(x))."""
    w, mu, sd = check_mixture(weights, means, stds)
    x = check_finite("x", x).reshape(-1)
    if len(w) * len(x) > MAX_OUTPUT_ELEMENTS:
        raise ValueError(
            f"component_densities returns a (K, len(x)) array: K * len(x) must be at most "
            f"{MAX_OUTPUT_ELEMENTS}, got {len(w)} * {len(x)}; pass fewer points, or use "
            "mixture_density for their sum"
        )
    # P(m) N(x; mu_m, sigma_m^2) for every m (rows) and x (columns)
    return w[:, None] * normal_pdf(x[None, :], mean=mu[:, None], std=sd[:, None])


def mixture_density(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """P(x) = sum_m P(m) N(x; mu_m, sigma_m^2), weights renormalised; same shape as ``x``."""
    w, mu, sd = check_mixture(weights, means, stds)
    xa = check_finite("x", x)
    flat = xa.reshape(-1)
    check_evaluations(len(w), len(flat))
    out = np.empty(flat.shape)
    for block in point_blocks(len(w), len(flat)):
        # sum_m P(m) N(x; mu_m, sigma_m^2), one matrix-vector product per block of points
        out[block] = w @ normal_pdf(flat[None, block], mean=mu[:, None], std=sd[:, None])
    return out.reshape(xa.shape)


def log_mixture_density(x: object, weights: object, means: object, stds: object) -> np.ndarray:
    """log P(x), summed in log space: finite even where every component underflows."""
    w, mu, sd = check_mixture(weights, means, stds)
    xa = check_finite("x", x)
    flat = xa.reshape(-1)
    check_evaluations(len(w), len(flat))
    log_w = np.log(np.where(w > 0, w, 1.0))[:, None]
    out = np.empty(flat.shape)
    for block in point_blocks(len(w), len(flat)):
        # log P(x) = logsumexp_m [log P(m) + log N(x; mu_m, sigma_m^2)]
        log_terms = log_w + log_normal_pdf(flat[None, block], mean=mu[:, None], std=sd[:, None])
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
    v, g = check_finite("values", values), check_finite("grid", grid)
    if v.shape != g.shape or g.ndim != 1 or len(g) < 2:
        raise ValueError(
            f"values and grid must be 1-D of one length >= 2, got {v.shape}, {g.shape}")
    if not (np.diff(g) > 0).all():
        raise ValueError("grid must be increasing (a decreasing grid would flip the sign)")
    # sum_i (x_{i+1} - x_i) (f_i + f_{i+1}) / 2
    return float(np.trapezoid(v, g))


def l1_error(p: object, q: object, grid: object) -> float:
    """The L1 distance int |p(x) - q(x)| dx by quadrature; in [0, 2], half of it is the
    largest difference in probability the two densities give to any one set."""
    p, q = check_finite("p", p), check_finite("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have one shape, got {p.shape} and {q.shape}")
    # int |p(x) - q(x)| dx
    return integrate(np.abs(p - q), grid)


def component_curves(
    weights: object, means: object, stds: object, *, n_points: int = 25, width: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted curves P(m) N(x; mu_m, sigma_m^2), each on its own window
    mu_m +- ``width`` sigma_m, joined into one polyline with NaN gaps (one plot trace for
    any K; 512 components cost 512 * (n_points + 1) points, not 512 full grids)."""
    w, mu, sd = check_mixture(weights, means, stds)
    # the curves hold K * (n_points + 1) points each way
    n_points = check_int("n_points", n_points, low=2,
                         high=max(2, MAX_OUTPUT_ELEMENTS // len(w) - 1))
    width = check_real("width", width, low=0.0, low_open=True)
    t = np.linspace(-width, width, n_points)
    # x = mu_m + t sigma_m on each window, then P(m) N(x; mu_m, sigma_m^2)
    x = mu[:, None] + t[None, :] * sd[:, None]
    y = w[:, None] * normal_pdf(x, mean=mu[:, None], std=sd[:, None])
    gap = np.full((len(w), 1), np.nan)
    return np.hstack([x, gap]).ravel(), np.hstack([y, gap]).ravel()


def sample_mixture(
    weights: object, means: object, stds: object, n_samples: int, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ancestral sampling: m ~ P(m) (multinomial), then x ~ N(mu_m, sigma_m^2). Returns
    (m, x); the first n draws of a longer run equal a run of n (one seeded stream)."""
    w, mu, sd = check_mixture(weights, means, stds)
    n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
    seed = check_seed(seed)
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
    x, edges = check_finite("x", x), check_finite("edges", edges)
    if edges.ndim != 1 or len(edges) < 2 or not (np.diff(edges) > 0).all():
        raise ValueError(f"edges must be increasing, with at least 2 entries, got {edges}")
    counts, _ = np.histogram(x, bins=edges)
    n = max(len(x), 1)
    return counts / (n * np.diff(edges))


@dataclass(frozen=True)
class TargetDensity:
    """A finite mixture of named scipy shapes: exact pdf, cdf, quantile and sampler."""

    weights: tuple[float, ...]
    shapes: tuple  # frozen scipy.stats distributions

    def pdf(self, x: object) -> np.ndarray:
        x = check_finite("x", x)
        # p(x) = sum_j w_j p_j(x)
        return sum(w * d.pdf(x) for w, d in zip(self.weights, self.shapes))

    def cdf(self, x: object) -> np.ndarray:
        x = check_finite("x", x)
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
        u = check_finite("u", u)
        if (u <= 0).any() or (u >= 1).any():
            raise ValueError("u must be in (0, 1)")
        grid = x_grid(30001)
        cdf = self.cdf(grid)
        keep = np.concatenate([[True], np.diff(cdf) > 0])
        return np.interp(u, cdf[keep], grid[keep])

    def sample(self, n_samples: int, *, seed: int) -> np.ndarray:
        """``n_samples`` draws (ancestral: shape j ~ w, then x ~ p_j), seeded."""
        n_samples = check_int("n_samples", n_samples, low=1, high=MAX_DRAWS)
        seed = check_seed(seed)
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
