"""The lower bound, exact: log p(x) = Lb + KL(q(z|x) || p(z|x)), and how it is climbed.

Three settings, from exact to estimated:

1. **The linear-Gaussian model**, where every quantity has a closed form:
   p(z) = N(0, 1), p(x|z) = N(w z + b, v), and a Gaussian q(z) = N(mu, sigma^2) (sigma a
   standard deviation; the series' s is a log-variance, here s = 2 log sigma). Then

       p(x)   = N(x; b, w^2 + v)
       p(z|x) = N( w (x - b) / (w^2 + v),  v / (w^2 + v) )
       Lb     = E_q[log p(x|z)] - KL(q || p(z))  =  -Minimize1 - Minimize2 / 2
       log p(x) = Lb + KL(q || p(z|x))                (exactly, for every q)

   (the tutorial's two losses: Minimize1 = E_q[-log p(x|z)], Minimize2 = 2 KL(q || p(z));
   ``two_losses`` in closed form, ``two_losses_monte_carlo`` by sampling q.)

   ``encoder_step`` climbs Lb in q's parameters (decoder fixed: log p(x) cannot move,
   so the gap shrinks); ``decoder_step`` climbs Lb in (w, b, log v) with q fixed. A
   decoder step does not always raise log p(x): log p(x) = Lb + KL(q || p(z|x)) changes
   with the decoder in both terms, and log p(x) can fall while Lb rises (the gap shrinks
   faster); only when q is the posterior before the step (the gap is 0) is the rise of Lb
   a lower bound on the rise of log p(x), as in EM. Both steps use exact gradients and a
   backtracking line search that accepts a step only if Lb does not fall, so alternating
   them never lowers Lb.

2. **A non-linear 1-D decoder** x|z ~ N(g(z), v), g a small tanh network: p(x) has no
   closed form, so log p(x), the posterior and Lb are computed by quadrature on a fine
   grid of z, and the best Gaussian q is found by gradient ascent on Lb. The gap left
   over is KL(best q || p(z|x)) > 0 whenever the posterior is not Gaussian.

3. **The MNIST VAE**: log p(x) by importance sampling with the encoder as proposal,
   log p(x) ~ log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x) (Burda et al.,
   2016). Its expectation rises with K from the ELBO (K = 1) towards log p(x).
   ``image_two_losses`` splits one image's ELBO into the tutorial's Minimize1 and
   Minimize2 / 2, each computed two ways.

Everything is in nats; the exact model computes in float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explainer.losses import kl_standard_normal
from explainer.models import ModelConfig
from explainer.validation import check_int, check_real

LOG_2PI = math.log(2.0 * math.pi)
# The quadrature of section 2 holds while -log p(x|z) <= MAX_NLL nats at every z of the
# grid: the terms it sums are then small enough for float64 to keep the bound's gap (tenths
# of a nat to a few nats). Measured: at 5e10 nats the fitted gap comes out negative.
MAX_NLL = 1e6
# normal_density's log std: exp(2 log_std) must stay a positive, finite float64
MAX_ABS_LOG_STD = 300.0


# ---------------------------------------------------------------------------------------
# Argument checks for arrays of observations and parameters
# ---------------------------------------------------------------------------------------


def as_finite_array(name: str, value: object) -> np.ndarray:
    """``value`` (a real number or an array of them) as a float64 array, else raise."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or an array of them, got bool")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a real number or an array of them, got {type(value).__name__}"
        ) from err
    if a.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return a


# ---------------------------------------------------------------------------------------
# 1. The linear-Gaussian model: every term in closed form
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearGaussianDecoder:
    """p(x|z) = N(weight * z + bias, variance), with prior p(z) = N(0, 1)."""

    weight: float
    bias: float
    variance: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", check_real("weight", self.weight))
        object.__setattr__(self, "bias", check_real("bias", self.bias))
        object.__setattr__(
            self, "variance", check_real("variance", self.variance, low=0.0, low_open=True)
        )


@dataclass(frozen=True)
class GaussianQ:
    """q(z) = N(mean, sigma^2), sigma = exp(log_std) a standard deviation: one per
    observation (arrays) or one (numbers)."""

    mean: np.ndarray
    log_std: np.ndarray

    def __post_init__(self) -> None:
        mean = as_finite_array("mean", self.mean)
        log_std = as_finite_array("log_std", self.log_std)
        if mean.shape != log_std.shape:
            raise ValueError(
                f"mean and log_std must have the same shape, got {mean.shape} and {log_std.shape}"
            )
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "log_std", log_std)

    @property
    def std(self) -> np.ndarray:
        # sigma = exp(log sigma)
        return np.exp(self.log_std)


def log_normal_pdf(x: np.ndarray, *, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """log N(x; mean, variance), elementwise."""
    # -1/2 log(2 pi var) - (x - mean)^2 / (2 var)
    return -0.5 * (LOG_2PI + np.log(variance)) - (x - mean) ** 2 / (2.0 * variance)


def kl_gaussian(q: GaussianQ, *, p: GaussianQ) -> np.ndarray:
    """KL( N(mean_q, sigma_q^2) || N(mean_p, sigma_p^2) ), elementwise."""
    mean_q, log_std_q, mean_p, log_std_p = q.mean, q.log_std, p.mean, p.log_std
    # log(sigma_p / sigma_q) + (sigma_q^2 + (m_q - m_p)^2) / (2 sigma_p^2) - 1/2
    return (
        log_std_p
        - log_std_q
        + (np.exp(2.0 * log_std_q) + (mean_q - mean_p) ** 2) / (2.0 * np.exp(2.0 * log_std_p))
        - 0.5
    )


def log_marginal(x: object, *, decoder: LinearGaussianDecoder) -> np.ndarray:
    """log p(x) for each observation: p(x) = N(x; b, w^2 + v)."""
    x = as_finite_array("x", x)
    # log N(x; b, w^2 + v)
    return log_normal_pdf(x, mean=decoder.bias, variance=decoder.weight**2 + decoder.variance)


def posterior(x: object, *, decoder: LinearGaussianDecoder) -> GaussianQ:
    """The true posterior p(z|x) = N( w (x - b) / (w^2 + v), v / (w^2 + v) ), as a GaussianQ."""
    x = as_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    # mean = w (x - b) / (w^2 + v)
    mean = w * (x - b) / (w * w + v)
    # log sigma = 1/2 log( v / (w^2 + v) )
    log_std = np.full_like(mean, 0.5 * (math.log(v) - math.log(w * w + v)))
    return GaussianQ(mean, log_std)


def kl_to_posterior(x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder) -> np.ndarray:
    """KL( q || p(z|x) ): the gap between log p(x) and the lower bound."""
    return kl_gaussian(q, p=posterior(x, decoder=decoder))


def kl_to_prior(q: GaussianQ) -> np.ndarray:
    """KL( q || N(0, 1) ): the lower bound's regulariser (the tutorial's Minimize2 / 2)."""
    # 1/2 (mu^2 + sigma^2 - 1) - log sigma
    return 0.5 * (q.mean**2 + np.exp(2.0 * q.log_std) - 1.0) - q.log_std


def expected_log_likelihood(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder
) -> np.ndarray:
    """E_q[ log p(x|z) ]: the lower bound's reconstruction term (minus Minimize1)."""
    x = as_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    # E_q (x - w z - b)^2 = (x - w mu - b)^2 + w^2 sigma^2
    expected_square = (x - w * q.mean - b) ** 2 + w * w * np.exp(2.0 * q.log_std)
    # -1/2 log(2 pi v) - E_q (x - w z - b)^2 / (2 v)
    return -0.5 * (LOG_2PI + math.log(v)) - expected_square / (2.0 * v)


def lower_bound(x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder) -> np.ndarray:
    """Lb = E_q[log p(x|z)] - KL(q || p(z)) for each observation."""
    # Lb = E_q log p(x|z) - KL(q || p(z))
    return expected_log_likelihood(x, q=q, decoder=decoder) - kl_to_prior(q)


@dataclass(frozen=True)
class BoundTerms:
    """Every term of both splits, each summed over the observations (floats, nats).

    log_marginal = lower_bound + kl_posterior  (image047)
    lower_bound  = expected_log_likelihood - kl_prior  (image059)
                 = -minimize1 - minimize2 / 2  (image061-067)
    """

    log_marginal: float
    lower_bound: float
    kl_posterior: float
    kl_prior: float
    expected_log_likelihood: float

    @property
    def minimize1(self) -> float:
        """The tutorial's Minimize1, the reconstruction term: E_q[-log p(x|z)]."""
        return -self.expected_log_likelihood

    @property
    def minimize2(self) -> float:
        """The tutorial's Minimize2: 2 KL(q || p(z))."""
        return 2.0 * self.kl_prior

    @property
    def identity_residual(self) -> float:
        """log p(x) - (Lb + KL(q || p(z|x))): zero up to rounding."""
        return self.log_marginal - (self.lower_bound + self.kl_posterior)


def bound_terms(x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder) -> BoundTerms:
    """All terms of the two splits for observations ``x`` and their q's, summed over x."""
    x = as_finite_array("x", x)
    _check_q_matches(x, q)
    return BoundTerms(
        log_marginal=float(np.sum(log_marginal(x, decoder=decoder))),
        lower_bound=float(np.sum(lower_bound(x, q=q, decoder=decoder))),
        kl_posterior=float(np.sum(kl_to_posterior(x, q=q, decoder=decoder))),
        kl_prior=float(np.sum(kl_to_prior(q))),
        expected_log_likelihood=float(np.sum(expected_log_likelihood(x, q=q, decoder=decoder))),
    )


@dataclass(frozen=True)
class TwoLosses:
    """Lb split into the tutorial's two losses, in nats summed over the observations:

        Lb = -Minimize1 - Minimize2 / 2,
        Minimize1 = E_q[-log p(x|z)]  (reconstruction),  Minimize2 = 2 KL(q || p(z)).

    ``n_samples`` is 0 for the closed forms (standard errors 0), else the number of draws
    from q behind a Monte Carlo estimate, whose standard errors are given.
    """

    minimize1: float
    minimize2: float
    n_samples: int = 0
    minimize1_stderr: float = 0.0
    minimize2_stderr: float = 0.0
    lower_bound_stderr: float = 0.0

    @property
    def lower_bound(self) -> float:
        """Lb = -Minimize1 - Minimize2 / 2."""
        # Lb = -Minimize1 - Minimize2 / 2
        return -self.minimize1 - 0.5 * self.minimize2


def two_losses(x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder) -> TwoLosses:
    """Minimize1 and Minimize2 of the linear-Gaussian model in closed form, summed over x.

    Minimize2 is computed from the tutorial's own formula, sum (e^s - (1 + s) + mu^2) with
    s = log sigma^2 the log-variance; it equals 2 KL(q || p(z)).
    """
    x = as_finite_array("x", x)
    _check_q_matches(x, q)
    # Minimize1 = -E_q log p(x|z)
    minimize1 = -np.sum(expected_log_likelihood(x, q=q, decoder=decoder))
    # s = log sigma^2
    s = 2.0 * q.log_std
    # Minimize2 = sum_i ( e^{s_i} - (1 + s_i) + mu_i^2 )
    minimize2 = np.sum(np.exp(s) - (1.0 + s) + q.mean**2)
    return TwoLosses(float(minimize1), float(minimize2))


def two_losses_monte_carlo(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder, n_samples: int, seed: int
) -> TwoLosses:
    """Minimize1 and Minimize2 estimated from ``n_samples`` draws z ~ q (seeded), with
    their standard errors: the mean of -log p(x|z), and twice the mean of
    log q(z) - log p(z) (whose expectation is KL(q || p(z))). Summed over x.
    """
    x = as_finite_array("x", x)
    _check_q_matches(x, q)
    n_samples = check_int("n_samples", n_samples, low=2, high=10_000_000)
    seed = check_int("seed", seed, low=0)
    generator = torch.Generator().manual_seed(seed)
    xs, mean, std = x.ravel(), q.mean.ravel(), q.std.ravel()
    eps = torch.randn((n_samples, xs.size), generator=generator, dtype=torch.float64).numpy()
    # z = mu + sigma e,  e ~ N(0, 1)   (n_samples, n_obs)
    z = mean + std * eps
    # -log p(x|z) = -log N(x; w z + b, v), summed over the observations
    nll = -log_normal_pdf(xs, mean=decoder.weight * z + decoder.bias,
                          variance=decoder.variance).sum(axis=1)
    # log q(z) - log p(z) = log N(z; mu, sigma^2) - log N(z; 0, 1), summed
    log_ratio = (log_normal_pdf(z, mean=mean, variance=std**2)
                 - log_normal_pdf(z, mean=0.0, variance=1.0)).sum(axis=1)
    return TwoLosses(
        minimize1=float(nll.mean()),
        minimize2=float(2.0 * log_ratio.mean()),
        n_samples=n_samples,
        minimize1_stderr=_stderr(nll),
        minimize2_stderr=2.0 * _stderr(log_ratio),
        # -log w = -log p(x|z) + log q(z) - log p(z): -Lb per draw
        lower_bound_stderr=_stderr(nll + log_ratio),
    )


def _stderr(samples: np.ndarray | torch.Tensor) -> float:
    """The standard error of the mean of ``samples``: std / sqrt(n)."""
    samples = np.asarray(samples, dtype=np.float64)
    # sd / sqrt(n)
    return float(samples.std(ddof=1) / math.sqrt(samples.size))


def encoder_gradient(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder
) -> tuple[np.ndarray, np.ndarray]:
    """(dLb/dmu, dLb/dlog sigma) for each observation, exact."""
    x = as_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    s2 = np.exp(2.0 * q.log_std)
    # dLb/dmu = w (x - w mu - b) / v - mu
    d_mean = w * (x - w * q.mean - b) / v - q.mean
    # dLb/dlog sigma = -w^2 sigma^2 / v - sigma^2 + 1
    d_log_std = -w * w * s2 / v - s2 + 1.0
    return d_mean, d_log_std


def decoder_gradient(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder
) -> tuple[float, float, float]:
    """(dLb/dw, dLb/db, dLb/dlog v) of Lb summed over the observations, exact."""
    x = as_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    s2 = np.exp(2.0 * q.log_std)
    # residual r = x - w mu - b
    r = x - w * q.mean - b
    # dLb/dw = (r mu - w sigma^2) / v
    d_w = np.sum(r * q.mean - w * s2) / v
    # dLb/db = r / v
    d_b = np.sum(r) / v
    # dLb/dlog v = -1/2 + (r^2 + w^2 sigma^2) / (2 v)
    d_log_v = np.sum(-0.5 + (r * r + w * w * s2) / (2.0 * v))
    return float(d_w), float(d_b), float(d_log_v)


@dataclass(frozen=True)
class AscentStep:
    """The outcome of one line-searched gradient step on Lb (summed over observations)."""

    q: GaussianQ
    decoder: LinearGaussianDecoder
    lower_bound_before: float
    lower_bound_after: float
    step_size: float  # 0.0 if no step raised Lb (then nothing moved)


def encoder_step(
    x: object,
    *,
    q: GaussianQ,
    decoder: LinearGaussianDecoder,
    step_size: float = 1.0,
    max_halvings: int = 60,
) -> AscentStep:
    """One gradient-ascent step on Lb in q's (mean, log sigma), the decoder fixed.

    Backtracking (Armijo) line search: start at ``step_size`` and halve until Lb rises
    by at least 1e-4 * step * |gradient|^2; if no step qualifies, q stays as it is.
    So Lb never falls, and log p(x) (which does not depend on q) never moves.
    """
    x, step_size, max_halvings = _check_step(x, q, step_size, max_halvings)
    d_mean, d_log_std = encoder_gradient(x, q=q, decoder=decoder)
    theta = np.concatenate([q.mean.ravel(), q.log_std.ravel()])
    grad = np.concatenate([d_mean.ravel(), d_log_std.ravel()])
    shape = q.mean.shape
    n = q.mean.size

    def objective(t: np.ndarray) -> float:
        cand = GaussianQ(t[:n].reshape(shape), t[n:].reshape(shape))
        return float(np.sum(lower_bound(x, q=cand, decoder=decoder)))

    theta_new, before, after, step = backtracking_ascent(
        objective, theta=theta, gradient=grad, step_size=step_size, max_halvings=max_halvings
    )
    new_q = GaussianQ(theta_new[:n].reshape(shape), theta_new[n:].reshape(shape))
    return AscentStep(new_q, decoder, before, after, step)


def decoder_step(
    x: object,
    *,
    q: GaussianQ,
    decoder: LinearGaussianDecoder,
    step_size: float = 1.0,
    max_halvings: int = 60,
) -> AscentStep:
    """One gradient-ascent step on Lb in the decoder's (w, b, log v), every q fixed.

    The same backtracking line search as :func:`encoder_step`: Lb never falls. log p(x)
    may fall (see the module docstring): only Lb is guaranteed.
    """
    x, step_size, max_halvings = _check_step(x, q, step_size, max_halvings)
    theta = np.array([decoder.weight, decoder.bias, math.log(decoder.variance)])
    grad = np.array(decoder_gradient(x, q=q, decoder=decoder))

    def as_decoder(t: np.ndarray) -> LinearGaussianDecoder:
        return LinearGaussianDecoder(float(t[0]), float(t[1]), float(np.exp(t[2])))

    def objective(t: np.ndarray) -> float:
        if not np.isfinite(t).all() or abs(t[2]) > 700:  # exp(log v) must stay finite
            return -math.inf
        return float(np.sum(lower_bound(x, q=q, decoder=as_decoder(t))))

    theta_new, before, after, step = backtracking_ascent(
        objective, theta=theta, gradient=grad, step_size=step_size, max_halvings=max_halvings
    )
    return AscentStep(q, as_decoder(theta_new), before, after, step)


def _check_step(
    x: object, q: GaussianQ, step_size: float, max_halvings: int
) -> tuple[np.ndarray, float, int]:
    """The checked inputs of an ascent step: (x as a finite array, step_size, max_halvings)."""
    x = as_finite_array("x", x)
    _check_q_matches(x, q)
    step_size = check_real("step_size", step_size, low=0.0, low_open=True)
    max_halvings = check_int("max_halvings", max_halvings, low=0, high=1000)
    return x, step_size, max_halvings


def backtracking_ascent(
    objective: Callable[[np.ndarray], float],
    *,
    theta: np.ndarray,
    gradient: np.ndarray,
    step_size: float = 1.0,
    max_halvings: int = 60,
    armijo: float = 1e-4,
    direction: np.ndarray | None = None,
) -> tuple[np.ndarray, float, float, float]:
    """(theta', f(theta), f(theta'), step): theta' = theta + step * d (d = ``direction``,
    default the gradient g), step halved from ``step_size`` until
    f(theta') >= f(theta) + armijo * step * g.d  and  f(theta') > f(theta).

    If no step passes, theta' = theta (step 0): the objective never falls.
    """
    d = gradient if direction is None else direction
    with np.errstate(over="ignore", invalid="ignore"):
        return _backtrack(objective, theta, gradient, d, step_size, max_halvings, armijo)


def _backtrack(objective, theta, gradient, direction, step_size, max_halvings, armijo):
    before = objective(theta)
    # g.d, the rate of increase along d
    slope = float(np.dot(gradient, direction))
    step = step_size
    for _ in range(max_halvings + 1):
        candidate = theta + step * direction
        value = objective(candidate)
        # Armijo: f(theta + t g) >= f(theta) + c t |g|^2
        if np.isfinite(value) and value >= before + armijo * step * slope and value > before:
            return candidate, before, value, step
        step *= 0.5
    return theta.copy(), before, before, 0.0


def max_log_likelihood(x: object) -> float:
    """The highest sum of log p(x_i) any linear-Gaussian decoder can reach on ``x``.

    p(x) = N(b, w^2 + v) is maximised by b = mean(x), w^2 + v = the variance of x
    (divided by n); only w^2 + v matters, so many decoders reach it.
    """
    x = as_finite_array("x", x).ravel()
    if x.size < 2:
        raise ValueError(
            f"x must hold at least 2 observations (else the maximum is +inf), got {x.size}"
        )
    var = float(np.var(x))
    if var == 0.0:
        raise ValueError("x must not be all equal (else the maximum is +inf)")
    # sum_i log N(x_i; mean, var) = -n/2 (log(2 pi var) + 1)
    return -0.5 * x.size * (LOG_2PI + math.log(var) + 1.0)


def _check_q_matches(x: np.ndarray, q: GaussianQ) -> None:
    if not isinstance(q, GaussianQ):
        raise TypeError(f"q must be a GaussianQ, got {type(q).__name__}")
    if q.mean.shape != x.shape:
        raise ValueError(
            f"q must have one (mean, log_std) per observation: x has shape {x.shape}, "
            f"q.mean has shape {q.mean.shape}"
        )


# ---------------------------------------------------------------------------------------
# 2. A non-linear decoder: log p(x) and p(z|x) by quadrature, the best Gaussian q by ascent
# ---------------------------------------------------------------------------------------


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
        raise TypeError(f"z must be a float64 torch.Tensor (use elbo.z_grid()), got {kind}")
    if z.ndim != 1 or len(z) < 3:
        raise ValueError(f"z must be 1-D with at least 3 points, got shape {tuple(z.shape)}")
    steps = z[1:] - z[:-1]
    if not torch.isfinite(z).all() or not (steps > 0).all() or float(
            (steps - steps[0]).abs().max()) > 1e-9 * float(steps[0]):
        raise ValueError("z must be evenly spaced and increasing (the trapezoid weights assume "
                         "it): use elbo.z_grid()")


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
    log_prior = -0.5 * (LOG_2PI + z * z)
    return log_prior + log_lik


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
    return -0.5 * (LOG_2PI + math.log(variance)) - (x - g) ** 2 / (2 * variance)


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
    # q(z) = N(z; mean, sigma^2)
    log_q = -0.5 * LOG_2PI - log_std - (z - mean) ** 2 / (2 * std * std)
    log_w = _trapezoid_log_weights(z) if log_w is None else log_w
    weights = (log_q + log_w).exp()
    # E_q log p(x|z) = sum_j w_j q(z_j) log p(x|z_j)
    expected = (weights * log_lik).sum()
    # KL(q || N(0,1)) = 1/2 (mu^2 + sigma^2 - 1) - log sigma
    kl_prior = 0.5 * (mean * mean + std * std - 1.0) - log_std
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


# ---------------------------------------------------------------------------------------
# 3. The MNIST VAE: importance-sampled log p(x)
# ---------------------------------------------------------------------------------------


def check_vae(model: nn.Module) -> ModelConfig:
    """``model``'s config, if it is an ``explainer.models.Autoencoder`` of kind "vae"."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "kind", None) != "vae":
        raise ValueError("model must be an explainer.models.Autoencoder of kind 'vae'")
    return config


@torch.inference_mode()
def log_importance_weights(
    model: nn.Module, x: torch.Tensor, *, n_samples: int, seed: int, chunk_size: int = 8
) -> torch.Tensor:
    """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x), z_k ~ q(z|x): shape (n, n_samples).

    The noise comes from a ``torch.Generator`` seeded with ``seed`` (same seed, same
    weights); ``chunk_size`` images are decoded at a time to bound memory. Returned in
    float64. ``model`` is an ``explainer.models.Autoencoder`` of kind "vae".
    """
    n_samples = check_int("n_samples", n_samples, low=1, high=100_000)
    seed = check_int("seed", seed, low=0)
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    config = check_vae(model)
    x = model.check_input(x)
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    out = []
    for i in range(0, x.shape[0], chunk_size):
        xb = x[i : i + chunk_size]
        n, d = xb.shape[0], config.latent_dim
        mean, logvar = model.encode_checked(xb)  # (n, d) each
        std = (0.5 * logvar).exp()
        eps = torch.randn((n, n_samples, d), generator=generator, dtype=mean.dtype)
        # z = mu + sigma * e
        z = mean[:, None, :] + std[:, None, :] * eps  # (n, K, d)
        decoded = model.decode_logits(z.reshape(n * n_samples, d))
        x_rep = xb.repeat_interleave(n_samples, dim=0)
        # log p(x|z) = -nll
        log_lik = -model.reconstruction_nll(decoded, x_rep).reshape(n, n_samples)
        # log p(z) = sum_j log N(z_j; 0, 1)
        log_prior = (-0.5 * (LOG_2PI + z * z)).sum(dim=2)
        # log q(z|x) = sum_j log N(z_j; mu_j, sigma_j^2) = sum_j [-1/2 log(2 pi) - s_j/2 - e_j^2/2]
        log_q = (-0.5 * (LOG_2PI + logvar[:, None, :] + eps * eps)).sum(dim=2)
        out.append((log_lik.double() + log_prior.double() - log_q.double()))
    model.train(was_training)
    return torch.cat(out, dim=0)


def importance_sampled_log_likelihood(log_weights: torch.Tensor, *, k: int) -> torch.Tensor:
    """The K-sample estimate of log p(x), averaged over the draws: shape (n,).

    The columns of ``log_weights`` (n, N) are cut into N // k groups of k; each group
    gives log (1/k) sum exp(log w), and the groups are averaged. Its expectation is the
    IWAE bound L_k: L_1 is the ELBO, L_k rises with k towards log p(x).
    """
    _check_log_weights(log_weights)
    total = log_weights.shape[1]
    k = check_int("k", k, low=1, high=total)
    groups = total // k
    w = log_weights[:, : groups * k].reshape(log_weights.shape[0], groups, k)
    # log (1/k) sum_k w_k  per group, then the mean over groups
    return (torch.logsumexp(w, dim=2) - math.log(k)).mean(dim=1)


def elbo_from_weights(log_weights: torch.Tensor) -> torch.Tensor:
    """The ELBO per image, E_q[log w], estimated by the mean of all log weights: (n,)."""
    _check_log_weights(log_weights)
    return log_weights.mean(dim=1)


def _check_log_weights(log_weights: object) -> None:
    if not isinstance(log_weights, torch.Tensor) or log_weights.ndim != 2:
        raise ValueError("log_weights must be a 2-D tensor (n_images, n_samples)")
    if log_weights.shape[0] == 0 or log_weights.shape[1] == 0:
        raise ValueError(f"log_weights must hold at least one sample per image, got shape "
                         f"{tuple(log_weights.shape)}")
    if torch.isnan(log_weights).any():
        raise ValueError("log_weights must not hold NaN (from log_importance_weights)")


@dataclass(frozen=True)
class ImageTwoLosses:
    """One image's ELBO under a VAE split into the tutorial's two losses, each computed
    two ways (nats):

        ELBO = -Minimize1 - Minimize2 / 2,
        Minimize1 = E_q[-log p(x|z)],  Minimize2 / 2 = KL(q(z|x) || N(0, I)).

    ``minimize1``: the mean of -log p(x|z) over ``n_samples`` draws z ~ q(z|x).
    ``minimize1_training``: the training loss's reconstruction term
    (``Autoencoder.loss_terms``, one draw of z per evaluation, as in a training step),
    averaged over ``n_samples`` evaluations; ``minimize1_one_draw`` is the first of them.
    ``kl``: the closed form (``losses.kl_standard_normal``), Minimize2 / 2.
    ``kl_monte_carlo``: the mean of log q(z|x) - log p(z) over the draws of ``minimize1``.
    """

    minimize1: float
    minimize1_stderr: float
    minimize1_training: float
    minimize1_training_stderr: float
    minimize1_one_draw: float
    kl: float
    kl_monte_carlo: float
    kl_monte_carlo_stderr: float
    n_samples: int

    @property
    def minimize2(self) -> float:
        """Minimize2 = 2 KL(q(z|x) || N(0, I))."""
        return 2.0 * self.kl

    @property
    def elbo(self) -> float:
        """ELBO = -Minimize1 - Minimize2 / 2 (Minimize1 by sampling, the KL closed)."""
        # ELBO = -Minimize1 - Minimize2 / 2
        return -self.minimize1 - 0.5 * self.minimize2


@torch.inference_mode()
def image_two_losses(model: nn.Module, x: torch.Tensor, *, n_samples: int,
                     seed: int) -> ImageTwoLosses:
    """Split one image's ELBO into Minimize1 and Minimize2 / 2, each two ways (see
    :class:`ImageTwoLosses`). ``x``: one image, shape (1, input_dim); ``model``: an
    ``explainer.models.Autoencoder`` of kind "vae"; the draws come from a
    ``torch.Generator`` seeded with ``seed``.
    """
    n_samples = check_int("n_samples", n_samples, low=2, high=1_000_000)
    seed = check_int("seed", seed, low=0)
    config = check_vae(model)
    x = model.check_input(x)
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image, shape (1, {config.input_dim}), got "
                         f"{x.shape[0]} images")
    generator = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    mean, logvar = model.encode_checked(x)  # (1, d) each
    eps = torch.randn((n_samples, config.latent_dim), generator=generator, dtype=mean.dtype)
    # z = m + exp(s / 2) e
    z = mean + (0.5 * logvar).exp() * eps  # (K, d)
    x_rep = x.expand(n_samples, -1)
    # Minimize1 per draw: -log p(x|z)
    nll = model.reconstruction_nll(model.decode_logits(z), x_rep).double()
    # log q(z|x) - log p(z) = sum_j [ log N(z_j; m_j, e^{s_j}) - log N(z_j; 0, 1) ]
    #                       = sum_j [ -s_j / 2 - e_j^2 / 2 + z_j^2 / 2 ]
    log_ratio = (-0.5 * logvar - 0.5 * eps * eps + 0.5 * z * z).sum(dim=1).double()
    # KL = 1/2 sum_j ( e^{s_j} - (1 + s_j) + m_j^2 ): Minimize2 / 2
    kl = float(kl_standard_normal(mean, logvar)[0])
    # the training loss: one draw of z per evaluation, n_samples evaluations
    training = model.loss_terms_checked(x_rep, generator=generator).reconstruction.double()
    model.train(was_training)
    return ImageTwoLosses(
        minimize1=float(nll.mean()), minimize1_stderr=_stderr(nll),
        minimize1_training=float(training.mean()), minimize1_training_stderr=_stderr(training),
        minimize1_one_draw=float(training[0]),
        kl=kl, kl_monte_carlo=float(log_ratio.mean()), kl_monte_carlo_stderr=_stderr(log_ratio),
        n_samples=n_samples,
    )


def fixed_test_digits(x_test: torch.Tensor, *, n_digits: int, seed: int) -> torch.Tensor:
    """``n_digits`` test images chosen by a seeded permutation (the same set every run)."""
    if not isinstance(x_test, torch.Tensor) or x_test.ndim < 1:
        raise TypeError(f"x_test must be a torch.Tensor of images, got {type(x_test).__name__}")
    n_digits = check_int("n_digits", n_digits, low=1, high=x_test.shape[0])
    seed = check_int("seed", seed, low=0)
    order = torch.randperm(x_test.shape[0], generator=torch.Generator().manual_seed(seed))
    return x_test[order[:n_digits].sort().values]


def normal_density(z: np.ndarray, *, mean: float, log_std: float) -> np.ndarray:
    """N(z; mean, exp(log_std)^2) on the points ``z`` (for drawing q and p(z|x));
    ``log_std`` in [-300, 300]."""
    mean = check_real("mean", mean)
    log_std = check_real("log_std", log_std, low=-MAX_ABS_LOG_STD, high=MAX_ABS_LOG_STD)
    z = as_finite_array("z", z)
    # far from a narrow peak (z - mean)^2 / (2 sigma^2) overflows to inf: the density is 0 there
    with np.errstate(over="ignore"):
        # exp( log N(z; mean, sigma^2) )
        return np.exp(log_normal_pdf(z, mean=mean, variance=math.exp(2.0 * log_std)))
