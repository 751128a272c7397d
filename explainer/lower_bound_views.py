"""What the lower-bound figures show, as plain objects: one q against the exact posterior
with log p(x) split two ways, the encoder and decoder climbing Lb step by step, and the
best Gaussian q's under a folded (non-linear) decoder.

The widgets in ``explainer.widgets.lower_bound`` draw these and the notebooks print and
plot the same ones; nothing here needs ipywidgets. Every number comes from
``explainer.elbo`` and ``explainer.nonlinear_posterior``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainer import elbo, nonlinear_posterior
from explainer.validation import check_finite_array

# the z axis of the exact model's densities
Z_VIEW = np.linspace(-4.0, 4.0, 401)


def _check_instance(name: str, value: object, kind: type) -> None:
    """Raise unless ``value`` is None (the default) or a ``kind``."""
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be an elbo.{kind.__name__} or None, "
                        f"got {type(value).__name__}")


@dataclass(frozen=True)
class BoundSplitView:
    """One q = N(mu, sigma^2) for one x under a linear-Gaussian decoder: every term of
    log p(x) = Lb + KL(q || p(z|x)), and the densities of q and of the exact posterior on
    Z_VIEW."""

    terms: elbo.BoundTerms
    posterior_density: np.ndarray
    q_density: np.ndarray


class BoundSplit:
    """The exact model of the bound: p(z) = N(0, 1) and a linear-Gaussian decoder
    p(x|z) = N(wz + b, v), by default (w, b, v) = (1.5, 0, 0.5)."""

    def __init__(self, decoder: elbo.LinearGaussianDecoder | None = None) -> None:
        _check_instance("decoder", decoder, elbo.LinearGaussianDecoder)
        self.decoder = decoder or elbo.LinearGaussianDecoder(weight=1.5, bias=0.0, variance=0.5)

    def view(self, x: float, *, mean: float, log_std: float) -> BoundSplitView:
        """The exact split for observation x and q = N(mean, exp(log_std)^2)."""
        terms = elbo.bound_terms(x, q=elbo.GaussianQ(mean, log_std), decoder=self.decoder)
        post = elbo.posterior(x, decoder=self.decoder)
        return BoundSplitView(
            terms=terms,
            posterior_density=elbo.normal_density(Z_VIEW, mean=float(post.mean),
                                                  log_std=float(post.log_std)),
            q_density=elbo.normal_density(Z_VIEW, mean=mean, log_std=log_std))


class BoundAscent:
    """Eight-or-so observations X, one q_i each and one linear-Gaussian decoder, climbing
    Lb: an encoder step moves every q_i (log p(X) stays, the gap shrinks), a decoder step
    moves (w, b, log v) with the q's fixed. Records log p(X) and Lb after every step.

    The start: the decoder (w, b, v) = (0.3, -1, 4) and a poor q, every q_i = N(-1, e^-2)
    (POOR_Q_MEAN, POOR_Q_LOG_STD), far from the posteriors: a gap of several nats that the
    first encoder step closes. ``ceiling`` is the highest log p(X) any linear-Gaussian
    decoder reaches.
    """

    POOR_Q_MEAN = -1.0
    POOR_Q_LOG_STD = -1.0

    def __init__(self, x: np.ndarray, *, decoder: elbo.LinearGaussianDecoder | None = None,
                 q: elbo.GaussianQ | None = None) -> None:
        _check_instance("decoder", decoder, elbo.LinearGaussianDecoder)
        _check_instance("q", q, elbo.GaussianQ)
        self.data = check_finite_array("x", x)
        self.initial_decoder = decoder or elbo.LinearGaussianDecoder(0.3, -1.0, 4.0)
        self.initial_q = q or elbo.GaussianQ(np.full_like(self.data, self.POOR_Q_MEAN),
                                             np.full_like(self.data, self.POOR_Q_LOG_STD))
        self.ceiling = elbo.max_log_likelihood(self.data)
        self.reset()

    def reset(self) -> None:
        """Back to the start: the poor q, the first decoder, one recorded step (0)."""
        self.decoder = self.initial_decoder
        self.q = self.initial_q
        t = self.terms()
        self.steps = [0]
        self.log_marginal_trace = [t.log_marginal]
        self.lower_bound_trace = [t.lower_bound]

    def terms(self) -> elbo.BoundTerms:
        return elbo.bound_terms(self.data, q=self.q, decoder=self.decoder)

    def _record(self, step: elbo.AscentStep) -> None:
        self.q, self.decoder = step.q, step.decoder
        t = self.terms()
        self.steps.append(self.steps[-1] + 1)
        self.log_marginal_trace.append(t.log_marginal)
        self.lower_bound_trace.append(t.lower_bound)

    def encoder_step(self) -> None:
        self._record(elbo.encoder_step(self.data, q=self.q, decoder=self.decoder))

    def decoder_step(self) -> None:
        self._record(elbo.decoder_step(self.data, q=self.q, decoder=self.decoder))

    def alternate(self, rounds: int) -> None:
        """``rounds`` rounds, each an encoder step then a decoder step."""
        for _ in range(rounds):
            self.encoder_step()
            self.decoder_step()


@dataclass(frozen=True)
class GaussianQCurve:
    """The best Gaussian q found from one start, and its density on the drawn z grid."""

    start: float
    fit: nonlinear_posterior.GaussianFit
    density: np.ndarray


@dataclass(frozen=True)
class NonlinearGapView:
    """One observed x under the folded decoder: the decoder's mean g(z) and the numerical
    posterior p(z|x) on the drawn z grid, the best Gaussian q from each start, and log p(x)
    by quadrature."""

    x: float
    z: np.ndarray
    decoder_mean: np.ndarray
    posterior_density: np.ndarray
    fits: tuple[GaussianQCurve, ...]
    log_marginal: float


class NonlinearGap:
    """The folded decoder p(x|z) = N(g(z), VARIANCE) of
    ``nonlinear_posterior.folded_decoder()``: for an observed x, the posterior by quadrature
    and the best Gaussian q started from each wall of the fold (STARTS). Drawn on every
    EVERY-th point of the quadrature grid in [-4, 4]."""

    VARIANCE = 0.1
    STARTS = (-0.5, 1.5)  # the walls of nonlinear_posterior.folded_decoder()'s default well
    EVERY = 5

    def __init__(self) -> None:
        self.net = nonlinear_posterior.folded_decoder()
        self.z = nonlinear_posterior.z_grid()
        z = self.z.numpy()
        # every EVERY-th point of [-4, 4]: 321 points keep the figure small
        self.drawn = np.flatnonzero((z >= -4) & (z <= 4))[::self.EVERY]
        self.z_drawn = z[self.drawn]
        with torch.no_grad():
            z_in = torch.from_numpy(self.z_drawn).reshape(-1, 1)
            self.decoder_mean = self.net(z_in).reshape(-1).numpy()

    def fit(self, x: float, start: float) -> nonlinear_posterior.GaussianFit:
        """The best Gaussian q for x, by gradient ascent on Lb from N(start, e^-2)."""
        return nonlinear_posterior.fit_gaussian_q(x, decoder_mean=self.net,
                                                  variance=self.VARIANCE, z=self.z,
                                                  mean_init=start, log_std_init=-1.0)

    def posterior(self, x: float) -> np.ndarray:
        """p(z|x) on the whole quadrature grid ``self.z``."""
        return nonlinear_posterior.numerical_posterior(x, decoder_mean=self.net,
                                                       variance=self.VARIANCE, z=self.z).numpy()

    def view(self, x: float) -> NonlinearGapView:
        """The posterior and both fits for observation x (two fits: a few hundred ms)."""
        fits = tuple(
            GaussianQCurve(start, fit, elbo.normal_density(self.z_drawn, mean=fit.mean,
                                                           log_std=fit.log_std))
            for start, fit in ((s, self.fit(x, s)) for s in self.STARTS))
        return NonlinearGapView(x=float(x), z=self.z_drawn, decoder_mean=self.decoder_mean,
                                posterior_density=self.posterior(x)[self.drawn], fits=fits,
                                log_marginal=fits[0].fit.log_marginal)
