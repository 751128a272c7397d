"""The aggregate posterior q(z) against the prior, the fair hole meter for the AE, and the two
active-dimension criteria; each checked against an independent computation
(torch.distributions, closed forms, scipy)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from explainer import aggregate_posterior as agg
from explainer import anatomy
from explainer import hole_meter as holes
from explainer import map_views as views
from explainer import rate_distortion as rd
from explainer.plots import latent_maps as plots
from explainer.plots import trace


def random_mixture(n: int = 50, *, seed: int = 0, label: str = "q") -> agg.AggregatePosterior:
    rng = np.random.default_rng(seed)
    means, logvars = rng.normal(0.0, 1.5, (n, 2)), rng.uniform(-4.0, 0.5, (n, 2))
    return agg.AggregatePosterior(label, means, logvars)


def torch_mixture(q: agg.AggregatePosterior) -> MixtureSameFamily:
    m, s = torch.from_numpy(q.means), torch.from_numpy(q.logvars)
    return MixtureSameFamily(Categorical(logits=torch.zeros(q.n_components, dtype=torch.float64)),
                             Independent(Normal(m, torch.exp(0.5 * s)), 1))


def test_log_density_is_torch_distributions_mixture():
    q = random_mixture(300)
    z = np.random.default_rng(1).normal(0.0, 3.0, (500, 2))
    expected = torch_mixture(q).log_prob(torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(q.log_density(z), expected, rtol=1e-10, atol=1e-10)


def test_log_density_is_finite_far_from_every_component():
    # every component's density underflows at z = 40; the log-sum-exp does not
    q = agg.AggregatePosterior("q", np.zeros((3, 2)), np.full((3, 2), -6.0))
    log_q = q.log_density(np.array([[40.0, 0.0]]))
    expected = torch_mixture(q).log_prob(torch.tensor([[40.0, 0.0]], dtype=torch.float64)).numpy()
    assert np.isfinite(log_q).all()
    np.testing.assert_allclose(log_q, expected, rtol=1e-12)


def test_log_density_in_blocks_equals_one_block(monkeypatch):
    q = random_mixture(100)
    z = np.random.default_rng(2).normal(0.0, 2.0, (257, 2))
    whole = q.log_density(z)
    monkeypatch.setattr(agg, "BLOCK_ELEMENTS", 300)  # three points per block
    assert max(b.stop - b.start for b in agg._point_blocks(100, 257)) * 100 <= 300
    np.testing.assert_allclose(q.log_density(z), whole, rtol=1e-13, atol=0)


def test_blocks_cover_every_point_once_within_the_memory_bound():
    for n_components, n_points in [(1, 5), (4000, 10_000), (10**7, 3)]:
        blocks = agg._point_blocks(n_components, n_points)
        covered = np.concatenate([np.arange(n_points)[b] for b in blocks])
        np.testing.assert_array_equal(covered, np.arange(n_points))
        width = blocks[0].stop - blocks[0].start
        assert width == 1 or width * n_components <= agg.BLOCK_ELEMENTS


def test_prior_density_and_its_mass_inside_a_radius():
    z = np.random.default_rng(3).normal(size=(20, 3))
    expected = Independent(Normal(torch.zeros(3), torch.ones(3)), 1).log_prob(torch.from_numpy(z))
    np.testing.assert_allclose(agg.prior_log_density(z), expected.numpy(), rtol=1e-12)
    # in 2-D: 1 - e^{-r^2/2}; 98.9% within radius 3
    assert agg.prior_mass_inside(3.0) == pytest.approx(1 - math.exp(-4.5), rel=1e-12)
    assert round(agg.prior_mass_inside(3.0), 3) == 0.989
    assert agg.prior_mass_inside(2.0, latent_dim=5) == pytest.approx(stats.chi2.cdf(4.0, 5),
                                                                     rel=1e-12)


def test_samples_follow_the_mixture():
    q = agg.AggregatePosterior("q", np.array([[-3.0, 0.0], [3.0, 1.0]]),
                               np.log([[0.25, 1.0], [1.0, 0.04]]))
    z = q.sample(40_000, seed=4)
    np.testing.assert_array_equal(z, q.sample(40_000, seed=4))
    left = z[z[:, 0] < 0]
    assert len(left) / len(z) == pytest.approx(0.5, abs=0.01)
    np.testing.assert_allclose(left.mean(axis=0), [-3.0, 0.0], atol=0.03)
    np.testing.assert_allclose(left.std(axis=0), [0.5, 1.0], rtol=0.03)


def test_kl_of_one_component_is_the_closed_form():
    # q = one Gaussian: KL(q || p) = 1/2 sum_j (e^{s_j} - 1 - s_j + m_j^2)
    m, s = np.array([[0.7, -0.4]]), np.array([[-1.0, 0.3]])
    c = agg.coverage(agg.AggregatePosterior("one", m, s), n_draws=40_000, seed=5)
    closed = float(0.5 * (np.exp(s) - 1 - s + m**2).sum())
    assert abs(c.kl - closed) < 4 * c.kl_se
    assert c.kl_se < 0.02 and c.n_draws == 40_000 and c.seed == 5


def test_kl_of_a_mixture_matches_quadrature():
    q = random_mixture(20, seed=6)
    c = agg.coverage(q, n_draws=40_000, seed=7)
    # the integral of q log(q / p) on a fine grid (the rectangle rule)
    t = np.linspace(-9.0, 9.0, 901)
    gx, gy = np.meshgrid(t, t)
    z = np.stack([gx.ravel(), gy.ravel()], axis=1)
    log_q = torch_mixture(q).log_prob(torch.from_numpy(z)).numpy()
    log_p = stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
    quadrature = float((np.exp(log_q) * (log_q - log_p)).sum() * (t[1] - t[0]) ** 2)
    assert abs(c.kl - quadrature) < 4 * c.kl_se


def test_hole_mass_of_a_narrow_gaussian_is_the_closed_form():
    # q = N(0, v I), v < 1: q(z) / p(z) = exp(-r^2 (1/v - 1) / 2) / v < f  beyond the radius
    # R^2 = 2 log(1 / (f v)) / (1/v - 1), where the prior has mass e^{-R^2 / 2}
    v, f = 0.3, 0.1
    q = agg.AggregatePosterior("narrow", np.zeros((1, 2)), np.full((1, 2), math.log(v)))
    c = agg.coverage(q, fraction=f, n_draws=40_000, seed=8)
    r2 = 2 * math.log(1 / (f * v)) / (1 / v - 1)
    assert abs(c.hole_mass - math.exp(-r2 / 2)) < 4 * c.hole_mass_se
    # and q's own mass within radius 3: 1 - e^{-9 / (2 v)}
    assert c.inside == pytest.approx(1 - math.exp(-4.5 / v), abs=4 * c.inside_se + 1e-4)
    assert c.prior_inside == pytest.approx(1 - math.exp(-4.5))


def test_the_prior_covers_itself():
    prior = agg.AggregatePosterior("prior", np.zeros((1, 2)), np.zeros((1, 2)))
    c = agg.coverage(prior, n_draws=2000, seed=9)
    assert c.kl == pytest.approx(0.0, abs=1e-12) and c.hole_mass == 0.0


def test_coverage_is_read_back_from_the_cache_by_q_and_its_settings(monkeypatch):
    q = random_mixture(30, seed=11)
    first = agg.coverage(q, n_draws=500, seed=2)
    passes = []
    monkeypatch.setattr(agg.AggregatePosterior, "log_density",
                        lambda self, z: passes.append(1) or np.zeros(len(z)))
    assert agg.coverage(agg.AggregatePosterior("same q", q.means.copy(), q.logvars.copy()),
                        n_draws=500, seed=2) == dataclasses.replace(first, label="same q")
    assert not passes
    agg.coverage(q, n_draws=500, seed=3)  # another seed, another q: estimated afresh
    agg.coverage(agg.AggregatePosterior("moved", q.means + 1e-9, q.logvars), n_draws=500, seed=2)
    assert len(passes) == 4  # two passes each: draws of q, draws of p


def test_cell_masses_are_exact():
    q = random_mixture(30, seed=10)
    edges = np.linspace(-4.0, 4.0, 9)
    cells = agg.cell_masses(q, edges)
    # each component's cell mass from scipy's bivariate normal cdf (independent of ndtr)
    expected = np.zeros_like(cells)
    for m, s in zip(q.means, q.logvars):
        cdf = stats.norm(m[:, None], np.exp(0.5 * s)[:, None]).cdf(edges[None, :])  # (2, 9)
        expected += np.outer(np.diff(cdf[1]), np.diff(cdf[0])) / q.n_components
    np.testing.assert_allclose(cells, expected, rtol=1e-9, atol=1e-15)
    # a far tail keeps its precision (no 1 - 1 cancellation)
    far = agg.AggregatePosterior("far", np.array([[-10.0, 0.0]]), np.zeros((1, 2)))
    tail = agg.cell_masses(far, np.array([0.0, 1.0]))[0, 0]
    # x ~ N(-10, 1) in [0, 1): sf(10) - sf(11); y ~ N(0, 1) in [0, 1): Phi(1) - 1/2
    expected_tail = (stats.norm.sf(10) - stats.norm.sf(11)) * (stats.norm.cdf(1) - 0.5)
    assert tail == pytest.approx(expected_tail, rel=1e-9)


def test_density_picture_rows_are_y_and_its_radial_masses():
    q = agg.AggregatePosterior("up", np.array([[0.5, 2.5]]), np.full((1, 2), math.log(0.04)))
    pic = agg.density_picture(q, half_width=4.0, n_cells=8, n_draws=4000, seed=1)
    i, j = np.unravel_index(np.argmax(pic.log_q), pic.log_q.shape)
    assert pic.centres[i] == pytest.approx(2.5) and pic.centres[j] == pytest.approx(0.5)
    # the prior's cells: their mass over the area, summing (times the area) to P(square)
    area = (pic.centres[1] - pic.centres[0]) ** 2
    inside = stats.norm.cdf(4) - stats.norm.cdf(-4)
    assert np.exp(pic.log_p).sum() * area == pytest.approx(inside**2)
    np.testing.assert_allclose(pic.inside_p, 1 - np.exp(-pic.radii**2 / 2), atol=1e-15)
    assert pic.inside_q[0] == 0.0 and pic.inside_q[-1] == 1.0
    assert np.all(np.diff(pic.inside_q) >= 0)
    # N((0.5, 2.5), 0.04 I) lies near radius |(0.5, 2.5)| = 2.55: about half its mass within
    assert np.interp(math.hypot(0.5, 2.5), pic.radii, pic.inside_q) == pytest.approx(0.5, abs=0.05)


def test_aggregate_posterior_of_a_trained_vae_and_its_figure(tiny):
    data, grid, _ = tiny
    q = agg.aggregate_posterior(grid.get("vae", 1.0), data.x_train)
    assert q.n_components == len(data.x_train) and q.label == "VAE β=1"
    with pytest.raises(ValueError, match="needs a VAE"):
        agg.aggregate_posterior(grid.get("ae"), data.x_train)
    pics = [agg.density_picture(q, n_cells=10, n_draws=500),
            agg.density_picture(agg.aggregate_posterior(grid.get("vae", 0.3), data.x_train),
                               n_cells=10, n_draws=500)]
    fig = plots.aggregate_posterior_figure(pics, fraction=0.1)
    names = [t.name for t in fig.data]
    for name in ("log10 density: prior p(z)", "log10 density: q(z), VAE β=1",
                 "within r: prior p(z)", "within r: q(z), VAE β=0.3"):
        assert name in names
    # one hole edge per q panel, one legend entry for all of them
    edges = [t for t in fig.data if t.name.startswith("q(z) = 0.1 p(z): hole edge")]
    assert len(edges) == len(pics) and sum(bool(t.showlegend) for t in edges) == 1
    assert len(set(names)) == len(names)  # every trace has its own name
    np.testing.assert_array_equal(trace(fig, "within r: q(z), VAE β=1").y, pics[0].inside_q)
    with pytest.raises(ValueError, match="at least one"):
        plots.aggregate_posterior_figure([], fraction=0.1)


@pytest.mark.parametrize("call, error, message", [
    (lambda: agg.AggregatePosterior("q", np.zeros((2, 2)), np.zeros((3, 2))), ValueError,
     r"logvars must have the shape of means \(2, 2\)"),
    (lambda: agg.AggregatePosterior("q", np.full((1, 2), np.nan), np.zeros((1, 2))), ValueError,
     "must be finite"),
    (lambda: random_mixture().log_density(np.zeros((4, 3))), ValueError,
     r"points must have shape \(n, 2\)"),
    (lambda: agg.coverage(random_mixture(), fraction=0.0), ValueError,
     r"fraction must be in \(0, inf\]"),
    (lambda: agg.coverage(random_mixture(), n_draws=1), ValueError,
     r"n_draws must be an integer in \[2"),
    (lambda: agg.coverage("q"), TypeError, "q must be an AggregatePosterior"),
    (lambda: agg.prior_mass_inside(-1.0), ValueError, r"radius must be in \[0, inf\]"),
    (lambda: agg.density_picture(random_mixture(), n_cells=0), ValueError,
     r"n_cells must be an integer in \[1"),
    (lambda: agg.cell_masses(random_mixture(), np.array([1.0, 0.0])), ValueError, "increasing"),
    (lambda: holes.fitted_gaussian(np.zeros((1, 2))), ValueError,
     r"codes must have shape \(n, d\) with n >= 2"),
    (lambda: holes.gaussian_samples(np.zeros(2), -np.eye(2), 10), ValueError, "positive definite"),
])
def test_bad_input_is_refused_with_its_range(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_fitted_gaussian_is_numpy_mean_and_covariance():
    e = np.random.default_rng(11).normal(size=(500, 2))
    codes = e @ np.array([[2.0, 0.0], [0.7, 0.5]]) + [1.0, -3.0]
    mean, cov = holes.fitted_gaussian(codes)
    np.testing.assert_allclose(mean, codes.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.cov(codes, rowvar=False), rtol=1e-12)


def test_gaussian_samples_map_the_prior_draws():
    mean, cov = np.array([1.0, -2.0]), np.array([[4.0, 1.2], [1.2, 1.0]])
    z = holes.gaussian_samples(mean, cov, 50_000, seed=12)
    e = holes.prior_samples(50_000, seed=12)
    # the same draws: z = mu + L e
    np.testing.assert_allclose(z, mean + e @ np.linalg.cholesky(cov).T, rtol=1e-6)
    np.testing.assert_allclose(z.mean(axis=0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(z, rowvar=False), cov, rtol=0.03, atol=0.02)
    # the identity fit gives the prior's own draws
    np.testing.assert_allclose(holes.gaussian_samples(np.zeros(2), np.eye(2), 100, seed=12),
                               holes.prior_samples(100, seed=12), rtol=1e-7)


def test_hole_meter_from_a_gaussian_fitted_to_the_codes(tiny):
    data, grid, clf = tiny
    ae = grid.get("ae")
    fair = holes.hole_meter(ae, clf, data.x_train, n_samples=200, seed=3, sample_from="fitted")
    assert fair.label == "AE (fitted Gaussian)" and fair.n_samples == 200
    # by hand: the fitted Gaussian's draws decoded and judged
    mean, cov = holes.fitted_gaussian(views.encode_images(ae.model, data.x_train)[0])
    images = views.decode_codes(ae.model, holes.gaussian_samples(mean, cov, 200, seed=3))
    by_hand = holes.judge_images(images, clf, data.x_train)
    assert fair.confident == by_hand.confident and fair.nearest == pytest.approx(by_hand.nearest)
    assert holes.hole_meter(ae, clf, data.x_train, n_samples=200, seed=3).label == "AE"
    with pytest.raises(ValueError, match="sample_from must be one of 'prior', 'fitted'"):
        holes.hole_meter(ae, clf, data.x_train, sample_from="posterior")


def test_rate_distortion_counts_active_dimensions_by_both_criteria(tiny):
    data, grid, _ = tiny
    points = rd.rate_points(grid, data.x_test)
    for p in points:
        mm = grid.get("vae", p.beta)
        means, _ = views.encode_images(mm.model, data.x_test)
        # Burda et al.: Var_x E_q[z_j] > 0.01, here by numpy
        assert p.active_units == int((np.var(means, axis=0) > anatomy.ACTIVE_VARIANCE).sum())
        assert p.active == int((p.kl_per_dim > anatomy.ACTIVE_KL).sum())
