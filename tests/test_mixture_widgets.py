"""The mixture widgets outside the browser: set each control, check the figure's data."""

from __future__ import annotations

import numpy as np
import pytest
from traitlets import TraitError

from explainer import gmm, latent_mixture, mixture_fits
from explainer.mixture_views import N_OPTIONS
from explainer.plots import mixture as plots
from explainer.plots import trace
from explainer.widgets import mixture as W

TARGET = gmm.target_density()


@pytest.fixture(scope="module")
def fits():
    return mixture_fits.fit_mixtures((1, 2, 4), n_samples=300, seed=0, use_disk_cache=False)


def test_builder_sliders_edit_the_selected_component():
    b = W.MixtureBuilder(n_components=3)
    b.component.value = 2
    assert b.mean.value == pytest.approx(b.hand.means[1])
    b.mean.value = 0.25
    b.std.value = 0.4
    b.weight.value = 0.9
    w, mu, sd = b.hand.mixture()
    assert mu[1] == 0.25 and sd[1] == 0.4
    np.testing.assert_allclose(w, np.array([0.5, 0.9, 0.2]) / 1.6)
    np.testing.assert_allclose(trace(b.fig, plots.MIXTURE_SUM).y,
                               gmm.mixture_density(b.hand.x, w, mu, sd))
    cx, cy = gmm.component_curves(w, mu, sd)
    np.testing.assert_allclose(np.asarray(trace(b.fig, plots.COMPONENTS).y, float), cy)
    assert f"{b.hand.error():.3f}" in b.fig.layout.title.text
    assert "0.56" in b.fig.layout.title.text  # the renormalised weight 0.9 / 1.6


def test_builder_number_of_components_and_clamped_selection():
    b = W.MixtureBuilder(n_components=5)
    b.component.value = 5
    b.n_components.value = 2
    assert b.component.value == 2 and b.component.max == 2
    assert len(b.hand.mixture()[0]) == 2
    # two component curves
    assert np.isnan(np.asarray(trace(b.fig, plots.COMPONENTS).x, float)).sum() == 2
    b.n_components.value = 10
    assert len(b.hand.mixture()[0]) == 10


def test_builder_refuses_bad_values():
    with pytest.raises(ValueError, match="n_components"):
        W.MixtureBuilder(n_components=11)
    b = W.MixtureBuilder()
    with pytest.raises(TraitError):
        b.std.value = "wide"
    # below the slider's range: refused (ipywidgets would clamp it to 0.05)
    with pytest.raises(TraitError, match=r"std must be in \[0.05, 3\], got 0.0"):
        b.std.value = 0.0
    assert b.std.value == 0.8


def test_builder_refuses_a_nan_weight_at_its_source():
    # a NaN weight used to be stored, and every other slider then raised until it was reset
    b = W.MixtureBuilder()
    with pytest.raises(TraitError, match=r"weight must be a finite number in \[0.01, 1\]"):
        b.weight.value = float("nan")
    assert b.weight.value == 0.5 and np.isfinite(b.hand.weights).all()
    b.mean.value = 0.5  # the other sliders still work
    assert b.hand.mixture()[1][0] == 0.5 and b.errors.outputs == ()
    with pytest.raises(TraitError, match=r"n_components must be an integer in \[1, 10\], got 11"):
        b.n_components.value = 11


def test_sampling_slider_and_play_refuse_values_past_the_draws():
    s = W.AncestralSampling([0.5, 0.5], [-1.0, 1.0], [0.5, 0.5], max_draws=50)
    for name in ("n_drawn", "play"):
        with pytest.raises(TraitError, match=name + r" must be an integer in \[0, 50\], got 51"):
            setattr(getattr(s, name), "value", 51)
    assert s.n_drawn.value == 0


def test_fitted_mixture_slider_shows_each_fit(fits):
    f = W.FittedMixture(fits)
    for k in (4, 2, 1):
        f.k.value = k
        w, mu, sd = fits.mixture(k)
        np.testing.assert_allclose(trace(f.fig, plots.FITTED_SUM).y,
                                   gmm.mixture_density(f.views.x, w, mu, sd))
        assert list(trace(f.fig, plots.SHOWN_K).x) == [k]
        assert trace(f.fig, plots.SHOWN_K).y[0] == pytest.approx(fits.error(k))
        assert f"{fits.error(k):.3f}" in f.fig.layout.title.text
    np.testing.assert_allclose(trace(f.fig, plots.GRID_ERRORS).y,
                               mixture_fits.grid_mixture_errors(TARGET, fits.ks))
    np.testing.assert_allclose(trace(f.fig, plots.fitted_errors_name(300)).y, fits.errors_)


def test_fitted_mixture_refuses_bad_input(fits):
    with pytest.raises(TypeError, match="fits"):
        W.FittedMixture({"k": 1})
    with pytest.raises(ValueError, match="k must be one of"):
        W.FittedMixture(fits, k=3)
    f = W.FittedMixture(fits)
    with pytest.raises(TraitError):
        f.k.value = 3


def test_sampling_buttons_and_slider():
    w, mu, sd = [0.2, 0.8], [-2.0, 2.0], [0.5, 0.5]
    a = W.AncestralSampling(w, mu, sd, max_draws=500, seed=1)
    m, x = gmm.sample_mixture(w, mu, sd, 500, seed=1)
    a.draw_one.click()
    assert a.n_drawn.value == 1
    assert list(trace(a.fig, plots.LAST_X).x) == [pytest.approx(x[0])]
    a.draw_hundred.click()
    assert a.n_drawn.value == 101
    np.testing.assert_allclose(trace(a.fig, plots.HISTOGRAM).y,
                               gmm.histogram_density(x[:101], a.samples.edges))
    np.testing.assert_allclose(trace(a.fig, plots.SHARES).y,
                               np.bincount(m[:101], minlength=2) / 101)
    assert f"m = {m[100] + 1}" in a.fig.layout.title.text
    for _ in range(5):
        a.draw_hundred.click()
    assert a.n_drawn.value == 500  # stops at the last precomputed draw
    a.reset.click()
    assert a.n_drawn.value == 0 and len(trace(a.fig, plots.LAST_X).x) == 0
    with pytest.raises(ValueError, match="stds"):
        W.AncestralSampling(w, mu, [0.5, -1.0])


def test_latent_mixture_controls():
    decoders = {"sharp": latent_mixture.analytic_decoder(TARGET, sigma=0.1),
                "broad": latent_mixture.analytic_decoder(TARGET, sigma=0.5)}
    lm = W.LatentMixture(decoders, n=10, n_terms_shown=5, seed=3)
    z = latent_mixture.latent_draws(max(N_OPTIONS), seed=3)
    for name in ("broad", "sharp"):
        lm.decoder.value = name
        for n in (1, 200, 2000):
            lm.n.value = n
            mu, sd = decoders[name](z[:n])
            est = latent_mixture.latent_mixture_density(lm.views.x, mu, sd)
            np.testing.assert_allclose(trace(lm.fig, plots.N_SAMPLE_SUM).y, est,
                                       rtol=1e-9, atol=1e-12)
            assert len(trace(lm.fig, plots.DRAWN_Z).x) == n
            assert np.isnan(np.asarray(trace(lm.fig, plots.TERMS).x, float)).sum() == min(n, 5)
        mu_z, sd_z = decoders[name](lm.views.z)
        np.testing.assert_allclose(trace(lm.fig, plots.DECODER_MEAN).y, mu_z)
        upper, lower = trace(lm.fig, plots.BAND_UPPER).y, trace(lm.fig, plots.BAND).y
        np.testing.assert_allclose(np.asarray(upper) - np.asarray(lower), 2 * sd_z)
        np.testing.assert_allclose(trace(lm.fig, plots.MODEL_DENSITY).y,
                                   latent_mixture.latent_model_density(lm.views.x, decoders[name]))
        assert name in lm.fig.layout.title.text


def test_latent_mixture_refuses_bad_input():
    with pytest.raises(TypeError, match="decoders"):
        W.LatentMixture({})
    with pytest.raises(ValueError, match="n must be one of"):
        W.LatentMixture({"a": latent_mixture.analytic_decoder(TARGET)}, n=7)
    lm = W.LatentMixture({"a": latent_mixture.analytic_decoder(TARGET)})
    with pytest.raises(TraitError):
        lm.n.value = 7
    with pytest.raises(TraitError):
        lm.decoder.value = "missing"


def test_widgets_show_a_short_stable_text():
    b = W.MixtureBuilder()
    assert b.summary() == "MixtureBuilder: interactive figure (needs a running kernel)"
    assert b.errors in b.ui.children


def test_a_failing_callback_is_shown_and_raised(fits, monkeypatch):
    f = W.FittedMixture(fits)

    def lost(k):  # break the widget on purpose: the next slider move cannot find its curves
        raise KeyError(k)

    monkeypatch.setattr(f.views, "view", lost)
    with pytest.raises(KeyError):
        f.k.value = 2
    assert "KeyError" in f.errors.outputs[0]["text"]
