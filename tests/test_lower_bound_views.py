"""The lower-bound views without widgets: the exact split, the climb, the folded decoder's
fits, and the figures' trace names."""

from __future__ import annotations

import numpy as np
import pytest

from explainer import elbo
from explainer.lower_bound_views import Z_VIEW, BoundAscent, BoundSplit, NonlinearGap
from explainer.plots import lower_bound as plots
from explainer.plots import trace


def test_bound_split_view_is_the_closed_form():
    split = BoundSplit()
    view = split.view(2.0, mean=-1.0, log_std=0.0)
    q = elbo.GaussianQ(-1.0, 0.0)
    assert view.terms == elbo.bound_terms(2.0, q=q, decoder=split.decoder)
    np.testing.assert_allclose(view.q_density, elbo.normal_density(Z_VIEW, mean=-1.0, log_std=0.0))
    post = elbo.posterior(2.0, decoder=split.decoder)
    np.testing.assert_allclose(view.posterior_density, elbo.normal_density(
        Z_VIEW, mean=float(post.mean), log_std=float(post.log_std)))
    with pytest.raises(TypeError, match="decoder must be an elbo.LinearGaussianDecoder"):
        BoundSplit("linear")


def test_bound_ascent_records_every_step_and_resets():
    climb = BoundAscent(np.array([0.5, 1.0, 2.5, 3.0]))
    climb.alternate(3)
    assert climb.steps == list(range(7))
    lbs = climb.lower_bound_trace
    assert all(b >= a for a, b in zip(lbs, lbs[1:]))
    # an encoder step never moves log p(X)
    lp = climb.log_marginal_trace
    assert lp[1] == lp[0] and lp[3] == lp[2]
    climb.reset()
    assert climb.steps == [0] and climb.decoder == climb.initial_decoder
    with pytest.raises(TypeError, match="q must be an elbo.GaussianQ"):
        BoundAscent(np.array([1.0, 2.0]), q=(0.0, 0.0))
    fig = plots.climb_figure(climb)
    assert list(trace(fig, plots.CEILING_LINE).x) == [0, 1]


def test_nonlinear_gap_view_fits_one_hump_from_each_wall():
    gap = NonlinearGap()
    view = gap.view(1.0)
    assert [fit.start for fit in view.fits] == list(gap.STARTS)
    left, right = (fit.fit for fit in view.fits)
    # the measured numbers notebook 06 prints
    assert (round(left.gap, 3), round(right.gap, 3)) == (0.367, 1.348)
    assert round(view.log_marginal, 3) == -1.667
    assert len(view.z) == len(view.posterior_density) == len(view.decoder_mean) == 321
    fig = plots.nonlinear_posterior_figure(view)
    assert "from -0.5: 0.367, from +1.5: 1.348" in fig.layout.title.text
    np.testing.assert_allclose(trace(fig, plots.fit_trace_name(1.5)).y, view.fits[1].density)


def test_every_lower_bound_figure_names_each_trace_once():
    split = BoundSplit()
    view = split.view(0.5, mean=0.0, log_std=0.0)
    climb = BoundAscent(np.array([0.5, 1.0]))
    figures = [
        plots.bound_split_figure(Z_VIEW, posterior_density=view.posterior_density,
                                 q_density=view.q_density, terms=view.terms),
        plots.climb_figure(climb),
        plots.importance_weights_figure(
            np.array([-1.25, -0.75, -0.25]), shares=np.array([0, 1, 0]), ks=[1, 10],
            ess=[1.0, 4.0], mean_estimates=[-2.0, -1.0], elbo=-2.0, best_estimate=-1.0,
            selected_k=10, selected_ess=4.0, selected_estimate=-1.0),
    ]
    for fig in figures:
        names = [t.name for t in fig.data]
        assert None not in names and len(set(names)) == len(names), names
