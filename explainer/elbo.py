"""The lower bound, exact: log p(x) = Lb + KL(q(z|x) || p(z|x)), and how it is climbed.

The linear-Gaussian model, where every quantity has a closed form: p(z) = N(0, 1),
p(x|z) = N(w z + b, v), and a Gaussian q(z) = N(mu, sigma^2) (sigma a standard deviation;
the series' s is a log-variance, here s = 2 log sigma). Then

    p(x)   = N(x; b, w^2 + v)
    p(z|x) = N( w (x - b) / (w^2 + v),  v / (w^2 + v) )
    Lb     = E_q[log p(x|z)] - KL(q || p(z))  =  -Minimize1 - Minimize2 / 2
    log p(x) = Lb + KL(q || p(z|x))                (exactly, for every q)

(the tutorial's two losses: Minimize1 = E_q[-log p(x|z)], Minimize2 = 2 KL(q || p(z));
``two_losses`` in closed form, ``two_losses_monte_carlo`` by sampling q.)

``encoder_step`` climbs Lb in q's parameters (decoder fixed: log p(x) cannot move, so the
gap shrinks); ``decoder_step`` climbs Lb in (w, b, log v) with q fixed. A decoder step
does not always raise log p(x): log p(x) = Lb + KL(q || p(z|x)) changes with the decoder
in both terms, and log p(x) can fall while Lb rises (the gap shrinks faster); only when q
is the posterior before the step (the gap is 0) is the rise of Lb a lower bound on the
rise of log p(x), as in EM. Both steps use exact gradients and a backtracking line search
that accepts a step only if Lb does not fall, so alternating them never lowers Lb.

Where no closed form exists: a non-linear decoder by quadrature in
:mod:`explainer.nonlinear_posterior`, the MNIST VAE by importance sampling in
:mod:`explainer.image_elbo`. Everything is in nats; the model computes in float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainer.gaussians import LOG_2PI, kl_normal, kl_standard_normal, log_normal_pdf
from explainer.validation import check_finite_array, check_int, check_real, check_seed

# normal_density's log std: exp(2 log_std) must stay a positive, finite float64
MAX_ABS_LOG_STD = 300.0



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
        mean = check_finite_array("mean", self.mean)
        log_std = check_finite_array("log_std", self.log_std)
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


def log_marginal(x: object, *, decoder: LinearGaussianDecoder) -> np.ndarray:
    """log p(x) for each observation: p(x) = N(x; b, w^2 + v)."""
    x = check_finite_array("x", x)
    # log N(x; b, w^2 + v)
    return log_normal_pdf(x, mean=decoder.bias, variance=decoder.weight**2 + decoder.variance)


def posterior(x: object, *, decoder: LinearGaussianDecoder) -> GaussianQ:
    """The true posterior p(z|x) = N( w (x - b) / (w^2 + v), v / (w^2 + v) ), as a GaussianQ."""
    x = check_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    # mean = w (x - b) / (w^2 + v)
    mean = w * (x - b) / (w * w + v)
    # log sigma = 1/2 log( v / (w^2 + v) )
    log_std = np.full_like(mean, 0.5 * (math.log(v) - math.log(w * w + v)))
    return GaussianQ(mean, log_std)


def kl_to_posterior(x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder) -> np.ndarray:
    """KL( q || p(z|x) ): the gap between log p(x) and the lower bound."""
    post = posterior(x, decoder=decoder)
    # KL( N(mu_q, sigma_q^2) || N(mu_p, sigma_p^2) ), log-variances 2 log sigma
    return kl_normal(q.mean, 2.0 * q.log_std, mean_p=post.mean, logvar_p=2.0 * post.log_std)


def kl_to_prior(q: GaussianQ) -> np.ndarray:
    """KL( q || N(0, 1) ): the lower bound's regulariser (the tutorial's Minimize2 / 2)."""
    # 1/2 (sigma^2 - 1 - log sigma^2 + mu^2)
    return kl_standard_normal(q.mean, 2.0 * q.log_std)


def expected_log_likelihood(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder
) -> np.ndarray:
    """E_q[ log p(x|z) ]: the lower bound's reconstruction term (minus Minimize1)."""
    x = check_finite_array("x", x)
    w, b, v = decoder.weight, decoder.bias, decoder.variance
    # E_q (x - w z - b)^2 = (x - w mu - b)^2 + w^2 sigma^2, so
    # E_q log N(x; w z + b, v) = log N(x; w mu + b, v) - w^2 sigma^2 / (2 v)
    return (log_normal_pdf(x, mean=w * q.mean + b, variance=v)
            - w * w * np.exp(2.0 * q.log_std) / (2.0 * v))


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
    x = check_finite_array("x", x)
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
    x = check_finite_array("x", x)
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
    x = check_finite_array("x", x)
    _check_q_matches(x, q)
    n_samples = check_int("n_samples", n_samples, low=2, high=10_000_000)
    seed = check_seed(seed)
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
        minimize1_stderr=standard_error(nll),
        minimize2_stderr=2.0 * standard_error(log_ratio),
        # -log w = -log p(x|z) + log q(z) - log p(z): -Lb per draw
        lower_bound_stderr=standard_error(nll + log_ratio),
    )


def standard_error(samples: np.ndarray | torch.Tensor) -> float:
    """The standard error of the mean of ``samples``: std / sqrt(n)."""
    samples = np.asarray(samples, dtype=np.float64)
    # sd / sqrt(n)
    return float(samples.std(ddof=1) / math.sqrt(samples.size))


def encoder_gradient(
    x: object, *, q: GaussianQ, decoder: LinearGaussianDecoder
) -> tuple[np.ndarray, np.ndarray]:
    """(dLb/dmu, dLb/dlog sigma) for each observation, exact."""
    x = check_finite_array("x", x)
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
    x = check_finite_array("x", x)
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
    x = check_finite_array("x", x)
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
    x = check_finite_array("x", x).ravel()
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


def normal_density(z: np.ndarray, *, mean: float, log_std: float) -> np.ndarray:
    """N(z; mean, exp(log_std)^2) on the points ``z`` (for drawing q and p(z|x));
    ``log_std`` in [-300, 300]."""
    mean = check_real("mean", mean)
    log_std = check_real("log_std", log_std, low=-MAX_ABS_LOG_STD, high=MAX_ABS_LOG_STD)
    z = check_finite_array("z", z)
    # far from a narrow peak (z - mean)^2 / (2 sigma^2) overflows to inf: the density is 0 there
    with np.errstate(over="ignore"):
        # exp( log N(z; mean, sigma^2) )
        return np.exp(log_normal_pdf(z, mean=mean, variance=math.exp(2.0 * log_std)))
