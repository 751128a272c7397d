"""The mixture views without widgets: what each figure shows, and its trace names."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import gmm, latent_mixture, mixture_fits
from explainer.mixture_views import (
    N_OPTIONS,
    AncestralSamples,
    FittedMixtureViews,
    HandMixture,
    LatentMixtureViews,
)
from explainer.plots import mixture as plots
from explainer.plots import trace

TARGET = gmm.target_density()


@pytest.fixture(scope="module")
def fits():
    return mixture_fits.fit_mixtures((1, 2, 4), n_samples=300, seed=0, use_disk_cache=False)


def test_hand_mixture_renormalises_and_keeps_only_accepted_values():
    hand = HandMixture(n_components=2)
    hand.set(2, weight=0.5, mean=1.0)
    w, mu, sd = hand.mixture()
    np.testing.assert_allclose(w, [0.5, 0.5])
    assert mu[1] == 1.0 and hand.component(2) == (0.5, 1.0, 0.5)
    with pytest.raises(ValueError, match="stds"):
        hand.set(1, std=-1.0)
    assert hand.component(1) == (0.5, -2.0, 0.8)  # the refused value is not kept
    curves = hand.curves()
    assert curves.error == pytest.approx(hand.error())
    np.testing.assert_allclose(curves.total, gmm.mixture_density(hand.x, w, mu, sd))
    with pytest.raises(ValueError, match="n_components"):
        HandMixture(n_components=0)


def test_fitted_views_hold_every_fit(fits):
    views = FittedMixtureViews(fits, n_points=5)
    for k in fits.ks:
        view = views.view(k)
        assert view.error == fits.error(k)
        # k curves of 5 points, each followed by a NaN gap
        assert len(view.components[0]) == 6 * k
        np.testing.assert_allclose(view.total, gmm.mixture_density(views.x, *fits.mixture(k)))
    assert f"L1 error {fits.error(2):.3f}" in views.title(2)
    with pytest.raises(ValueError, match="k must be one of"):
        views.view(3)
    with pytest.raises(TypeError, match="fits"):
        FittedMixtureViews({"k": 1})
    fig = plots.fitted_mixture_view_figure(views, k=4)
    assert list(trace(fig, plots.SHOWN_K).x) == [4]
    assert fig.layout.title.text == views.title(4)


def test_ancestral_samples_read_the_first_n_draws():
    samples = AncestralSamples([0.2, 0.8], [-2.0, 2.0], [0.5, 0.5], max_draws=50, seed=1)
    m, x = gmm.sample_mixture([0.2, 0.8], [-2.0, 2.0], [0.5, 0.5], 50, seed=1)
    empty = samples.state(0)
    assert empty.last_x is None and empty.last_m is None and empty.shares.sum() == 0
    state = samples.state(10)
    assert state.last_m == m[9] + 1 and state.last_x == pytest.approx(x[9])
    np.testing.assert_allclose(state.shares, np.bincount(m[:10], minlength=2) / 10)
    with pytest.raises(ValueError, match="n must be an integer in .0, 50."):
        samples.state(51)


def test_latent_views_sum_the_first_n_draws():
    decoder = latent_mixture.analytic_decoder(TARGET, sigma=0.3)
    views = LatentMixtureViews({"a": decoder}, n_terms_shown=3, seed=2)
    z = latent_mixture.latent_draws(max(N_OPTIONS), seed=2)
    view = views.view("a", 20)
    mu, sd = decoder(z[:20])
    np.testing.assert_allclose(view.estimate,
                               latent_mixture.latent_mixture_density(views.x, mu, sd),
                               rtol=1e-9, atol=1e-12)
    assert view.error == pytest.approx(gmm.l1_error(view.estimate, view.decoder.model, views.x))
    assert np.isnan(np.asarray(view.terms[0], float)).sum() == 3
    with pytest.raises(ValueError, match="n must be one of"):
        views.view("a", 7)
    with pytest.raises(ValueError, match="name must be one of"):
        views.view("b", 10)


def test_every_mixture_figure_names_each_trace_once(fits):
    views = LatentMixtureViews({"a": latent_mixture.analytic_decoder(TARGET)})
    samples = AncestralSamples([1.0], [0.0], [1.0], max_draws=5)
    state = samples.state(3)
    hand = HandMixture().curves()
    figures = [
        plots.mixture_figure(views.x, views.target_pdf, hand.components, hand.total),
        plots.fitted_mixture_view_figure(FittedMixtureViews(fits), k=1),
        plots.sampling_figure(samples.weights, state.shares, samples.edges, state.histogram,
                              samples.x, samples.density, last_x=state.last_x),
        plots.latent_mixture_view_figure(views, views.view("a", 10)),
        plots.loss_curve_figure(np.ones(5), entropy=1.0),
    ]
    for fig in figures:
        names = [t.name for t in fig.data]
        assert None not in names and len(set(names)) == len(names), names
