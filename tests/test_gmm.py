"""Gaussian mixtures on a line: densities, quadrature, the target, sampling, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate as sp_integrate

from explainer import gaussians, gmm, latent_mixture, mixture_fits

TARGET = gmm.target_density()


def test_mixture_density_integrates_to_one_by_quadrature():
    w, mu, sd = [0.2, 0.5, 0.3], [-2.0, 0.5, 3.0], [0.3, 1.2, 0.05]
    grid = gmm.x_grid(60001, x_range=(-12.0, 12.0))
    assert abs(gmm.integrate(gmm.mixture_density(grid, w, mu, sd), grid) - 1.0) < 1e-6
    # and by adaptive quadrature, independent of our grid
    value, _ = sp_integrate.quad(lambda x: gmm.mixture_density(x, w, mu, sd), -np.inf, np.inf,
                                 points=None, limit=200)
    assert abs(value - 1.0) < 1e-6


def test_weights_are_renormalised():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(gmm.mixture_density(x, [2, 6], [0, 1], [1, 1]),
                               gmm.mixture_density(x, [0.25, 0.75], [0, 1], [1, 1]))


def test_mixture_density_matches_sklearn_score_samples():
    samples = TARGET.sample(600, seed=3)
    gm = mixture_fits.fit_gaussian_mixture(samples, 5, seed=1)
    x = np.linspace(-4, 6, 101)
    ours = gmm.mixture_density(x, gm.weights_, gm.means_[:, 0], np.sqrt(gm.covariances_[:, 0]))
    np.testing.assert_allclose(ours, np.exp(gm.score_samples(x[:, None])), rtol=1e-10)


def test_component_densities_sum_to_the_mixture():
    x = np.linspace(-3, 3, 11)
    w, mu, sd = [1, 2, 3], [-1, 0, 1], [0.5, 1, 2]
    np.testing.assert_allclose(gmm.component_densities(x, w, mu, sd).sum(0),
                               gmm.mixture_density(x, w, mu, sd))


def test_component_curves_lie_on_the_weighted_components():
    xs, ys = gmm.component_curves([1, 3], [0.0, 2.0], [1.0, 0.5], n_points=5)
    assert len(xs) == 2 * 6 and np.isnan(xs[5]) and np.isnan(ys[11])
    np.testing.assert_allclose(ys[:5], 0.25 * gaussians.normal_pdf(xs[:5], mean=0.0, std=1.0))
    np.testing.assert_allclose(ys[6:11], 0.75 * gaussians.normal_pdf(xs[6:11], mean=2.0, std=0.5))


@pytest.mark.parametrize(
    "args, match",
    [
        (([1, -1], [0, 0], [1, 1]), "weights must be >= 0"),
        (([0, 0], [0, 0], [1, 1]), "positive sum"),
        (([1, 1], [0, 0], [1, 0]), "stds must be > 0"),
        (([1, 1], [0], [1, 1]), "one equal length"),
        (([1, np.nan], [0, 0], [1, 1]), "weights must be finite"),
        (([], [], []), "one equal length"),
    ],
)
def test_bad_mixtures_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        gmm.mixture_density([0.0], *args)


def test_target_is_a_density_and_its_sampler_agrees():
    grid = gmm.x_grid()
    assert abs(gmm.integrate(TARGET.pdf(grid), grid) - 1.0) < 1e-6
    x = TARGET.sample(20000, seed=0)
    # the share of draws left of 0 matches F(0)
    assert abs((x < 0).mean() - float(TARGET.cdf(0.0))) < 0.015
    np.testing.assert_array_equal(TARGET.sample(50, seed=4), TARGET.sample(50, seed=4))
    u = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(TARGET.cdf(TARGET.quantile(u)), u, atol=1e-4)


def test_l1_error_bounds_and_refusals():
    grid = gmm.x_grid()
    p = gmm.mixture_density(grid, [1], [0], [1])
    assert gmm.l1_error(p, p, grid) == 0.0
    far = gmm.mixture_density(grid, [1], [6], [0.3])
    assert abs(gmm.l1_error(p, far, grid) - 2.0) < 1e-3
    with pytest.raises(ValueError, match="one shape"):
        gmm.l1_error(p, p[:-1], grid)


def test_ancestral_sampling_follows_the_weights_and_is_a_prefix():
    w, mu, sd = [0.7, 0.3], [-5.0, 5.0], [0.1, 0.1]
    m, x = gmm.sample_mixture(w, mu, sd, 5000, seed=0)
    assert abs((m == 0).mean() - 0.7) < 0.02
    assert (np.abs(x - np.array(mu)[m]) < 1.0).all()
    m_short, x_short = gmm.sample_mixture(w, mu, sd, 10, seed=0)
    np.testing.assert_array_equal(m[:10], m_short)
    np.testing.assert_array_equal(x[:10], x_short)
    with pytest.raises(ValueError, match="n_samples"):
        gmm.sample_mixture(w, mu, sd, 0, seed=0)


def test_histogram_density_integrates_to_share_inside():
    edges = np.linspace(-1, 1, 11)
    h = gmm.histogram_density(np.array([-0.5, 0.0, 0.5, 3.0]), edges)
    assert (h * np.diff(edges)).sum() == pytest.approx(0.75)


def _peak_mb(call) -> float:
    """The peak of memory traced (numpy's arrays included) while ``call()`` runs, in MB."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("density", ["mixture", "log_mixture", "latent_sums"])
def test_densities_of_many_components_stay_within_a_bounded_memory(density):
    # 2,000 components on the 6,001-point quadrature grid: one (K, x) matrix is 96 MB and
    # each of its temporaries as much again (K = 100,000 used to need 9.6 GB); in blocks
    # of points the peak stays near 8 MB per temporary whatever K is
    grid = gmm.x_grid()
    w, mu, sd = mixture_fits.grid_mixture(TARGET, 2000)
    calls = {
        "mixture": lambda: gmm.mixture_density(grid, w, mu, sd),
        "log_mixture": lambda: gmm.log_mixture_density(grid, w, mu, sd),
        "latent_sums": lambda: latent_mixture.latent_mixture_densities(grid, mu, sd, [10, 2000]),
    }
    assert _peak_mb(calls[density]) < 64


@pytest.mark.parametrize("k", [8, 512, 2000])
def test_blocked_densities_equal_the_one_matrix_formula(k):
    # the blocks hold whole columns (points): each point's sum runs as in one product
    grid = gmm.x_grid()
    w, mu, sd = mixture_fits.grid_mixture(TARGET, k)
    matrix = gaussians.normal_pdf(grid[None, :], mean=mu[:, None], std=sd[:, None])
    density = gmm.mixture_density(grid, w, mu, sd)
    np.testing.assert_allclose(density, w @ matrix, rtol=1e-12, atol=0)
    np.testing.assert_allclose(latent_mixture.latent_mixture_densities(grid, mu, sd, [k])[0],
                               matrix.mean(0), rtol=1e-12, atol=0)
    where = density > 1e-250
    np.testing.assert_allclose(gmm.log_mixture_density(grid, w, mu, sd)[where],
                               np.log(density[where]), rtol=1e-12)
