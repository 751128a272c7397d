"""The lower-bound widgets, outside the browser: set each control, check the figure
against the pure functions, and check that bad values are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from traitlets import TraitError

from explainer import elbo, image_elbo, nonlinear_posterior
from explainer.lower_bound_views import Z_VIEW
from explainer.models import Autoencoder, ModelConfig
from explainer.plots import lower_bound as plots
from explainer.plots import trace
from explainer.widgets.lower_bound import (
    BoundSplitExplorer,
    EncoderDecoderAscent,
    ImportanceSamplingExplorer,
    NonlinearGapExplorer,
)
from widget_errors import assert_error_shown


def bar_values(fig):
    return [v for name in plots.BAR_NAMES
            for v in (trace(fig, name).y[0], trace(fig, name).base[0])]


def expected_bars(terms):
    return [v for s in plots.bound_bar_segments(terms) for v in (s["height"], s["base"])]


def test_bound_split_sliders_redraw_exactly():
    w = BoundSplitExplorer()
    for control, value in ((w.mean, 0.7), (w.log_std, -1.0), (w.x, -1.5)):
        control.value = value
        q = elbo.GaussianQ(w.mean.value, w.log_std.value)
        terms = elbo.bound_terms(w.x.value, q=q, decoder=w.split.decoder)
        assert bar_values(w.fig) == pytest.approx(expected_bars(terms))
        np.testing.assert_allclose(
            trace(w.fig, plots.Q_TRACE).y,
            elbo.normal_density(Z_VIEW, mean=w.mean.value, log_std=w.log_std.value))
        post = elbo.posterior(w.x.value, decoder=w.split.decoder)
        np.testing.assert_allclose(
            trace(w.fig, plots.POSTERIOR_TRACE).y,
            elbo.normal_density(Z_VIEW, mean=float(post.mean), log_std=float(post.log_std)))
        assert w.fig.layout.title.text == plots.bound_summary(terms)
        # the bars add up: Lb + KL ends at log p(x)
        lb, kl = trace(w.fig, plots.LOWER_BOUND_BAR).y[0], trace(w.fig, plots.GAP_BAR).y[0]
        assert lb + kl == pytest.approx(trace(w.fig, plots.LOG_MARGINAL_BAR).y[0], abs=1e-12)


def test_bound_split_bar_splits_into_the_two_losses():
    w = BoundSplitExplorer()
    for control, value in ((w.mean, 1.0), (w.log_std, -0.8), (w.x, 0.5), (w.mean, -2.0)):
        control.value = value
        q = elbo.GaussianQ(w.mean.value, w.log_std.value)
        # independent: the tutorial's formulas, s = log sigma^2 the log-variance
        s = 2 * w.log_std.value
        minimize2 = np.exp(s) - (1 + s) + w.mean.value ** 2
        minimize1 = -float(elbo.expected_log_likelihood(w.x.value, q=q, decoder=w.split.decoder))
        prior_part = trace(w.fig, plots.PRIOR_KL_BAR)
        likelihood_part = trace(w.fig, plots.LIKELIHOOD_BAR)
        assert prior_part.y[0] == pytest.approx(-minimize2 / 2, abs=1e-12)
        assert prior_part.base[0] == 0.0
        assert likelihood_part.y[0] == pytest.approx(-minimize1, abs=1e-12)
        # the two stacked parts end at Lb: where the second column's Lb ends too
        end = likelihood_part.base[0] + likelihood_part.y[0]
        lb = float(elbo.lower_bound(w.x.value, q=q, decoder=w.split.decoder))
        assert end == pytest.approx(lb, abs=1e-12)
        assert trace(w.fig, plots.LOWER_BOUND_BAR).y[0] == pytest.approx(lb, abs=1e-12)
        assert list(trace(w.fig, plots.LOWER_BOUND_LEVEL).y) == pytest.approx([lb, lb])
        # and Lb + the gap is log p(x)
        log_px = float(elbo.log_marginal(w.x.value, decoder=w.split.decoder))
        gap = trace(w.fig, plots.GAP_BAR)
        assert gap.base[0] + gap.y[0] == pytest.approx(log_px, abs=1e-12)
        assert f"Minimize1 = E_q[−log p(x|z)] = {minimize1:.4f}" in w.fig.layout.title.text
        assert f"Minimize2 = 2 KL(q‖p(z)) = {minimize2:.4f}" in w.fig.layout.title.text


def test_no_bar_covers_another():
    # the issue: Lb = -15.6 under a gap bar drawn over it looked like a 2-nat sliver.
    # Every part now has its own strip of the column, from the common zero line.
    w = BoundSplitExplorer(mean=-1.0, log_std=0.0)
    bars = {name: trace(w.fig, name) for name in plots.BAR_NAMES}
    spans = {name: (b.x[0] + b.offset, b.x[0] + b.offset + b.width) for name, b in bars.items()}
    names = list(spans)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (a0, a1), (b0, b1) = spans[a], spans[b]
            assert a1 <= b0 + 1e-12 or b1 <= a0 + 1e-12, f"{a} and {b} overlap"
    # each at its true size: Lb from 0, the gap from Lb to log p(x)
    terms = w.view().terms
    assert bars[plots.LOWER_BOUND_BAR].base[0] == 0.0
    assert bars[plots.LOWER_BOUND_BAR].y[0] == pytest.approx(terms.lower_bound)
    assert terms.lower_bound < -15 and terms.kl_posterior > 13  # the case
    assert bars[plots.GAP_BAR].text[0] == f"{terms.kl_posterior:+.2f}"
    assert list(trace(w.fig, plots.LOG_MARGINAL_LEVEL).y) == pytest.approx([terms.log_marginal] * 2)


def test_the_bars_axis_holds_every_bar_whole():
    # set explicitly, so that a page without a kernel (which swaps states without
    # rescaling) shows each bar whole
    w = BoundSplitExplorer()
    for control, value in ((w.mean, 3.0), (w.log_std, -2.5), (w.x, -4.0), (w.mean, 1.0)):
        control.value = value
        low, high = w.fig.layout.yaxis2.range
        for name in plots.BAR_NAMES:
            bar = trace(w.fig, name)
            for end in (bar.base[0], bar.base[0] + bar.y[0]):
                assert low < end < high
        assert low < 0 < high or high > 0
    a = ascent_widget()
    a.encoder_button.click()
    low, high = a.fig.layout.yaxis.range
    assert low < a.climb.terms().lower_bound and high > 0


def test_bound_split_static_figure_is_the_live_one():
    w = BoundSplitExplorer(mean=1.0, log_std=-0.8)
    w.x.value = 1.5
    static = w.static_figure()
    for name in (*plots.BAR_NAMES, plots.LOWER_BOUND_LEVEL, plots.Q_TRACE,
                 plots.POSTERIOR_TRACE):
        np.testing.assert_allclose(np.asarray(trace(static, name).y, dtype=float),
                                   np.asarray(trace(w.fig, name).y, dtype=float))
    assert static.layout.title.text == w.fig.layout.title.text


def test_bound_split_refuses_bad_values():
    w = BoundSplitExplorer()
    with pytest.raises(TraitError):
        w.log_std.value = "wide"
    # the sliders cannot go out of range; the pure functions refuse a non-finite x
    with pytest.raises(ValueError, match="x"):
        elbo.bound_terms(float("nan"), q=elbo.GaussianQ(0.0, 0.0), decoder=w.split.decoder)
    with pytest.raises(ValueError, match="variance"):
        BoundSplitExplorer(elbo.LinearGaussianDecoder(1.0, 0.0, -1.0))


def test_lower_bound_widgets_refuse_values_outside_their_sliders():
    # BoundSplitExplorer(log_std=1000) used log_std 1 (the slider's max), silently
    with pytest.raises(ValueError, match=r"log_std must be in \[-2.5, 1\], got 1000.0"):
        BoundSplitExplorer(log_std=1000)
    with pytest.raises(ValueError, match=r"x must be a finite number in \[-4, 4\], got nan"):
        BoundSplitExplorer(x=float("nan"))
    w = BoundSplitExplorer()
    title = w.fig.layout.title.text
    with pytest.raises(TraitError, match=r"mean must be in \[-3, 3\], got 3.5"):
        w.mean.value = 3.5
    assert w.mean.value == -1.0 and w.fig.layout.title.text == title
    with pytest.raises(ValueError, match=r"x must be in \[-0.5, 3\], got 5.0"):
        NonlinearGapExplorer(x=5.0)
    ascent = ascent_widget()
    with pytest.raises(TraitError, match=r"rounds must be an integer in \[1, 50\], got 100"):
        ascent.rounds.value = 100
    with pytest.raises(ValueError, match="k must be one of 1, 2, 5"):
        ImportanceSamplingExplorer(torch.zeros(2, 10), k=3)


def test_bound_split_shows_errors_on_the_page(monkeypatch):
    w = BoundSplitExplorer()
    assert_error_shown(w, monkeypatch, elbo, "bound_terms", lambda: setattr(w.mean, "value", 0.3))


def ascent_widget():
    x = np.random.default_rng(0).normal(1.5, 2.0, size=8)
    return EncoderDecoderAscent(x)


def test_ascent_buttons_follow_the_pure_steps():
    w = ascent_widget()
    climb = w.climb
    q0, d0 = climb.q, climb.decoder
    w.encoder_button.click()
    enc = elbo.encoder_step(w.climb.data, q=q0, decoder=d0)
    np.testing.assert_array_equal(w.climb.q.mean, enc.q.mean)
    assert w.climb.decoder == d0
    # log p(X) does not move under an encoder step; Lb rises
    assert w.climb.log_marginal_trace[1] == w.climb.log_marginal_trace[0]
    assert w.climb.lower_bound_trace[1] > w.climb.lower_bound_trace[0]
    w.decoder_button.click()
    dec = elbo.decoder_step(w.climb.data, q=enc.q, decoder=d0)
    assert w.climb.decoder == dec.decoder
    assert w.climb.lower_bound_trace[2] >= w.climb.lower_bound_trace[1]
    assert list(trace(w.fig, plots.LOG_MARGINAL_CURVE).y) == w.climb.log_marginal_trace
    assert list(trace(w.fig, plots.LOWER_BOUND_CURVE).y) == w.climb.lower_bound_trace
    assert bar_values(w.fig) == pytest.approx(expected_bars(w.climb.terms()))


def test_the_ascent_starts_from_a_poor_q_that_one_encoder_step_corrects():
    w = ascent_widget()
    gap0 = w.climb.terms().kl_posterior
    assert gap0 > 5  # several nats: the first encoder step has something to close
    w.encoder_button.click()
    assert w.climb.terms().kl_posterior < 0.1 * gap0
    assert w.climb.log_marginal_trace[1] == w.climb.log_marginal_trace[0]
    assert w.climb.lower_bound_trace[1] - w.climb.lower_bound_trace[0] == pytest.approx(
        gap0 - w.climb.terms().kl_posterior)
    # every control says what it does
    for control in (w.encoder_button, w.decoder_button, w.alternate_button, w.reset_button,
                    w.rounds):
        assert len(control.tooltip) > 20


def test_alternate_never_lowers_the_bound_and_reset_restarts():
    w = ascent_widget()
    w.rounds.value = 20
    w.alternate_button.click()
    assert len(w.climb.steps) == 41
    lbs = w.climb.lower_bound_trace
    assert all(b >= a for a, b in zip(lbs, lbs[1:]))
    assert w.climb.log_marginal_trace[-1] <= w.climb.ceiling + 1e-9
    assert list(trace(w.fig, plots.CEILING_LINE).y) == [w.climb.ceiling, w.climb.ceiling]
    w.reset_button.click()
    assert w.climb.steps == [0] and list(trace(w.fig, plots.LOG_MARGINAL_CURVE).x) == [0]
    assert w.climb.decoder == w.climb.initial_decoder
    assert bar_values(w.fig) == pytest.approx(expected_bars(w.climb.terms()))


def test_ascent_refuses_bad_values():
    w = ascent_widget()
    with pytest.raises(TraitError):
        w.rounds.value = "many"
    with pytest.raises(ValueError, match="at least 2"):
        EncoderDecoderAscent(np.array([1.0]))
    with pytest.raises(ValueError, match="x"):
        EncoderDecoderAscent(np.array([1.0, np.inf]))


def test_importance_slider_shows_the_digits_first_k_weights():
    vae = Autoencoder(ModelConfig(kind="vae", input_dim=16, latent_dim=2, hidden_dims=(8,)))
    x = torch.rand((4, 16), generator=torch.Generator().manual_seed(0))
    lw = image_elbo.log_importance_weights(vae, x, n_samples=100, seed=0)
    w = ImportanceSamplingExplorer(lw, digit=2)
    assert w.ks == [1, 2, 5, 10, 20, 50, 100]
    row = lw[2].numpy()
    for k in (10, 100, 1):
        w.k.value = k
        # independent: the first k weights, normalised in numpy
        weights = np.exp(row[:k] - row[:k].max())
        normalised = weights / weights.sum()
        ess = weights.sum() ** 2 / (weights ** 2).sum()
        estimate = np.log(np.mean(np.exp(row[:k] - row[:k].max()))) + row[:k].max()
        shares = np.asarray(trace(w.fig, plots.WEIGHTS_HISTOGRAM).y)
        assert shares.sum() == pytest.approx(1.0)
        edges = w.weights.bin_edges_
        expected, _ = np.histogram(np.clip(np.log10(normalised), edges[0], 0.0), bins=edges)
        np.testing.assert_allclose(shares * k, expected)
        assert trace(w.fig, plots.ESS_MARKER).x == (k,)
        assert trace(w.fig, plots.ESS_MARKER).y[0] == pytest.approx(ess)
        assert trace(w.fig, plots.ESTIMATE_MARKER).y[0] == pytest.approx(estimate)
        assert trace(w.fig, plots.EQUAL_WEIGHT_LINE).x[0] == pytest.approx(-np.log10(k))
        assert f"ESS = {ess:.1f} of K = {k}" in w.fig.layout.title.text
    assert trace(w.fig, plots.ELBO_LINE).y[0] == pytest.approx(row.mean())
    assert list(trace(w.fig, plots.ESTIMATE_CURVE).y) == pytest.approx(
        [float(image_elbo.importance_sampled_log_likelihood(lw[2:3], k=k)[0]) for k in w.ks])
    # the axes hold every state (a page without a kernel swaps states without rescaling)
    assert tuple(w.fig.layout.yaxis.range) == (0, 1.02)
    low, high = w.fig.layout.yaxis3.range
    for k in w.ks:
        assert low < w.weights.first(k).estimate < high
    with pytest.raises(TraitError):
        w.k.value = 3  # not an option
    with pytest.raises(ValueError, match="digit"):
        ImportanceSamplingExplorer(lw, digit=4)


def test_nonlinear_slider_refits_both_gaussians():
    w = NonlinearGapExplorer(x=1.0)
    w.x.value = 2.0
    gap = w.gap
    post = nonlinear_posterior.numerical_posterior(2.0, decoder_mean=gap.net, variance=gap.VARIANCE,
                                    z=gap.z).numpy()
    drawn = (gap.z.numpy() >= -4) & (gap.z.numpy() <= 4)
    np.testing.assert_allclose(trace(w.fig, plots.NUMERICAL_POSTERIOR).y, post[drawn][::5])
    fits = []
    for start in gap.STARTS:
        fit = nonlinear_posterior.fit_gaussian_q(2.0, decoder_mean=gap.net,
                                                 variance=gap.VARIANCE, z=gap.z,
                                                 mean_init=start, log_std_init=-1.0)
        np.testing.assert_allclose(
            trace(w.fig, plots.fit_trace_name(start)).y,
            elbo.normal_density(gap.z_drawn, mean=fit.mean, log_std=fit.log_std))
        assert fit.gap > 0
        fits.append(fit)
    assert trace(w.fig, plots.OBSERVED_X).y == (2.0, 2.0)
    assert w.fig.layout.title.text == (
        f"x = 2: log p(x) = {fits[0].log_marginal:.3f}; gap KL(q‖p(z|x)) of the best q "
        f"from -0.5: {fits[0].gap:.3f}, from +1.5: {fits[1].gap:.3f}")
    with pytest.raises(TraitError):
        w.x.value = "far"


def test_figures_refuse_an_unknown_k():
    with pytest.raises(ValueError, match="selected_k"):
        plots.importance_weights_figure(
            np.array([-1.25, -0.75, -0.25]), shares=np.array([0, 1, 0]), ks=[1, 10],
            ess=[1.0, 4.0], mean_estimates=[-2.0, -1.0], elbo=-2.0, best_estimate=-1.0,
            selected_k=5, selected_ess=1.0, selected_estimate=-2.0)
