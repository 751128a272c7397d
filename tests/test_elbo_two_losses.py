"""The bound turned back into the tutorial's two losses, Lb = -Minimize1 - Minimize2/2:
closed forms against torch.distributions and the tutorial's own formula, Monte Carlo
estimates against the closed forms and against quadrature, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from explainer import elbo
from explainer.losses import bernoulli_nll
from explainer.models import Autoencoder, ModelConfig


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


@pytest.fixture(scope="module")
def tiny_vae():
    return Autoencoder(ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,)),
                       seed=1)


def quadrature_minimize1(model, x):
    """E_q[-log p(x|z)] by a Riemann sum over a fine 2-D grid of codes (+-8 sd)."""
    with torch.no_grad():
        mean, logvar = model.encode(x)
        std = (0.5 * logvar).exp()[0].double()
        m = mean[0].double()
        axes = [torch.linspace(float(m[j] - 8 * std[j]), float(m[j] + 8 * std[j]), 321,
                               dtype=torch.float64) for j in range(2)]
        zz = torch.cartesian_prod(*axes)
        cell = float((axes[0][1] - axes[0][0]) * (axes[1][1] - axes[1][0]))
        q = Independent(Normal(m, std), 1).log_prob(zz).exp() * cell
        nll = bernoulli_nll(model.decode_logits(zz.float()), x.expand(len(zz), -1)).double()
        return float((q * nll).sum() / q.sum())


def test_image_two_losses_against_independent_computations(tiny_vae):
    x = torch.rand((1, 16), generator=torch.Generator().manual_seed(2))
    r = elbo.image_two_losses(tiny_vae, x, n_samples=40_000, seed=0)
    with torch.no_grad():
        mean, logvar = tiny_vae.encode(x)
    # the closed-form KL against torch.distributions: Minimize2 / 2
    q = Independent(Normal(mean[0].double(), (0.5 * logvar[0].double()).exp()), 1)
    prior = Independent(Normal(torch.zeros(2, dtype=torch.float64),
                               torch.ones(2, dtype=torch.float64)), 1)
    assert r.kl == pytest.approx(float(kl_divergence(q, prior)), rel=1e-5)
    assert r.minimize2 == pytest.approx(2 * r.kl)
    assert abs(r.kl_monte_carlo - r.kl) < 5 * r.kl_monte_carlo_stderr
    # Minimize1 both ways against quadrature over the 2-D code plane
    exact = quadrature_minimize1(tiny_vae, x)
    assert abs(r.minimize1 - exact) < 5 * r.minimize1_stderr
    assert abs(r.minimize1_training - exact) < 5 * r.minimize1_training_stderr
    # the single draw a training step sees is one of the training loss's values
    assert np.isfinite(r.minimize1_one_draw)
    # the sum against the ELBO from the importance weights of the same image
    lw = elbo.log_importance_weights(tiny_vae, x, n_samples=40_000, seed=1)
    from_weights = float(elbo.elbo_from_weights(lw)[0])
    stderr = float(lw[0].std()) / math.sqrt(40_000)
    assert abs(r.elbo - from_weights) < 5 * math.hypot(stderr, r.minimize1_stderr)
    assert r.elbo == pytest.approx(-r.minimize1 - r.kl)


def test_image_two_losses_is_seeded_and_leaves_the_model_as_it_was(tiny_vae):
    x = torch.rand((1, 16), generator=torch.Generator().manual_seed(3))
    tiny_vae.train()
    a = elbo.image_two_losses(tiny_vae, x, n_samples=100, seed=5)
    assert tiny_vae.training
    assert a == elbo.image_two_losses(tiny_vae, x, n_samples=100, seed=5)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda m: elbo.image_two_losses(m, torch.rand(2, 16), n_samples=10, seed=0),
         ValueError, "one image"),
        (lambda m: elbo.image_two_losses(m, torch.rand(1, 15), n_samples=10, seed=0),
         ValueError, "shape"),
        (lambda m: elbo.image_two_losses(m, torch.rand(1, 16), n_samples=1, seed=0),
         ValueError, "n_samples"),
        (lambda m: elbo.image_two_losses(m, torch.rand(1, 16), n_samples=10, seed=-1),
         ValueError, "seed"),
        (lambda m: elbo.image_two_losses(
            Autoencoder(ModelConfig(kind="ae", input_dim=16, latent_dim=2, hidden_dims=(8,))),
            torch.rand(1, 16), n_samples=10, seed=0), ValueError, "vae"),
        (lambda m: elbo.two_losses_monte_carlo(
            1.0, q=elbo.GaussianQ(0.0, 0.0), decoder=elbo.LinearGaussianDecoder(1.0, 0.0, 1.0),
            n_samples=1, seed=0), ValueError, "n_samples"),
        (lambda m: elbo.two_losses([1.0, 2.0], q=elbo.GaussianQ(0.0, 0.0),
                                   decoder=elbo.LinearGaussianDecoder(1.0, 0.0, 1.0)),
         ValueError, "q"),
    ],
)
def test_two_losses_refuse_bad_input(tiny_vae, call, exc, words):
    with pytest.raises(exc, match=words):
        call(tiny_vae)
