"""The mathematics of Gaussian mixtures: densities, quadrature, fits, sampling, latents."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate as sp_integrate
from scipy import special

from explainer import gmm

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
    gm = gmm.fit_gaussian_mixture(samples, 5, seed=1)
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
    np.testing.assert_allclose(ys[:5], 0.25 * gmm.gaussian_pdf(xs[:5], 0.0, 1.0))
    np.testing.assert_allclose(ys[6:11], 0.75 * gmm.gaussian_pdf(xs[6:11], 2.0, 0.5))


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


def test_fit_mixtures_is_seeded_cached_and_sorted():
    fits = gmm.fit_mixtures((1, 2, 4), n_samples=400, seed=2)
    again = gmm.fit_mixtures((1, 2, 4), n_samples=400, seed=2, use_disk_cache=False)
    np.testing.assert_allclose(fits.means_, again.means_)
    np.testing.assert_allclose(fits.errors_, again.errors_)
    w, mu, sd = fits.mixture(4)
    assert len(w) == 4 and abs(w.sum() - 1) < 1e-12 and (np.diff(mu) >= 0).all() and (sd > 0).all()
    grid = gmm.x_grid()
    assert fits.error(4) == pytest.approx(
        gmm.l1_error(TARGET.pdf(grid), gmm.mixture_density(grid, w, mu, sd), grid))
    with pytest.raises(ValueError, match="fitted K values"):
        fits.mixture(3)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(ks=(4, 2)), ValueError, "increasing"),
        (dict(ks=(0,)), ValueError, "ks\\[0\\]"),
        (dict(ks=(8,), n_samples=5), ValueError, "n_samples"),
        (dict(ks=(2,), seed=-1), ValueError, "seed"),
        (dict(ks=(2.5,)), TypeError, "ks\\[0\\]"),
    ],
)
def test_fit_mixtures_refuses_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        gmm.fit_mixtures(**kwargs)


def test_grid_mixture_error_falls_with_k():
    errors = gmm.grid_mixture_errors(TARGET, (16, 64, 256))
    assert errors[0] > errors[1] > errors[2]
    w, mu, sd = gmm.grid_mixture(TARGET, 64)
    assert abs(w.sum() - 1) < 1e-12 and np.allclose(sd, sd[0])


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


def test_analytic_decoder_pushes_the_normal_onto_the_target():
    dec = gmm.analytic_decoder(TARGET, sigma=0.05)
    grid = gmm.x_grid()
    model = gmm.latent_model_density(grid, dec)
    assert abs(gmm.integrate(model, grid) - 1) < 1e-6
    assert gmm.l1_error(TARGET.pdf(grid), model, grid) < 0.05
    with pytest.raises(ValueError, match="sigma"):
        gmm.analytic_decoder(TARGET, sigma=0.0)


def test_latent_mixture_is_the_average_of_its_terms_and_converges():
    dec = gmm.analytic_decoder(TARGET)
    x = gmm.x_grid(801, x_range=gmm.X_RANGE)
    z = gmm.latent_draws(2000, seed=0)
    mu, sd = dec(z)
    np.testing.assert_allclose(
        gmm.latent_mixture_density(x, mu[:3], sd[:3]),
        np.mean([gmm.gaussian_pdf(x, m, s) for m, s in zip(mu[:3], sd[:3])], axis=0))
    rows = gmm.latent_mixture_densities(x, mu, sd, [1, 10, 2000])
    np.testing.assert_allclose(rows[1], gmm.latent_mixture_density(x, mu[:10], sd[:10]))
    model = gmm.latent_model_density(x, dec)
    assert gmm.l1_error(rows[2], model, x) < gmm.l1_error(rows[0], model, x)
    xs, ys = gmm.latent_term_curves(mu[:10], sd[:10], n_shown=2)
    np.testing.assert_allclose(np.nanmax(ys), np.max(gmm.gaussian_pdf(mu[:2], mu[:2], sd[:2])) / 10)
    with pytest.raises(ValueError, match="n_shown"):
        gmm.latent_term_curves(mu[:10], sd[:10], n_shown=11)
    with pytest.raises(ValueError, match="sigma"):
        gmm.latent_mixture_density(x, [0.0], [-1.0])


def test_trained_decoder_is_seeded_and_learns():
    x = TARGET.sample(500, seed=1)
    a = gmm.train_latent_decoder(x, hidden=8, n_steps=60, batch_size=100, seed=0)
    b = gmm.train_latent_decoder(x, hidden=8, n_steps=60, batch_size=100, seed=0, lr=0.0100001)
    assert a.losses[-10:].mean() < a.losses[:10].mean()
    np.testing.assert_allclose(a.losses[:5], b.losses[:5], rtol=1e-3)
    mu, sd = a.decoder(np.linspace(-2, 2, 5))
    assert mu.shape == (5,) and (sd > 0).all()
    with pytest.raises(ValueError, match="batch_size"):
        gmm.train_latent_decoder(x, batch_size=501)
    with pytest.raises(TypeError, match="n_steps"):
        gmm.train_latent_decoder(x, n_steps=1.5)


def test_log_likelihoods_and_entropy():
    w, mu, sd = [0.3, 0.7], [-1.0, 2.0], [0.5, 1.0]
    x = np.array([-1.0, 0.0, 2.5, 40.0])
    np.testing.assert_allclose(gmm.log_mixture_density(x[:3], w, mu, sd),
                               np.log(gmm.mixture_density(x[:3], w, mu, sd)))
    assert np.isfinite(gmm.log_mixture_density(x, w, mu, sd)).all()  # no underflow at x = 40
    assert gmm.mean_log_likelihood(x[:3], w, mu, sd) == pytest.approx(
        np.mean(np.log(gmm.mixture_density(x[:3], w, mu, sd))))
    # a single Gaussian target: the expected log-likelihood of itself is minus its entropy
    single = gmm.TargetDensity(weights=(1.0,), shapes=(gmm.stats.norm(0.5, 0.8),))
    h = 0.5 * np.log(2 * np.pi * np.e * 0.8**2)
    assert single.entropy() == pytest.approx(h, abs=1e-6)
    assert gmm.expected_log_likelihood(single, [1.0], [0.5], [0.8]) == pytest.approx(-h, abs=1e-6)
    # any other mixture scores lower on fresh draws (Gibbs' inequality)
    assert gmm.expected_log_likelihood(single, [1.0], [0.0], [1.0]) < -h


def test_disk_cached_fits_with_unexpected_content_are_fitted_again(tmp_path, monkeypatch):
    import warnings

    from explainer import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    fits = gmm.fit_mixtures((1, 2), n_samples=200, seed=5)
    (path,) = (tmp_path / "cache" / "mixtures").glob("*.npz")
    gmm._fit_mixtures_cached.cache_clear()  # the next call reads the disk
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(gmm.fit_mixtures((1, 2), n_samples=200, seed=5).means_,
                                      fits.means_)
    arrays = cache.load_arrays(path)
    cache.save_arrays(path, {**arrays, "means": arrays["means"][:, :1]})
    gmm._fit_mixtures_cached.cache_clear()
    with pytest.warns(RuntimeWarning, match="unusable.*means must have the shape"):
        again = gmm.fit_mixtures((1, 2), n_samples=200, seed=5)
    np.testing.assert_array_equal(again.means_, fits.means_)


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
    w, mu, sd = gmm.grid_mixture(TARGET, 2000)
    calls = {
        "mixture": lambda: gmm.mixture_density(grid, w, mu, sd),
        "log_mixture": lambda: gmm.log_mixture_density(grid, w, mu, sd),
        "latent_sums": lambda: gmm.latent_mixture_densities(grid, mu, sd, [10, 2000]),
    }
    assert _peak_mb(calls[density]) < 64


@pytest.mark.parametrize("k", [8, 512, 2000])
def test_blocked_densities_equal_the_one_matrix_formula(k):
    # the blocks hold whole columns (points): each point's sum runs as in one product
    grid = gmm.x_grid()
    w, mu, sd = gmm.grid_mixture(TARGET, k)
    matrix = gmm.gaussian_pdf(grid[None, :], mu[:, None], sd[:, None])
    density = gmm.mixture_density(grid, w, mu, sd)
    np.testing.assert_allclose(density, w @ matrix, rtol=1e-12, atol=0)
    np.testing.assert_allclose(gmm.latent_mixture_densities(grid, mu, sd, [k])[0],
                               matrix.mean(0), rtol=1e-12, atol=0)
    where = density > 1e-250
    np.testing.assert_allclose(gmm.log_mixture_density(grid, w, mu, sd)[where],
                               np.log(density[where]), rtol=1e-12)


# ------------------------------------------------------------- the decoder's noise width
def test_sigma_sweep_matches_the_target_smoothed_and_a_direct_sum():
    sweep = gmm.decoder_sigma_sweep(TARGET, [0.1, 0.6], n_draws=5, seeds=(3,))
    grid = gmm.x_grid()
    p = TARGET.pdf(grid)
    h = grid[1] - grid[0]
    from scipy import stats
    for sigma, infinite, drawn in zip(sweep.sigmas, sweep.infinite_errors, sweep.draw_errors):
        # the infinite mixture is p smoothed by N(0, sigma^2): a convolution on the grid
        kernel_x = np.arange(-int(8 * sigma / h), int(8 * sigma / h) + 1) * h
        smoothed = np.convolve(p, stats.norm.pdf(kernel_x, scale=sigma) * h, mode="same")
        assert abs(infinite - gmm.l1_error(p, smoothed, grid)) < 2e-3
        # the N-draw sum, term by term with scipy
        z = np.random.default_rng(3).standard_normal(5)
        mu = TARGET.quantile(special.ndtr(z))
        direct = np.mean([stats.norm.pdf(grid, m, sigma) for m in mu], axis=0)
        assert abs(drawn - gmm.l1_error(p, direct, grid)) < 2e-3
    # more noise blurs the infinite mixture away from the target
    assert sweep.infinite_errors[0] < sweep.infinite_errors[1]
    assert sweep.best_for_draws() in (0.1, 0.6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sigmas=[]), "sigmas must hold at least one"),
    (dict(sigmas=[0.1, 0.0]), "sigmas must hold at least one finite value > 0"),
    (dict(sigmas=[0.1], n_draws=0), "n_draws"),
    (dict(sigmas=[0.1], seeds=()), "seeds must hold at least one"),
    (dict(sigmas=[0.1], seeds=(-1,)), r"seeds\[0\]"),
])
def test_sigma_sweep_refuses_bad_input_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gmm.decoder_sigma_sweep(TARGET, **kwargs)
