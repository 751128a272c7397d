"""A non-linear 1-D decoder: log p(x), p(z|x) and the lower bound by quadrature, and the
best Gaussian q found by ascent.

The decoder is x|z ~ N(g(z), v) with g a small tanh network and p(z) = N(0, 1). p(x) has
no closed form, so log p(x) = log int p(z) p(x|z) dz, the posterior p(z|x) and the bound
Lb = E_q[log p(x|z)] - KL(q || p(z)) are computed by the trapezoid rule on a fine grid of
z, and the best Gaussian q = N(mu, sigma^2) is found by ascent on Lb
(:func:`fit_gaussian_q`). The gap left over is KL(best q || p(z|x)) > 0 whenever the
posterior is not Gaussian (``folded_decoder`` makes it two-humped).

The linear-Gaussian model of :mod:`explainer.elbo` is the case where all of this has a
closed form; the tests check the quadrature against it. Everything is in nats, float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explainer.elbo import backtracking_ascent
from explainer.gaussians import kl_standard_normal, log_normal_pdf, log_standard_normal_pdf
from explainer.validation import check_int, check_real

# The quadrature holds while -log p(x|z) <= MAX_NLL nats at every z of the grid: the terms
# it sums are then small enough for float64 to keep the bound's gap (tenths of a nat to a
# few nats). Measured: at 5e10 nats the fitted gap comes out negative.
MAX_NLL = 1e6



def folded_decoder(
    *, left: float = -0.5, right: float = 1.5, depth: float = 2.0, sharpness: float = 3.0
) -> nn.Sequential:
    """A 1-2-1 tanh network, its weights written out, whose mean folds the z line:

        g(z) = depth + (depth / 2) (tanh(k (z - right)) - tanh(k (z - left)))

    g is ``depth`` far from the well [left, right] and about 0 inside it, so an x between
    0 and ``depth`` is explained by two z's, one at each wall: a two-humped posterior
    (uneven, since the prior weighs the walls differently).
    """
    left = check_real("left", left)
    right = check_real("right", right)
    if right <= left:
        raise ValueError(f"right must be greater than left ({left}), got {right}")
    depth = check_real("depth", depth, low=0.0, low_open=True)
    sharpness = check_real("sharpness", sharpness, low=0.0, low_open=True)
    net = nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)).to(torch.float64)
    with torch.no_grad():
        # hidden units: tanh(k z - k right), tanh(k z - k left)
        net[0].weight.copy_(torch.tensor([[sharpness], [sharpness]]))
        net[0].bias.copy_(torch.tensor([-sharpness * right, -sharpness * left]))
        # output: depth/2 * h_1 - depth/2 * h_2 + depth
        net[2].weight.copy_(torch.tensor([[depth / 2, -depth / 2]]))
        net[2].bias.copy_(torch.tensor([depth]))
    net.requires_grad_(False)
    return net


def z_grid(*, low: float = -10.0, high: float = 10.0, n_points: int = 4001) -> torch.Tensor:
    """Evenly spaced z's for quadrature (float64): p(z) outside [-10, 10] is below 1e-21."""
    low = check_real("low", low)
    high = check_real("high", high)
    if high <= low:
        raise ValueError(f"high must be greater than low ({low}), got {high}")
    n_points = check_int("n_points", n_points, low=3, high=10_000_000)
    return torch.linspace(low, high, n_points, dtype=torch.float64)


def _check_z_grid(z: object) -> None:
    """Refuse a z grid the trapezoid weights would misread: it must be as ``z_grid`` makes
    it, a 1-D float64 tensor of at least 3 evenly spaced, increasing points."""
    if not isinstance(z, torch.Tensor) or z.dtype != torch.float64:
        kind = type(z).__name__ if not isinstance(z, torch.Tensor) else str(z.dtype).split(".")[-1]
        raise TypeError("z must be a float64 torch.Tensor (use nonlinear_posterior.z_grid()), "
                        f"got {kind}")
    if z.ndim != 1 or len(z) < 3:
        raise ValueError(f"z must be 1-D with at least 3 points, got shape {tuple(z.shape)}")
    steps = z[1:] - z[:-1]
    if not torch.isfinite(z).all() or not (steps > 0).all() or float(
            (steps - steps[0]).abs().max()) > 1e-9 * float(steps[0]):
        raise ValueError("z must be evenly spaced and increasing (the trapezoid weights assume "
                         "it): use nonlinear_posterior.z_grid()")


def _trapezoid_log_weights(z: torch.Tensor) -> torch.Tensor:
    """log of the trapezoid rule's weights on an even grid: dz, with dz/2 at both ends."""
    dz = float(z[1] - z[0])
    w = torch.full_like(z, dz)
    w[0] = w[-1] = dz / 2
    return w.log()


def log_joint_on_grid(
    x: float, *, decoder_mean: Callable[[torch.Tensor], torch.Tensor], variance: float,
    z: torch.Tensor,
) -> torch.Tensor:
    """log p(z) + log p(x|z) at every z of the grid: shape (n_points,)."""
    x = check_real("x", x)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    log_lik = _log_likelihood_on_grid(x, decoder_mean, variance=variance, z=z)
    # log N(z; 0, 1) + log N(x; g(z), v)
    return log_standard_normal_pdf(z) + log_lik


def quadrature_log_marginal(
    x: float, *, decoder_mean: Callable[[torch.Tensor], torch.Tensor], variance: float,
    z: torch.Tensor,
) -> float:
    """log p(x) = log integral p(z) p(x|z) dz, by the trapezoid rule on the grid ``z``."""
    log_joint = log_joint_on_grid(x, decoder_mean=decoder_mean, variance=variance, z=z)
    # log sum_j w_j p(z_j, x)
    return float(torch.logsumexp(log_joint + _trapezoid_log_weights(z), dim=0))


def numerical_posterior(
    x: float, *, decoder_mean: Callable[[torch.Tensor], torch.Tensor], variance: float,
    z: torch.Tensor,
) -> torch.Tensor:
    """p(z|x) = p(z) p(x|z) / p(x) on the grid ``z`` (a density: integrates to 1)."""
    log_joint = log_joint_on_grid(x, decoder_mean=decoder_mean, variance=variance, z=z)
    log_px = torch.logsumexp(log_joint + _trapezoid_log_weights(z), dim=0)
    # p(z|x) = exp( log p(z, x) - log p(x) )
    return (log_joint - log_px).exp()


def quadrature_lower_bound(
    x: float, *, mean: torch.Tensor, log_std: torch.Tensor,
    decoder_mean: Callable[[torch.Tensor], torch.Tensor], variance: float, z: torch.Tensor,
) -> torch.Tensor:
    """Lb for q = N(mean, exp(log_std)^2), differentiable in (mean, log_std) (tensors).

    E_q[log p(x|z)] by the trapezoid rule on ``z``; KL(q || p(z)) in closed form.
    """
    x = check_real("x", x)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    log_lik = _log_likelihood_on_grid(x, decoder_mean, variance=variance, z=z)
    return _grid_lower_bound(mean, log_std, log_lik, z)


def _log_likelihood_on_grid(
    x: float, decoder_mean: Callable[[torch.Tensor], torch.Tensor], *, variance: float,
    z: torch.Tensor,
) -> torch.Tensor:
    """log p(x|z) at every z of the grid, once x is known to be in the range where the
    quadrature holds (see ``MAX_NLL``), else an error naming that range."""
    _check_z_grid(z)
    g = decoder_mean(z.reshape(-1, 1)).reshape(-1)
    # (x - g)^2 / (2 v) <= MAX_NLL  <=>  |x - g(z)| <= sqrt(2 v MAX_NLL) for every z
    reach = math.sqrt(2.0 * variance * MAX_NLL)
    g_low, g_high = float(g.min()), float(g.max())
    if not g_high - reach <= x <= g_low + reach:
        raise ValueError(
            f"x must be in [{g_high - reach:.1f}, {g_low + reach:.1f}] for this decoder and "
            f"variance (where -log p(x|z) <= {MAX_NLL:g} nats at every z of the grid, else "
            f"float64 quadrature loses the gap), got {x:g}"
        )
    # log p(x|z) = log N(x; g(z), v)
    return log_normal_pdf(x, mean=g, variance=variance)


def _grid_lower_bound(
    mean: torch.Tensor, log_std: torch.Tensor, log_lik: torch.Tensor, z: torch.Tensor,
    log_w: torch.Tensor | None = None,
) -> torch.Tensor:
    std = log_std.exp()
    # q must lie inside the grid, else the quadrature misses its mass
    lo, hi = float(mean.detach() - 6 * std.detach()), float(mean.detach() + 6 * std.detach())
    if lo < float(z[0]) or hi > float(z[-1]) or float(std.detach()) < 10 * float(z[1] - z[0]):
        raise ValueError(
            f"q = N({float(mean.detach()):.3g}, {float(std.detach()):.3g}^2) is not resolved by "
            f"the quadrature grid on [{float(z[0]):g}, {float(z[-1]):g}] with step "
            f"{float(z[1] - z[0]):.3g}; use a wider or finer grid"
        )
    # log q(z) = log N(z; mean, sigma^2)
    log_q = log_normal_pdf(z, mean=mean, std=std)
    log_w = _trapezoid_log_weights(z) if log_w is None else log_w
    weights = (log_q + log_w).exp()
    # E_q log p(x|z) = sum_j w_j q(z_j) log p(x|z_j)
    expected = (weights * log_lik).sum()
    # KL(q || N(0, 1)), with log sigma^2 = 2 log sigma
    kl_prior = kl_standard_normal(mean, 2.0 * log_std)
    return expected - kl_prior


@dataclass(frozen=True)
class GaussianFit:
    """The best Gaussian q for one x under a non-linear decoder, and the numbers around it."""

    mean: float
    log_std: float
    lower_bound: float
    log_marginal: float
    lower_bound_trace: list[float]

    @property
    def gap(self) -> float:
        """log p(x) - Lb = KL(q || p(z|x)) for the fitted q."""
        return self.log_marginal - self.lower_bound


def fit_gaussian_q(
    x: float, *, decoder_mean: Callable[[torch.Tensor], torch.Tensor], variance: float,
    z: torch.Tensor | None = None, mean_init: float = 0.0, log_std_init: float = 0.0,
    n_steps: int = 100,
) -> GaussianFit:
    """The Gaussian q = N(mu, sigma^2) that maximises Lb for observation ``x``, by gradient
    ascent (autograd gradients, backtracking line search: Lb never falls).

    Maximising Lb = log p(x) - KL(q || p(z|x)) minimises the KL from q to the posterior:
    a mode-seeking fit, so which hump q settles on depends on ``mean_init``.
    """
    x = check_real("x", x)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    mean_init = check_real("mean_init", mean_init)
    log_std_init = check_real("log_std_init", log_std_init, low=-10.0, high=3.0)
    n_steps = check_int("n_steps", n_steps, low=0, high=100_000)
    z = z_grid() if z is None else z
    with torch.no_grad():
        log_lik = _log_likelihood_on_grid(x, decoder_mean, variance=variance, z=z)

    log_w = _trapezoid_log_weights(z)

    def lb_of(t: torch.Tensor) -> torch.Tensor:
        return _grid_lower_bound(t[0], t[1], log_lik, z, log_w)

    def objective(t: np.ndarray) -> float:
        if not np.isfinite(t).all() or not -10.0 <= t[1] <= 3.0:
            return -math.inf
        try:
            return float(lb_of(torch.from_numpy(t)))
        except ValueError:  # the candidate is not resolved by the grid: reject the step
            return -math.inf

    theta = np.array([mean_init, log_std_init])
    trace = [objective(theta)]
    if not np.isfinite(trace[0]):
        raise ValueError(
            f"the initial q = N({mean_init}, exp({log_std_init})^2) is not resolved by the grid"
        )
    for _ in range(n_steps):
        t = torch.tensor(theta, requires_grad=True)
        (grad,) = torch.autograd.grad(lb_of(t), t)
        grad = grad.numpy()
        # stop once the gradient vanishes (no step could raise Lb measurably)
        if float(np.abs(grad).max()) < 1e-9:
            break
        hessian = torch.autograd.functional.hessian(lb_of, torch.from_numpy(theta)).numpy()
        # Newton direction d = -H^-1 g where Lb is locally concave, else the gradient
        if np.all(np.linalg.eigvalsh(hessian) < 0):
            direction = -np.linalg.solve(hessian, grad)
        else:
            direction = grad
        theta_new, _before, after, accepted = backtracking_ascent(
            objective, theta=theta, gradient=grad, direction=direction, step_size=1.0,
            max_halvings=40,
        )
        if accepted == 0.0:
            break
        theta = theta_new
        trace.append(after)
    value = trace[-1]
    log_px = quadrature_log_marginal(x, decoder_mean=decoder_mean, variance=variance, z=z)
    return GaussianFit(float(theta[0]), float(theta[1]), value, log_px, trace)
