"""The infinite mixture over a continuous latent: decoders, N-draw sums, the sigma sweep."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from explainer import gaussians, gmm, latent_mixture

TARGET = gmm.target_density()


def test_analytic_decoder_pushes_the_normal_onto_the_target():
    dec = latent_mixture.analytic_decoder(TARGET, sigma=0.05)
    grid = gmm.x_grid()
    model = latent_mixture.latent_model_density(grid, dec)
    assert abs(gmm.integrate(model, grid) - 1) < 1e-6
    assert gmm.l1_error(TARGET.pdf(grid), model, grid) < 0.05
    with pytest.raises(ValueError, match="sigma"):
        latent_mixture.analytic_decoder(TARGET, sigma=0.0)


def test_latent_mixture_is_the_average_of_its_terms_and_converges():
    dec = latent_mixture.analytic_decoder(TARGET)
    x = gmm.x_grid(801, x_range=gmm.X_RANGE)
    z = latent_mixture.latent_draws(2000, seed=0)
    mu, sd = dec(z)
    np.testing.assert_allclose(
        latent_mixture.latent_mixture_density(x, mu[:3], sd[:3]),
        np.mean([gaussians.normal_pdf(x, mean=m, std=s) for m, s in zip(mu[:3], sd[:3])], axis=0))
    rows = latent_mixture.latent_mixture_densities(x, mu, sd, [1, 10, 2000])
    np.testing.assert_allclose(rows[1], latent_mixture.latent_mixture_density(x, mu[:10], sd[:10]))
    model = latent_mixture.latent_model_density(x, dec)
    assert gmm.l1_error(rows[2], model, x) < gmm.l1_error(rows[0], model, x)
    xs, ys = latent_mixture.latent_term_curves(mu[:10], sd[:10], n_shown=2)
    peaks = gaussians.normal_pdf(mu[:2], mean=mu[:2], std=sd[:2])
    np.testing.assert_allclose(np.nanmax(ys), np.max(peaks) / 10)
    with pytest.raises(ValueError, match="n_shown"):
        latent_mixture.latent_term_curves(mu[:10], sd[:10], n_shown=11)
    with pytest.raises(ValueError, match="sigma"):
        latent_mixture.latent_mixture_density(x, [0.0], [-1.0])


def test_trained_decoder_is_seeded_and_learns():
    x = TARGET.sample(500, seed=1)
    a = latent_mixture.train_latent_decoder(x, hidden=8, n_steps=60, batch_size=100, seed=0)
    b = latent_mixture.train_latent_decoder(x, hidden=8, n_steps=60, batch_size=100, seed=0,
                                            lr=0.0100001)
    assert a.losses[-10:].mean() < a.losses[:10].mean()
    np.testing.assert_allclose(a.losses[:5], b.losses[:5], rtol=1e-3)
    mu, sd = a.decoder(np.linspace(-2, 2, 5))
    assert mu.shape == (5,) and (sd > 0).all()
    with pytest.raises(ValueError, match="batch_size"):
        latent_mixture.train_latent_decoder(x, batch_size=501)
    with pytest.raises(TypeError, match="n_steps"):
        latent_mixture.train_latent_decoder(x, n_steps=1.5)


def test_a_trained_decoder_is_read_back_from_the_cache(monkeypatch):
    x = TARGET.sample(300, seed=2)
    first = latent_mixture.train_latent_decoder(x, hidden=4, n_steps=20, batch_size=50, seed=1)
    latent_mixture._train_cached.cache_clear()  # as a new kernel: memory empty, disk not
    monkeypatch.setattr(latent_mixture, "_train_network",
                        lambda *a, **k: pytest.fail("trained again"))
    again = latent_mixture.train_latent_decoder(x, hidden=4, n_steps=20, batch_size=50, seed=1)
    np.testing.assert_array_equal(again.losses, first.losses)
    z = np.linspace(-3, 3, 7)
    for a, b in zip(again.decoder(z), first.decoder(z)):
        np.testing.assert_array_equal(a, b)
    assert again.seconds == first.seconds


# ------------------------------------------------------------- the decoder's noise width


def test_sigma_sweep_matches_the_target_smoothed_and_a_direct_sum():
    sweep = latent_mixture.decoder_sigma_sweep(TARGET, [0.1, 0.6], n_draws=5, seeds=(3,))
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
        latent_mixture.decoder_sigma_sweep(TARGET, **kwargs)
