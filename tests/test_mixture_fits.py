"""Mixtures fitted by EM and built from the target: seeded, cached, scored."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import gmm, mixture_fits

TARGET = gmm.target_density()


def test_fit_mixtures_is_seeded_cached_and_sorted():
    fits = mixture_fits.fit_mixtures((1, 2, 4), n_samples=400, seed=2)
    again = mixture_fits.fit_mixtures((1, 2, 4), n_samples=400, seed=2, use_disk_cache=False)
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
        mixture_fits.fit_mixtures(**kwargs)


def test_grid_mixture_error_falls_with_k():
    errors = mixture_fits.grid_mixture_errors(TARGET, (16, 64, 256))
    assert errors[0] > errors[1] > errors[2]
    w, mu, sd = mixture_fits.grid_mixture(TARGET, 64)
    assert abs(w.sum() - 1) < 1e-12 and np.allclose(sd, sd[0])


def test_log_likelihoods_and_entropy():
    w, mu, sd = [0.3, 0.7], [-1.0, 2.0], [0.5, 1.0]
    x = np.array([-1.0, 0.0, 2.5, 40.0])
    np.testing.assert_allclose(gmm.log_mixture_density(x[:3], w, mu, sd),
                               np.log(gmm.mixture_density(x[:3], w, mu, sd)))
    assert np.isfinite(gmm.log_mixture_density(x, w, mu, sd)).all()  # no underflow at x = 40
    assert mixture_fits.mean_log_likelihood(x[:3], w, mu, sd) == pytest.approx(
        np.mean(np.log(gmm.mixture_density(x[:3], w, mu, sd))))
    # a single Gaussian target: the expected log-likelihood of itself is minus its entropy
    single = gmm.TargetDensity(weights=(1.0,), shapes=(gmm.stats.norm(0.5, 0.8),))
    h = 0.5 * np.log(2 * np.pi * np.e * 0.8**2)
    assert single.entropy() == pytest.approx(h, abs=1e-6)
    at_best = mixture_fits.expected_log_likelihood(single, [1.0], [0.5], [0.8])
    assert at_best == pytest.approx(-h, abs=1e-6)
    # any other mixture scores lower on fresh draws (Gibbs' inequality)
    assert mixture_fits.expected_log_likelihood(single, [1.0], [0.0], [1.0]) < -h


def test_disk_cached_fits_with_unexpected_content_are_fitted_again(tmp_path, monkeypatch):
    import warnings

    from explainer import cache

    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    fits = mixture_fits.fit_mixtures((1, 2), n_samples=200, seed=5)
    (path,) = (tmp_path / "cache" / "mixtures").glob("*.npz")
    mixture_fits._fit_mixtures_cached.cache_clear()  # the next call reads the disk
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = mixture_fits.fit_mixtures((1, 2), n_samples=200, seed=5)
        np.testing.assert_array_equal(read.means_, fits.means_)
    arrays = cache.load_arrays(path)
    cache.save_arrays(path, {**arrays, "means": arrays["means"][:, :1]})
    mixture_fits._fit_mixtures_cached.cache_clear()
    with pytest.warns(RuntimeWarning, match="unusable.*means must have the shape"):
        again = mixture_fits.fit_mixtures((1, 2), n_samples=200, seed=5)
    np.testing.assert_array_equal(again.means_, fits.means_)
