"""A non-linear decoder's bound by quadrature: against the exact linear-Gaussian model, the
gap of the best Gaussian q against the KL computed on the grid, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer import elbo
from explainer.nonlinear_posterior import (
    fit_gaussian_q,
    folded_decoder,
    numerical_posterior,
    quadrature_log_marginal,
    quadrature_lower_bound,
    z_grid,
)


def test_quadrature_matches_the_exact_model():
    d = elbo.LinearGaussianDecoder(1.3, -0.4, 0.3)
    z = z_grid()

    def mean_fn(zz):
        return d.weight * zz + d.bias

    for x in (-2.0, 0.5, 3.0):
        quad = quadrature_log_marginal(x, decoder_mean=mean_fn, variance=d.variance, z=z)
        assert quad == pytest.approx(float(elbo.log_marginal(x, decoder=d)), abs=1e-9)
        post = elbo.posterior(x, decoder=d)
        density = numerical_posterior(x, decoder_mean=mean_fn, variance=d.variance,
                                      z=z).numpy()
        exact = elbo.normal_density(z.numpy(), mean=float(post.mean), log_std=float(post.log_std))
        np.testing.assert_allclose(density, exact, atol=1e-9)
        lb = quadrature_lower_bound(x, mean=torch.tensor(0.2, dtype=torch.float64),
                                    log_std=torch.tensor(-0.5, dtype=torch.float64),
                                    decoder_mean=mean_fn, variance=d.variance, z=z)
        q = elbo.GaussianQ(0.2, -0.5)
        assert float(lb) == pytest.approx(float(elbo.lower_bound(x, q=q, decoder=d)), abs=1e-9)
        # the best Gaussian q is the exact posterior here: the gap closes
        fit = fit_gaussian_q(x, decoder_mean=mean_fn, variance=d.variance, z=z)
        assert fit.gap < 1e-8
        assert fit.mean == pytest.approx(float(post.mean), abs=1e-4)


def test_nonlinear_decoder_leaves_a_gap_equal_to_the_kl():
    net = folded_decoder()
    z = z_grid()
    g = net(z.reshape(-1, 1)).reshape(-1)
    # g(z) = depth + depth/2 (tanh(k (z - right)) - tanh(k (z - left)))
    formula = 2.0 + 1.0 * (torch.tanh(3 * (z - 1.5)) - torch.tanh(3 * (z + 0.5)))
    torch.testing.assert_close(g, formula)
    fit = fit_gaussian_q(1.0, decoder_mean=net, variance=0.1, z=z, mean_init=-0.5,
                              log_std_init=-1.0)
    lbs = fit.lower_bound_trace
    assert all(b >= a for a, b in zip(lbs, lbs[1:]))
    assert fit.gap > 0.05  # a Gaussian cannot match the two-humped posterior
    # the gap is KL(q || p(z|x)), computed directly on the grid
    post = numerical_posterior(1.0, decoder_mean=net, variance=0.1, z=z).numpy()
    q = elbo.normal_density(z.numpy(), mean=fit.mean, log_std=fit.log_std)
    dz = float(z[1] - z[0])
    mask = q > 1e-300
    kl = float(np.sum(q[mask] * (np.log(q[mask]) - np.log(post[mask]))) * dz)
    assert kl == pytest.approx(fit.gap, abs=1e-6)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: folded_decoder(left=1.0, right=0.0), ValueError, "right"),
        (lambda: z_grid(low=1.0, high=0.0), ValueError, "high"),
        (lambda: fit_gaussian_q(1.0, decoder_mean=folded_decoder(), variance=0.0),
         ValueError, "variance"),
        (lambda: fit_gaussian_q(1.0, decoder_mean=folded_decoder(), variance=0.1,
                                mean_init=9.9), ValueError, "grid"),
    ],
)
def test_bad_input_is_refused(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
