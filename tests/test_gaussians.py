"""explainer.gaussians against torch.distributions and scipy.stats, on numpy arrays, torch
tensors and plain floats alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Normal, kl_divergence

from explainer import gaussians


def draws(seed: int, n: int = 50) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 3, n), rng.normal(0, 2, n), rng.uniform(-4, 3, n),
            rng.normal(0, 2, n), rng.uniform(-4, 3, n))


@pytest.mark.parametrize("seed", range(3))
def test_log_density_and_density_match_scipy_on_numpy(seed):
    x, mean, logvar, _, _ = draws(seed)
    std = np.exp(0.5 * logvar)
    expected = stats.norm(mean, std).logpdf(x)
    np.testing.assert_allclose(gaussians.log_normal_pdf(x, mean=mean, variance=std**2), expected,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gaussians.log_normal_pdf(x, mean=mean, std=std), expected,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gaussians.normal_pdf(x, mean=mean, std=std),
                               stats.norm(mean, std).pdf(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(gaussians.log_standard_normal_pdf(x), stats.norm.logpdf(x),
                               rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_log_density_matches_torch_distributions_on_tensors(seed):
    x, mean, logvar, _, _ = (torch.from_numpy(a) for a in draws(seed))
    std = torch.exp(0.5 * logvar)
    expected = Normal(mean, std).log_prob(x)
    torch.testing.assert_close(gaussians.log_normal_pdf(x, mean=mean, variance=std**2), expected)
    torch.testing.assert_close(gaussians.log_normal_pdf(x, mean=mean, std=std), expected)
    torch.testing.assert_close(gaussians.normal_pdf(x, mean=mean, std=std), expected.exp())
    torch.testing.assert_close(gaussians.log_standard_normal_pdf(x), Normal(0.0, 1.0).log_prob(x))
    # a plain float as the variance, with tensors elsewhere, keeps a tensor
    out = gaussians.log_normal_pdf(x, mean=mean, variance=0.3)
    assert isinstance(out, torch.Tensor)
    torch.testing.assert_close(out, Normal(mean, math.sqrt(0.3)).log_prob(x))


def test_log_density_on_plain_floats_and_its_arguments():
    assert gaussians.log_normal_pdf(1.0, mean=0.5, variance=2.0) == pytest.approx(
        stats.norm(0.5, math.sqrt(2.0)).logpdf(1.0), rel=1e-14)
    assert gaussians.normal_pdf(0.0, mean=0.0, std=1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    with pytest.raises(TypeError, match="exactly one"):
        gaussians.log_normal_pdf(1.0, mean=0.0)
    with pytest.raises(TypeError, match="exactly one"):
        gaussians.log_normal_pdf(1.0, mean=0.0, variance=1.0, std=1.0)


@pytest.mark.parametrize("seed", range(3))
def test_kls_match_torch_distributions(seed):
    _, mean_q, logvar_q, mean_p, logvar_p = (torch.from_numpy(a) for a in draws(seed))
    q = Normal(mean_q, torch.exp(0.5 * logvar_q))
    p = Normal(mean_p, torch.exp(0.5 * logvar_p))
    prior = Normal(torch.zeros_like(mean_q), torch.ones_like(mean_q))
    torch.testing.assert_close(gaussians.kl_standard_normal(mean_q, logvar_q),
                               kl_divergence(q, prior))
    torch.testing.assert_close(gaussians.kl_normal(mean_q, logvar_q, mean_p=mean_p,
                                                   logvar_p=logvar_p), kl_divergence(q, p))
    # numpy in, numpy out, the same numbers
    kl_np = gaussians.kl_normal(mean_q.numpy(), logvar_q.numpy(), mean_p=mean_p.numpy(),
                                logvar_p=logvar_p.numpy())
    assert isinstance(kl_np, np.ndarray)
    np.testing.assert_allclose(kl_np, kl_divergence(q, p).numpy(), rtol=1e-12, atol=1e-12)


def test_kl_closed_forms():
    # KL(q || q) = 0; KL to N(0, 1) is KL to N(0, e^0); N(0, 1) to itself is 0
    same = gaussians.kl_normal(0.7, -1.2, mean_p=0.7, logvar_p=-1.2)
    assert same == pytest.approx(0.0, abs=1e-15)
    assert gaussians.kl_standard_normal(0.0, 0.0) == 0.0
    assert gaussians.kl_standard_normal(1.5, 0.4) == pytest.approx(
        gaussians.kl_normal(1.5, 0.4, mean_p=0.0, logvar_p=0.0), rel=1e-15)
    # a mean shift alone: KL = m^2 / 2
    assert gaussians.kl_standard_normal(2.0, 0.0) == pytest.approx(2.0)


def test_kl_gradient_matches_autograd():
    g = torch.Generator().manual_seed(1)
    mean = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    d_mean, d_logvar = torch.autograd.grad(gaussians.kl_standard_normal(mean, logvar).sum(),
                                           (mean, logvar))
    by_hand = gaussians.kl_standard_normal_grad(mean.detach(), logvar.detach())
    torch.testing.assert_close(by_hand[0], d_mean)
    torch.testing.assert_close(by_hand[1], d_logvar)
    # numpy and floats give the same numbers
    np.testing.assert_allclose(gaussians.kl_standard_normal_grad(0.3, np.array([0.5]))[1],
                               0.5 * np.expm1(0.5))
    assert gaussians.kl_standard_normal_grad(0.3, 1e-12)[1] == pytest.approx(0.5e-12, rel=1e-9)


def test_kl_standard_normal_is_the_training_loss_term():
    """losses.kl_standard_normal (the training objective's KL) is this KL summed over the
    code dimensions, bit for bit."""
    from explainer import losses

    g = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    assert torch.equal(losses.kl_standard_normal(mean, logvar),
                       gaussians.kl_standard_normal(mean, logvar).sum(dim=1))
