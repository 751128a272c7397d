import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from explainer import losses


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mean = torch.randn(7, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(7, 5, generator=g, dtype=torch.float64)
    q = Normal(mean, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = kl_divergence(q, p).sum(dim=1)
    assert torch.allclose(losses.kl_standard_normal(mean, logvar), expected, atol=1e-12)
    assert torch.allclose(losses.kl_per_dimension(mean, logvar), kl_divergence(q, p).mean(0))


def test_tutorial_minimize2_is_twice_the_kl_under_the_log_variance_reading():
    g = torch.Generator().manual_seed(1)
    m = torch.randn(4, 3, generator=g, dtype=torch.float64)
    s = torch.randn(4, 3, generator=g, dtype=torch.float64)
    # Minimize2 = sum_i (exp(s_i) - (1 + s_i) + m_i^2)
    minimize2 = (s.exp() - (1 + s) + m**2).sum(dim=1)
    assert torch.allclose(minimize2, 2 * losses.kl_standard_normal(m, s), atol=1e-12)


def test_bernoulli_nll_matches_torch_distributions_for_binary_targets():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 10, generator=g, dtype=torch.float64)
    x = (torch.rand(3, 10, generator=g) > 0.5).double()
    expected = -Bernoulli(logits=logits).log_prob(x).sum(dim=1)
    assert torch.allclose(losses.bernoulli_nll(logits, x), expected, atol=1e-12)


def test_gaussian_nll_matches_torch_distributions():
    g = torch.Generator().manual_seed(3)
    mean = torch.randn(3, 6, generator=g, dtype=torch.float64)
    x = torch.randn(3, 6, generator=g, dtype=torch.float64)
    expected = -Normal(mean, math.exp(-0.5)).log_prob(x).sum(dim=1)
    assert torch.allclose(losses.gaussian_nll(mean, x, log_sigma=-0.5), expected, atol=1e-12)
    assert torch.allclose(losses.squared_error(mean, x), ((x - mean) ** 2).sum(1))


def test_elbo_terms_add_up():
    g = torch.Generator().manual_seed(4)
    x = torch.rand(5, 8, generator=g)
    logits = torch.randn(5, 8, generator=g)
    mean, logvar = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    t = losses.elbo_terms(x, logits, mean, logvar, beta=0.25)
    assert torch.allclose(t.total, t.reconstruction + t.kl)
    assert torch.allclose(t.objective, t.reconstruction + 0.25 * t.kl)
    assert set(t.mean()) == {"reconstruction", "kl", "total", "objective"}
    ae = losses.elbo_terms(x, logits, mean, None, beta=0.0)
    assert torch.equal(ae.kl, torch.zeros(5)) and torch.equal(ae.total, ae.reconstruction)


def test_unknown_likelihood():
    with pytest.raises(ValueError, match="likelihood must be one of"):
        losses.reconstruction_nll("poisson", torch.zeros(1, 2), torch.zeros(1, 2))


def test_the_entropy_floor_is_the_smallest_bernoulli_nll_and_is_reached_at_the_image_itself():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 30, generator=g, dtype=torch.float64)
    x[0] = (x[0] > 0.5).double()  # a binary image: its floor is zero
    floor = losses.bernoulli_entropy_floor(x)
    assert floor[0] == 0.0 and (floor[1:] > 0).all()
    # the cross-entropy at sigmoid(l) = x equals the floor; any other logits give more
    at_x = losses.bernoulli_nll(torch.logit(x.clamp(1e-12, 1 - 1e-12)), x)
    torch.testing.assert_close(at_x, floor, atol=1e-4, rtol=0)
    for _ in range(20):
        other = losses.bernoulli_nll(torch.randn(4, 30, generator=g, dtype=torch.float64), x)
        assert (other >= floor).all()
