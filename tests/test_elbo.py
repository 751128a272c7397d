"""The linear-Gaussian model's bound: the identity, closed forms against Monte Carlo and
torch.distributions, monotone ascent, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from explainer import elbo


def random_setting(rng: np.random.Generator, n: int = 5):
    decoder = elbo.LinearGaussianDecoder(
        weight=float(rng.normal(0, 2)), bias=float(rng.normal(0, 2)),
        variance=float(np.exp(rng.uniform(-3, 2))),
    )
    x = rng.normal(0, 3, size=n)
    q = elbo.GaussianQ(rng.normal(0, 2, size=n), rng.uniform(-3, 1, size=n))
    return x, q, decoder


@pytest.mark.parametrize("seed", range(20))
def test_identity_log_marginal_equals_bound_plus_gap(seed):
    x, q, decoder = random_setting(np.random.default_rng(seed))
    lhs = elbo.log_marginal(x, decoder=decoder)
    # log p(x) = Lb + KL(q || p(z|x)), term by term
    rhs = elbo.lower_bound(x, q=q, decoder=decoder) + elbo.kl_to_posterior(x, q=q, decoder=decoder)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=1e-9)
    terms = elbo.bound_terms(x, q=q, decoder=decoder)
    assert abs(terms.identity_residual) < 1e-9
    # Lb = E_q log p(x|z) - KL(q || p(z))
    assert abs(terms.lower_bound - (terms.expected_log_likelihood - terms.kl_prior)) < 1e-9
    assert terms.kl_posterior >= 0 and terms.kl_prior >= 0


def test_bound_is_tight_at_the_posterior():
    x, _, decoder = random_setting(np.random.default_rng(1))
    post = elbo.posterior(x, decoder=decoder)
    np.testing.assert_allclose(elbo.kl_to_posterior(x, q=post, decoder=decoder), 0.0, atol=1e-12)
    np.testing.assert_allclose(elbo.lower_bound(x, q=post, decoder=decoder),
                               elbo.log_marginal(x, decoder=decoder), atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_closed_forms_match_torch_distributions(seed):
    x, q, d = random_setting(np.random.default_rng(100 + seed))
    xt = torch.tensor(x, dtype=torch.float64)
    marginal = Normal(torch.tensor(d.bias, dtype=torch.float64),
                      torch.tensor(math.sqrt(d.weight**2 + d.variance), dtype=torch.float64))
    np.testing.assert_allclose(elbo.log_marginal(x, decoder=d), marginal.log_prob(xt).numpy(),
                               atol=1e-12)
    # the posterior from Bayes' rule: p(z|x) ∝ N(z; 0, 1) N(x; w z + b, v)
    post = elbo.posterior(x, decoder=d)
    q_dist = Normal(torch.tensor(q.mean), torch.tensor(q.std))
    post_dist = Normal(torch.tensor(post.mean), torch.tensor(post.std))
    zeros = torch.zeros(len(x), dtype=torch.float64)
    prior = Normal(zeros, zeros + 1.0)
    np.testing.assert_allclose(elbo.kl_to_posterior(x, q=q, decoder=d),
                               kl_divergence(q_dist, post_dist).numpy(), atol=1e-10)
    np.testing.assert_allclose(elbo.kl_to_prior(q), kl_divergence(q_dist, prior).numpy(),
                               atol=1e-10)
    # Bayes' rule at any z: log p(z|x) = log p(z) + log p(x|z) - log p(x)
    z = torch.linspace(-3, 3, 7, dtype=torch.float64)[:, None]
    lik = Normal(d.weight * z + d.bias, math.sqrt(d.variance)).log_prob(xt)
    bayes = prior.log_prob(z) + lik - marginal.log_prob(xt)
    np.testing.assert_allclose(post_dist.log_prob(z).numpy(), bayes.numpy(), atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_closed_forms_match_monte_carlo(seed):
    x, q, d = random_setting(np.random.default_rng(200 + seed), n=3)
    gen = torch.Generator().manual_seed(seed)
    n_mc = 400_000
    eps = torch.randn((n_mc, len(x)), generator=gen, dtype=torch.float64)
    z = torch.tensor(q.mean) + torch.tensor(q.std) * eps
    xt = torch.tensor(x)
    log_lik = Normal(d.weight * z + d.bias, math.sqrt(d.variance)).log_prob(xt)
    log_prior = Normal(0.0, 1.0).log_prob(z)
    log_q = Normal(torch.tensor(q.mean), torch.tensor(q.std)).log_prob(z)
    post = elbo.posterior(x, decoder=d)
    log_post = Normal(torch.tensor(post.mean), torch.tensor(post.std)).log_prob(z)

    def check(samples: torch.Tensor, exact: np.ndarray) -> None:
        mean = samples.mean(0).numpy()
        stderr = samples.std(0).numpy() / math.sqrt(n_mc)
        assert np.all(np.abs(mean - exact) < 5 * stderr + 1e-12), (mean, exact, stderr)

    check(log_lik, elbo.expected_log_likelihood(x, q=q, decoder=d))
    check(log_q - log_prior, elbo.kl_to_prior(q))
    check(log_lik + log_prior - log_q, elbo.lower_bound(x, q=q, decoder=d))
    check(log_q - log_post, elbo.kl_to_posterior(x, q=q, decoder=d))


@pytest.mark.parametrize("seed", range(10))
def test_alternating_steps_never_lower_the_bound(seed):
    x, q, d = random_setting(np.random.default_rng(300 + seed), n=6)
    lb = elbo.bound_terms(x, q=q, decoder=d).lower_bound
    for _ in range(40):
        enc = elbo.encoder_step(x, q=q, decoder=d)
        # the encoder step leaves log p(x) exactly where it was
        assert (elbo.bound_terms(x, q=enc.q, decoder=d).log_marginal
                == elbo.bound_terms(x, q=q, decoder=d).log_marginal)
        assert enc.lower_bound_after >= enc.lower_bound_before == pytest.approx(lb)
        q = enc.q
        dec = elbo.decoder_step(x, q=q, decoder=d)
        assert dec.lower_bound_after >= dec.lower_bound_before
        d = dec.decoder
        new_lb = elbo.bound_terms(x, q=q, decoder=d).lower_bound
        assert new_lb >= lb
        lb = new_lb
    # and the climb ends at the best any linear-Gaussian decoder can do
    assert elbo.bound_terms(x, q=q, decoder=d).log_marginal <= elbo.max_log_likelihood(x) + 1e-9
    assert lb > elbo.max_log_likelihood(x) - 0.5


def test_encoder_steps_close_the_gap():
    x, q, d = random_setting(np.random.default_rng(7))
    for _ in range(200):
        q = elbo.encoder_step(x, q=q, decoder=d).q
    assert elbo.bound_terms(x, q=q, decoder=d).kl_posterior < 1e-8


def test_gradients_match_autograd():
    x, q, d = random_setting(np.random.default_rng(8))
    mean = torch.tensor(q.mean, requires_grad=True)
    log_std = torch.tensor(q.log_std, requires_grad=True)
    w = torch.tensor(d.weight, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(d.bias, dtype=torch.float64, requires_grad=True)
    log_v = torch.tensor(math.log(d.variance), dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(x)
    s2 = (2 * log_std).exp()
    square = (xt - w * mean - b) ** 2 + w * w * s2
    expected = -0.5 * (math.log(2 * math.pi) + log_v) - square / (2 * log_v.exp())
    lb = (expected - (0.5 * (mean**2 + s2 - 1) - log_std)).sum()
    lb.backward()
    g_mean, g_log_std = elbo.encoder_gradient(x, q=q, decoder=d)
    np.testing.assert_allclose(g_mean, mean.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(g_log_std, log_std.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(elbo.decoder_gradient(x, q=q, decoder=d),
                               [float(w.grad), float(b.grad), float(log_v.grad)], atol=1e-9)
    exact = elbo.bound_terms(x, q=q, decoder=d).lower_bound
    assert float(lb.detach()) == pytest.approx(exact, abs=1e-9)


def test_backtracking_never_accepts_a_worse_point():
    theta, value_before, value_after, step = elbo.backtracking_ascent(
        # the direction passed is downhill (uphill is -1): nothing may be accepted
        lambda t: -float(t[0] ** 2), theta=np.array([1.0]), gradient=np.array([1.0]))
    assert step == 0.0 and value_after == value_before and theta[0] == 1.0


DEC = elbo.LinearGaussianDecoder(1.0, 0.0, 1.0)
Q0 = elbo.GaussianQ(0.0, 0.0)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: elbo.LinearGaussianDecoder(1.0, 0.0, 0.0), ValueError, "variance"),
        (lambda: elbo.LinearGaussianDecoder(1.0, 0.0, -1.0), ValueError, "variance"),
        (lambda: elbo.LinearGaussianDecoder(float("nan"), 0.0, 1.0), ValueError, "weight"),
        (lambda: elbo.LinearGaussianDecoder("1", 0.0, 1.0), TypeError, "weight"),
        (lambda: elbo.GaussianQ([0.0, 1.0], [0.0]), ValueError, "same shape"),
        (lambda: elbo.GaussianQ(float("inf"), 0.0), ValueError, "mean"),
        (lambda: elbo.log_marginal(float("nan"), decoder=DEC), ValueError, "x"),
        (lambda: elbo.log_marginal("a", decoder=DEC), TypeError, "x"),
        (lambda: elbo.log_marginal([[1.0]], decoder=DEC), ValueError, "1-D"),
        (lambda: elbo.bound_terms([1.0, 2.0], q=Q0, decoder=DEC), ValueError, "q"),
        (lambda: elbo.bound_terms(1.0, q=(0.0, 0.0), decoder=DEC), TypeError, "GaussianQ"),
        (lambda: elbo.encoder_step(1.0, q=Q0, decoder=DEC, step_size=0.0), ValueError,
         "step_size"),
        (lambda: elbo.decoder_step(1.0, q=Q0, decoder=DEC, max_halvings=-1), ValueError,
         "max_halvings"),
        (lambda: elbo.max_log_likelihood([1.0]), ValueError, "at least 2"),
        (lambda: elbo.max_log_likelihood([1.0, 1.0]), ValueError, "all equal"),
        (lambda: elbo.normal_density([0.0], mean=0.0, log_std=float("nan")), ValueError,
         "log_std"),
    ],
)
def test_bad_input_is_refused(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
