"""The linear-Gaussian bound turned back into the tutorial's two losses,
Lb = -Minimize1 - Minimize2/2: closed forms against torch.distributions and the tutorial's
own formula, Monte Carlo estimates against the closed forms, bad input (one image's split
under a VAE is tested in test_image_elbo.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from explainer import elbo


def random_setting(rng: np.random.Generator, n: int = 4):
    decoder = elbo.LinearGaussianDecoder(
        weight=float(rng.normal(0, 2)), bias=float(rng.normal(0, 2)),
        variance=float(np.exp(rng.uniform(-2, 1))),
    )
    x = rng.normal(0, 3, size=n)
    q = elbo.GaussianQ(rng.normal(0, 2, size=n), rng.uniform(-2, 0.5, size=n))
    return x, q, decoder


@pytest.mark.parametrize("seed", range(5))
def test_two_losses_match_torch_distributions(seed):
    x, q, d = random_setting(np.random.default_rng(seed))
    losses = elbo.two_losses(x, q=q, decoder=d)
    q_dist = Normal(torch.tensor(q.mean), torch.tensor(q.std))
    # Minimize2 = 2 KL(q || N(0, 1)), by torch.distributions
    kl = kl_divergence(q_dist, Normal(0.0, 1.0)).sum()
    assert losses.minimize2 == pytest.approx(2 * float(kl), abs=1e-10)
    # Minimize1 = -E_q log p(x|z): E_q of a quadratic, by Gauss-Hermite quadrature in z
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    z = q.mean[:, None] + q.std[:, None] * nodes  # (n, 40)
    log_lik = Normal(torch.tensor(d.weight * z + d.bias), math.sqrt(d.variance)).log_prob(
        torch.tensor(x[:, None])).numpy()
    expected = (log_lik * weights).sum(axis=1) / weights.sum()
    assert losses.minimize1 == pytest.approx(-expected.sum(), abs=1e-9)
    # the bound they make is the library's Lb, and BoundTerms says the same
    terms = elbo.bound_terms(x, q=q, decoder=d)
    assert losses.lower_bound == pytest.approx(terms.lower_bound, abs=1e-9)
    assert terms.minimize1 == pytest.approx(losses.minimize1, abs=1e-9)
    assert terms.minimize2 == pytest.approx(losses.minimize2, abs=1e-9)
    assert losses.n_samples == 0 and losses.minimize1_stderr == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_two_losses_monte_carlo_agree_with_the_closed_forms(seed):
    x, q, d = random_setting(np.random.default_rng(50 + seed), n=3)
    exact = elbo.two_losses(x, q=q, decoder=d)
    mc = elbo.two_losses_monte_carlo(x, q=q, decoder=d, n_samples=200_000, seed=seed)
    assert mc.n_samples == 200_000
    assert abs(mc.minimize1 - exact.minimize1) < 5 * mc.minimize1_stderr
    assert abs(mc.minimize2 - exact.minimize2) < 5 * mc.minimize2_stderr
    assert abs(mc.lower_bound - exact.lower_bound) < 5 * mc.lower_bound_stderr
    # one observation and q given as plain numbers
    one = elbo.two_losses_monte_carlo(1.0, q=elbo.GaussianQ(0.5, -0.5), decoder=d,
                                      n_samples=1000, seed=0)
    assert np.isfinite(one.minimize1) and one.minimize2_stderr > 0


def test_two_losses_monte_carlo_is_seeded():
    x, q, d = random_setting(np.random.default_rng(7))
    a = elbo.two_losses_monte_carlo(x, q=q, decoder=d, n_samples=500, seed=3)
    assert a == elbo.two_losses_monte_carlo(x, q=q, decoder=d, n_samples=500, seed=3)
    assert a != elbo.two_losses_monte_carlo(x, q=q, decoder=d, n_samples=500, seed=4)


def test_at_the_prior_minimize2_is_zero():
    d = elbo.LinearGaussianDecoder(1.0, 0.0, 1.0)
    assert elbo.two_losses(0.3, q=elbo.GaussianQ(0.0, 0.0), decoder=d).minimize2 == 0.0


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: elbo.two_losses_monte_carlo(
            1.0, q=elbo.GaussianQ(0.0, 0.0), decoder=elbo.LinearGaussianDecoder(1.0, 0.0, 1.0),
            n_samples=1, seed=0), ValueError, "n_samples"),
        (lambda: elbo.two_losses([1.0, 2.0], q=elbo.GaussianQ(0.0, 0.0),
                                   decoder=elbo.LinearGaussianDecoder(1.0, 0.0, 1.0)),
         ValueError, "q"),
    ],
)
def test_two_losses_refuse_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
