"""The aggregate posterior q(z): does the noise of a VAE's codes cover the prior?

:class:`AggregatePosterior`: q(z) = (1/N) sum_n N(z; m_n, diag(e^{s_n})), the mixture of
every digit's posterior, with its exact log density (a log-sum-exp in blocks of points);
:func:`coverage` (KL(q(z) || p(z)), the prior's mass where q(z) is below a fraction of
p(z), Monte Carlo with a seed) and :func:`density_picture` (exact cell masses,
:func:`cell_masses`) answer "does the noise cover the space?".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import gammainc, ndtr

from explainer import cache
from explainer.gaussians import LOG_2PI, log_standard_normal_pdf
from explainer.map_models import MapModel
from explainer.train import torch_threads
from explainer.validation import check_int, check_real, check_seed

# Entries of the (points x components) matrix held at once: 2^21 float64 numbers (16 MB)
# per temporary, whatever the number of components.
BLOCK_ELEMENTS = 2**21
# A point of the plane is in a "hole" where q(z) is below this fraction of p(z).
HOLE_FRACTION = 0.1


def _point_blocks(n_components: int, n_points: int) -> list[slice]:
    """Slices of the points so that each block of the (points x components) matrix holds at
    most ``BLOCK_ELEMENTS`` entries (at least one point per block)."""
    width = max(1, BLOCK_ELEMENTS // max(n_components, 1))
    return [slice(start, start + width) for start in range(0, n_points, width)]


def _as_points(points: object, dim: int) -> torch.Tensor:
    z = torch.as_tensor(np.asarray(points, dtype=np.float64))
    if z.ndim != 2 or z.shape[1] != dim:
        raise ValueError(f"points must have shape (n, {dim}) (one row per point), "
                         f"got {tuple(z.shape)}")
    if not torch.isfinite(z).all():
        raise ValueError("points must be finite")
    return z


def prior_log_density(points: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) for each row z of ``points`` (n, d): shape (n,)."""
    z = np.asarray(points, dtype=np.float64)
    if z.ndim != 2 or not np.isfinite(z).all():
        raise ValueError(f"points must be a finite array of shape (n, d), got shape {z.shape}")
    # log p(z) = sum_j log N(z_j; 0, 1)
    return log_standard_normal_pdf(z).sum(axis=1)


def prior_mass_inside(radius: float, *, latent_dim: int = 2) -> float:
    """P(|z| <= radius) for z ~ N(0, I) in ``latent_dim`` dimensions (1 - e^{-r^2/2} in 2-D)."""
    radius = check_real("radius", radius, low=0.0)
    latent_dim = check_int("latent_dim", latent_dim, low=1)
    # |z|^2 ~ chi^2_d:  P(|z|^2 <= r^2) = P(d/2, r^2/2), the regularised lower gamma function
    return float(gammainc(latent_dim / 2, radius**2 / 2))


@dataclass(frozen=True)
class AggregatePosterior:
    """q(z) = (1/N) sum_n N(z; m_n, diag(e^{s_n})): the mixture of the N images' posteriors.

    ``means`` and ``logvars`` (the log-variances s): (N, d) float64 arrays.
    """

    label: str
    means: np.ndarray
    logvars: np.ndarray

    def __post_init__(self) -> None:
        means = np.asarray(self.means, dtype=np.float64)
        logvars = np.asarray(self.logvars, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means must have shape (N, d) with N >= 1, got {means.shape}")
        if logvars.shape != means.shape:
            raise ValueError(f"logvars must have the shape of means {means.shape}, "
                             f"got {logvars.shape}")
        if not (np.isfinite(means).all() and np.isfinite(logvars).all()):
            raise ValueError("means and logvars must be finite")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "logvars", logvars)

    @property
    def n_components(self) -> int:
        return len(self.means)

    @property
    def latent_dim(self) -> int:
        return self.means.shape[1]

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """log q(z) for each row of ``points`` (n, d), exact: a log-sum-exp over the N
        components, in blocks of points (memory bounded by ``BLOCK_ELEMENTS``)."""
        z = _as_points(points, self.latent_dim)
        m, s = torch.from_numpy(self.means), torch.from_numpy(self.logvars)
        inv_var = torch.exp(-s)  # (N, d)
        # gaussians.log_normal_pdf summed over j, expanded so that every (point, component)
        # pair is one matrix product, without a (points, components, d) array:
        # log N(z; m, diag e^s)
        #   = -1/2 sum_j [ z_j^2 / v_j - 2 z_j m_j / v_j + m_j^2 / v_j + s_j + log 2 pi ]
        weights = torch.cat([-0.5 * inv_var, m * inv_var], dim=1).T  # (2d, N)
        const = -0.5 * ((m**2 * inv_var).sum(dim=1) + s.sum(dim=1)
                        + self.latent_dim * LOG_2PI)
        out = torch.empty(len(z), dtype=torch.float64)
        with torch_threads(1):
            for block in _point_blocks(self.n_components, len(z)):
                zb = z[block]
                log_terms = torch.addmm(const, torch.cat([zb**2, zb], dim=1), weights)  # (b, N)
                # log q(z) = logsumexp_n log N(z; m_n, diag e^{s_n}) - log N
                out[block] = torch.logsumexp(log_terms, dim=1) - math.log(self.n_components)
        return out.numpy()

    def sample(self, n_draws: int, *, seed: int = 0) -> np.ndarray:
        """``n_draws`` codes from q(z): n ~ uniform over the images, then z = m_n + e^{s_n/2} e."""
        n_draws = check_int("n_draws", n_draws, low=1, high=1_000_000)
        seed = check_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        idx = torch.randint(self.n_components, (n_draws,), generator=generator).numpy()
        e = torch.randn(n_draws, self.latent_dim, generator=generator, dtype=torch.float64).numpy()
        # z = m_n + exp(s_n / 2) e
        return self.means[idx] + np.exp(0.5 * self.logvars[idx]) * e


@torch.inference_mode()
def aggregate_posterior(mm: MapModel, images: torch.Tensor) -> AggregatePosterior:
    """The aggregate posterior of the VAE ``mm`` over ``images`` (one component per image)."""
    if mm.model.config.kind != "vae":
        raise ValueError(f"the aggregate posterior needs a VAE's q(z|x); {mm.label} has none")
    x = mm.model.check_input(images, name="images")
    mean, logvar = mm.model.encode_checked(x)
    return AggregatePosterior(mm.label, mean.double().numpy(), logvar.double().numpy())


@dataclass(frozen=True)
class Coverage:
    """Does q(z) cover the prior? Monte Carlo estimates (``n_draws`` draws, ``seed``), each
    with its standard error (``*_se``).

    ``kl``: KL(q(z) || p(z)) in nats, from draws of q; ``hole_mass``: the prior's mass
    where q(z) < ``fraction`` p(z), from draws of p; ``inside``: q's mass within
    ``radius`` of the origin, beside ``prior_inside``, the prior's (exact).
    """

    label: str
    n_components: int
    kl: float
    kl_se: float
    fraction: float
    hole_mass: float
    hole_mass_se: float
    radius: float
    inside: float
    inside_se: float
    prior_inside: float
    n_draws: int
    seed: int


def coverage(q: AggregatePosterior, *, fraction: float = HOLE_FRACTION, radius: float = 3.0,
             n_draws: int = 10_000, seed: int = 0) -> Coverage:
    """KL(q(z) || p(z)), the prior's mass in q's holes and q's mass inside ``radius``
    (:class:`Coverage`): ``n_draws`` draws of q from ``seed`` and as many of the prior
    N(0, I) from ``seed + 1``. Cached on disk by q's means and log-variances and these
    settings."""
    if not isinstance(q, AggregatePosterior):
        raise TypeError(f"q must be an AggregatePosterior, got {type(q).__name__}")
    fraction = check_real("fraction", fraction, low=0.0, low_open=True)
    radius = check_real("radius", radius, low=0.0)
    n_draws = check_int("n_draws", n_draws, low=2, high=1_000_000)
    seed = check_seed(seed)

    def estimate() -> dict[str, np.ndarray]:
        z_q = q.sample(n_draws, seed=seed)
        # KL(q || p) = E_q[log q(z) - log p(z)]
        log_ratio = q.log_density(z_q) - prior_log_density(z_q)
        z_p = torch.randn(n_draws, q.latent_dim, dtype=torch.float64,
                          generator=torch.Generator().manual_seed(seed + 1)).numpy()
        # P_p( q(z) < f p(z) ) = E_p[ 1{log q(z) - log p(z) < log f} ]
        in_hole = q.log_density(z_p) - prior_log_density(z_p) < math.log(fraction)
        # P_q( |z| <= r )
        inside = np.linalg.norm(z_q, axis=1) <= radius
        # each estimate: the mean of its draws, and its standard error std / sqrt(n)
        return {name: np.array([values.mean(), values.std(ddof=1) / math.sqrt(n_draws)])
                for name, values in (("kl", log_ratio), ("hole_mass", in_hole),
                                     ("inside", inside))}

    # the draws are many and the mixture's density at each costs a pass over every
    # component: the estimates are kept in the cache, keyed by q's content
    spec = {name: (np.float64, (2,)) for name in ("kl", "hole_mass", "inside")}
    est = cache.computed_arrays(spec, estimate, purpose="aggregate-coverage",
                                q=cache.content_digest(q.means, q.logvars), fraction=fraction,
                                radius=radius, n_draws=n_draws, seed=seed)
    return Coverage(
        label=q.label, n_components=q.n_components,
        kl=float(est["kl"][0]), kl_se=float(est["kl"][1]),
        fraction=fraction, hole_mass=float(est["hole_mass"][0]),
        hole_mass_se=float(est["hole_mass"][1]),
        radius=radius, inside=float(est["inside"][0]), inside_se=float(est["inside"][1]),
        prior_inside=prior_mass_inside(radius, latent_dim=q.latent_dim),
        n_draws=n_draws, seed=seed)


@dataclass(frozen=True)
class DensityPicture:
    """q(z) and p(z) of a 2-D code on a grid of square cells, and their mass inside a radius.

    ``centres``: (n_cells,) cell centres of both axes; ``log_q``, ``log_p``: (n_cells,
    n_cells) log of each cell's mass divided by its area (the density averaged over the
    cell, exact), row i at y = centres[i], column j at x = centres[j]; ``radii``:
    (n_radii,); ``inside_q``: q's mass within each radius (Monte Carlo, ``n_draws``
    draws, ``seed``); ``inside_p``: the prior's, exact.
    """

    label: str
    centres: np.ndarray
    log_q: np.ndarray
    log_p: np.ndarray
    radii: np.ndarray
    inside_q: np.ndarray
    inside_p: np.ndarray
    n_draws: int
    seed: int


def _interval_masses(edges: np.ndarray, means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """P(a_k <= x < a_{k+1}) for x ~ N(mean_n, std_n^2): shape (N, len(edges) - 1)."""
    a = (edges[None, :-1] - means[:, None]) / stds[:, None]
    b = (edges[None, 1:] - means[:, None]) / stds[:, None]
    # Phi(b) - Phi(a), taken in the tail where both are small (no cancellation of two
    # numbers near 1)
    return np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def cell_masses(q: AggregatePosterior, edges: np.ndarray) -> np.ndarray:
    """The mass q puts in each cell [e_j, e_{j+1}) x [e_i, e_{i+1}) of a 2-D grid, exact (the
    components are diagonal Gaussians): (n_cells, n_cells), row i along y, column j along x."""
    if not isinstance(q, AggregatePosterior) or q.latent_dim != 2:
        raise ValueError("q must be an AggregatePosterior of a 2-D code")
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or len(e) < 2 or not np.isfinite(e).all() or (np.diff(e) <= 0).any():
        raise ValueError("edges must be at least two finite, increasing numbers")
    stds = np.exp(0.5 * q.logvars)  # sigma = exp(s / 2)
    x_mass = _interval_masses(e, q.means[:, 0], stds[:, 0])  # (N, n_cells)
    y_mass = _interval_masses(e, q.means[:, 1], stds[:, 1])
    # Q_ij = (1/N) sum_n P_n(y in cell i) P_n(x in cell j)
    return y_mass.T @ x_mass / q.n_components


def density_picture(q: AggregatePosterior, *, half_width: float = 4.0, n_cells: int = 50,
                    max_radius: float = 4.5, n_radii: int = 91, n_draws: int = 20_000,
                    seed: int = 0) -> DensityPicture:
    """q and p of a 2-D code, averaged over each of ``n_cells`` x ``n_cells`` cells of
    [-h, h]^2, and their mass inside ``n_radii`` radii in [0, ``max_radius``]."""
    if not isinstance(q, AggregatePosterior) or q.latent_dim != 2:
        raise ValueError("q must be an AggregatePosterior of a 2-D code")
    half_width = check_real("half_width", half_width, low=0.0, low_open=True)
    n_cells = check_int("n_cells", n_cells, low=1, high=400)
    max_radius = check_real("max_radius", max_radius, low=0.0, low_open=True)
    n_radii = check_int("n_radii", n_radii, low=2, high=1000)
    edges = np.linspace(-half_width, half_width, n_cells + 1)
    area = (edges[1] - edges[0]) ** 2
    prior = AggregatePosterior("prior", np.zeros((1, 2)), np.zeros((1, 2)))
    radii = np.linspace(0.0, max_radius, n_radii)
    r_q = np.sort(np.linalg.norm(q.sample(n_draws, seed=seed), axis=1))
    with np.errstate(divide="ignore"):  # an empty cell: log 0 = -inf
        log_q = np.log(cell_masses(q, edges) / area)
        log_p = np.log(cell_masses(prior, edges) / area)
    return DensityPicture(
        label=q.label, centres=0.5 * (edges[:-1] + edges[1:]), log_q=log_q, log_p=log_p,
        radii=radii,
        # P_q(|z| <= r): the fraction of draws within r
        inside_q=np.searchsorted(r_q, radii, side="right") / n_draws,
        # P_p(|z| <= r) = 1 - e^{-r^2 / 2}
        inside_p=-np.expm1(-0.5 * radii**2),
        n_draws=n_draws, seed=seed)


