"""The MNIST VAE's bound, estimated: importance-sampled log p(x) against quadrature over a
2-D code, the ELBO from the weights against the training loss, one image's two losses
against independent computations, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from explainer import image_elbo
from explainer.losses import bernoulli_nll
from explainer.models import Autoencoder, ModelConfig


@pytest.fixture(scope="module")
def tiny_vae():
    config = ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,))
    return Autoencoder(config, seed=0)


def test_importance_sampling(tiny_vae):
    x = torch.rand((5, 16), generator=torch.Generator().manual_seed(0))
    lw = image_elbo.log_importance_weights(tiny_vae, x, n_samples=400, seed=3, chunk_size=2)
    assert lw.shape == (5, 400) and lw.dtype == torch.float64
    # the same seed draws the same noise whatever the chunking (float32 decoding aside)
    again = image_elbo.log_importance_weights(tiny_vae, x, n_samples=400, seed=3)
    torch.testing.assert_close(lw, again, atol=1e-4, rtol=0)
    # the K = 1 estimate is the mean log weight: the ELBO
    torch.testing.assert_close(image_elbo.importance_sampled_log_likelihood(lw, k=1),
                               image_elbo.elbo_from_weights(lw))
    estimates = [float(image_elbo.importance_sampled_log_likelihood(lw, k=k).mean())
                 for k in (1, 4, 20, 400)]
    assert all(b >= a for a, b in zip(estimates, estimates[1:]))
    # log p(x) itself, by quadrature over the 2-D latent space, is above every estimate
    grid = torch.linspace(-7, 7, 281)
    zz = torch.cartesian_prod(grid, grid)
    dz = float(grid[1] - grid[0])
    with torch.no_grad():
        logits = tiny_vae.decode_logits(zz)
        log_prior = (-0.5 * (math.log(2 * math.pi) + zz**2)).sum(1)
        log_px = []
        for xi in x:
            log_lik = -torch.nn.functional.binary_cross_entropy_with_logits(
                logits, xi.expand_as(logits), reduction="none").sum(1)
            # log p(x) = log sum_ij p(x|z_ij) p(z_ij) dz^2
            log_sum = float(torch.logsumexp((log_lik + log_prior).double(), 0))
            log_px.append(log_sum + 2 * math.log(dz))
    exact = float(np.mean(log_px))
    assert estimates[-1] <= exact + 1e-3
    assert exact - estimates[-1] < 0.05


def test_the_elbo_matches_the_library_loss(tiny_vae):
    x = torch.rand((4, 16), generator=torch.Generator().manual_seed(1))
    lw = image_elbo.log_importance_weights(tiny_vae, x, n_samples=20_000, seed=0)
    with torch.no_grad():
        terms = tiny_vae.loss_terms(x.repeat_interleave(2000, 0),
                                    generator=torch.Generator().manual_seed(5))
    library = -terms.total.reshape(4, 2000).double().mean(1)
    torch.testing.assert_close(image_elbo.elbo_from_weights(lw), library, atol=0.1, rtol=0)


def test_fixed_test_digits_are_fixed():
    x = torch.arange(50.0).reshape(25, 2)
    a = image_elbo.fixed_test_digits(x, n_digits=5, seed=0)
    torch.testing.assert_close(a, image_elbo.fixed_test_digits(x, n_digits=5, seed=0))
    assert a.shape == (5, 2)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: image_elbo.importance_sampled_log_likelihood(torch.zeros(2, 10), k=11), ValueError,
         "k"),
        (lambda: image_elbo.importance_sampled_log_likelihood(torch.zeros(10), k=1), ValueError,
         "log_weights"),
    ],
)
def test_bad_input_is_refused(call, exc, words):
    with pytest.raises(exc, match=words):
        call()



def test_importance_weights_refuse_a_non_vae():
    ae = Autoencoder(ModelConfig(kind="ae", input_dim=16, latent_dim=2, hidden_dims=(8,)))
    with pytest.raises(ValueError, match="vae"):
        image_elbo.log_importance_weights(ae, torch.zeros(2, 16), n_samples=3, seed=0)
    vae = Autoencoder(ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,)))
    with pytest.raises(ValueError, match="n_samples"):
        image_elbo.log_importance_weights(vae, torch.zeros(2, 16), n_samples=0, seed=0)
    with pytest.raises(ValueError, match="shape"):
        image_elbo.log_importance_weights(vae, torch.zeros(2, 15), n_samples=3, seed=0)


@pytest.fixture(scope="module")
def tiny_vae_seed_1():
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


def test_image_two_losses_against_independent_computations(tiny_vae_seed_1):
    x = torch.rand((1, 16), generator=torch.Generator().manual_seed(2))
    r = image_elbo.image_two_losses(tiny_vae_seed_1, x, n_samples=40_000, seed=0)
    with torch.no_grad():
        mean, logvar = tiny_vae_seed_1.encode(x)
    # the closed-form KL against torch.distributions: Minimize2 / 2
    q = Independent(Normal(mean[0].double(), (0.5 * logvar[0].double()).exp()), 1)
    prior = Independent(Normal(torch.zeros(2, dtype=torch.float64),
                               torch.ones(2, dtype=torch.float64)), 1)
    assert r.kl == pytest.approx(float(kl_divergence(q, prior)), rel=1e-5)
    assert r.minimize2 == pytest.approx(2 * r.kl)
    assert abs(r.kl_monte_carlo - r.kl) < 5 * r.kl_monte_carlo_stderr
    # Minimize1 both ways against quadrature over the 2-D code plane
    exact = quadrature_minimize1(tiny_vae_seed_1, x)
    assert abs(r.minimize1 - exact) < 5 * r.minimize1_stderr
    assert abs(r.minimize1_training - exact) < 5 * r.minimize1_training_stderr
    # the single draw a training step sees is one of the training loss's values
    assert np.isfinite(r.minimize1_one_draw)
    # the sum against the ELBO from the importance weights of the same image
    lw = image_elbo.log_importance_weights(tiny_vae_seed_1, x, n_samples=40_000, seed=1)
    from_weights = float(image_elbo.elbo_from_weights(lw)[0])
    stderr = float(lw[0].std()) / math.sqrt(40_000)
    assert abs(r.elbo - from_weights) < 5 * math.hypot(stderr, r.minimize1_stderr)
    assert r.elbo == pytest.approx(-r.minimize1 - r.kl)


def test_image_two_losses_is_seeded_and_leaves_the_model_as_it_was(tiny_vae_seed_1):
    x = torch.rand((1, 16), generator=torch.Generator().manual_seed(3))
    tiny_vae_seed_1.train()
    a = image_elbo.image_two_losses(tiny_vae_seed_1, x, n_samples=100, seed=5)
    assert tiny_vae_seed_1.training
    assert a == image_elbo.image_two_losses(tiny_vae_seed_1, x, n_samples=100, seed=5)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda m: image_elbo.image_two_losses(m, torch.rand(2, 16), n_samples=10, seed=0),
         ValueError, "one image"),
        (lambda m: image_elbo.image_two_losses(m, torch.rand(1, 15), n_samples=10, seed=0),
         ValueError, "shape"),
        (lambda m: image_elbo.image_two_losses(m, torch.rand(1, 16), n_samples=1, seed=0),
         ValueError, "n_samples"),
        (lambda m: image_elbo.image_two_losses(m, torch.rand(1, 16), n_samples=10, seed=-1),
         ValueError, "seed"),
        (lambda m: image_elbo.image_two_losses(
            Autoencoder(ModelConfig(kind="ae", input_dim=16, latent_dim=2, hidden_dims=(8,))),
            torch.rand(1, 16), n_samples=10, seed=0), ValueError, "vae"),
    ],
)
def test_image_two_losses_refuse_bad_input(tiny_vae_seed_1, call, exc, words):
    with pytest.raises(exc, match=words):
        call(tiny_vae_seed_1)
