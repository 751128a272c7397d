"""The pathwise and score-function gradient estimators against a closed form (a quadratic f,
whose expectation under q is known exactly) and against autograd, and on a decoder."""

import numpy as np
import pytest
import torch

from explainer import reparameterisation as rp
from explainer.data import moon_phases
from explainer.models import Autoencoder, ModelConfig

M, S = np.array([0.5, -1.0, 2.0]), np.array([-1.0, 0.3, -2.5])


def quadratic(weights, centre):
    """f(c) = -sum_j a_j (c_j - b_j)^2 and the exact gradient of its expectation under q:
    E_q[f] = -sum_j a_j ((m_j - b_j)^2 + e^{s_j}), so d/dm_j = -2 a_j (m_j - b_j) and
    d/ds_j = -a_j e^{s_j}. Returns (f, exact(mean, logvar) -> (d/dm, d/ds))."""
    a = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    b = torch.as_tensor(np.asarray(centre, dtype=np.float64))

    def f(c):
        # f(c) = -sum_j a_j (c_j - b_j)^2
        return -(a * (c - b) ** 2).sum(dim=1)

    def exact(mean, logvar):
        m, s = (np.asarray(v, dtype=np.float64) for v in (mean, logvar))
        # d/dm_j = -2 a_j (m_j - b_j),  d/ds_j = -a_j e^{s_j}
        return -2 * a.numpy() * (m - b.numpy()), -a.numpy() * np.exp(s)

    return f, exact
A, B = np.array([1.0, 0.5, 2.0]), np.array([0.0, 1.0, -1.0])


def test_the_exact_gradient_of_the_quadratic_is_autograds_of_its_expectation():
    _, exact = quadratic(A, B)
    m = torch.tensor(M, requires_grad=True)
    s = torch.tensor(S, requires_grad=True)
    # E_q[-sum a (c - b)^2] = -sum a ((m - b)^2 + e^s)
    (-(torch.tensor(A) * ((m - torch.tensor(B)) ** 2 + s.exp())).sum()).backward()
    gm, gs = exact(M, S)
    np.testing.assert_allclose(gm, m.grad.numpy())
    np.testing.assert_allclose(gs, s.grad.numpy())


def test_both_estimators_are_unbiased_on_the_quadratic_and_the_pathwise_one_has_less_variance():
    f, exact = quadratic(A, B)
    est = rp.estimate_gradients(f, M, S, n_draws=40_000, seed=0)
    want = exact(M, S)
    for e in est.values():
        for got, se, target in zip(e.mean(), e.standard_error(), want):
            assert np.all(np.abs(got - target) < 4 * se)
    path_var, score_var = est["pathwise"].variance(), est["score function"].variance()
    assert np.all(path_var[0] < score_var[0]) and np.all(path_var[1] < score_var[1])


def test_the_pathwise_terms_are_autograds_through_the_drawn_code():
    f, _ = quadratic(A, B)
    est = rp.estimate_gradients(f, M, S, n_draws=5, seed=3)["pathwise"]
    e = rp.draw_noise(5, 3, seed=3)
    m = torch.tensor(M, requires_grad=True)
    s = torch.tensor(S, requires_grad=True)
    # each draw's f(m + e^{s/2} e), differentiated in m and s
    for i in range(5):
        gm, gs = torch.autograd.grad(f((m + torch.exp(0.5 * s) * e[i])[None])[0], (m, s))
        np.testing.assert_allclose(est.grad_mean[i], gm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(est.grad_logvar[i], gs.numpy(), rtol=1e-12)


def test_the_score_function_terms_are_f_times_autograds_score():
    f, _ = quadratic(A, B)
    est = rp.estimate_gradients(f, M, S, n_draws=4, seed=1)["score function"]
    c = torch.tensor(M) + torch.exp(0.5 * torch.tensor(S)) * rp.draw_noise(4, 3, seed=1)
    m = torch.tensor(M, requires_grad=True)
    s = torch.tensor(S, requires_grad=True)
    for i in range(4):
        log_q = torch.distributions.Normal(m, torch.exp(0.5 * s)).log_prob(c[i]).sum()
        gm, gs = torch.autograd.grad(log_q, (m, s))
        value = float(f(c[i][None])[0])
        np.testing.assert_allclose(est.grad_mean[i], value * gm.numpy(), rtol=1e-10)
        np.testing.assert_allclose(est.grad_logvar[i], value * gs.numpy(), rtol=1e-10)


def test_the_estimates_repeat_with_the_seed_and_the_running_mean_ends_at_the_mean():
    f, _ = quadratic(A, B)
    a = rp.estimate_gradients(f, M, S, n_draws=50, seed=7)
    b = rp.estimate_gradients(f, M, S, n_draws=50, seed=7)
    for k in rp.ESTIMATORS:
        np.testing.assert_array_equal(a[k].grad_mean, b[k].grad_mean)
        assert a[k].running_mean(1)[-1] == pytest.approx(a[k].mean()[0][1])
        assert a[k].running_mean(2, wrt="logvar")[-1] == pytest.approx(a[k].mean()[1][2])


def test_on_a_decoder_the_estimators_agree_within_their_errors():
    images = moon_phases(6)
    model = Autoencoder(ModelConfig(kind="vae", input_dim=images.shape[1], latent_dim=2,
                                    hidden_dims=(8,)), seed=0)
    f = rp.decoder_log_likelihood(model, images[0])
    est = rp.estimate_gradients(f, [0.2, -0.1], [-1.0, -2.0], n_draws=20_000, seed=0)
    path, score = est["pathwise"], est["score function"]
    for p, q, sp, sq in zip(path.mean(), score.mean(), path.standard_error(),
                            score.standard_error()):
        assert np.all(np.abs(p - q) < 4 * np.sqrt(sp**2 + sq**2))
    assert not any(p.grad is not None for p in model.parameters())


def test_the_reference_is_the_pathwise_mean_and_is_read_back_from_the_cache(monkeypatch):
    images = moon_phases(6)
    model = Autoencoder(ModelConfig(kind="vae", input_dim=images.shape[1], latent_dim=2,
                                    hidden_dims=(8,)), seed=0)
    ref = rp.reference_gradient(model, images[0], [0.2, -0.1], [-1.0, -2.0], n_draws=3000, seed=4)
    f = rp.decoder_log_likelihood(model, images[0])
    expected = rp.estimate_gradients(f, [0.2, -0.1], [-1.0, -2.0], n_draws=3000,
                                     seed=4)["pathwise"].mean()
    for got, want in zip(ref, expected):
        np.testing.assert_array_equal(got, want)
    monkeypatch.setattr(rp, "estimate_gradients", lambda *a, **k: pytest.fail("estimated again"))
    for got, want in zip(rp.reference_gradient(model, images[0].clone(), [0.2, -0.1],
                                               [-1.0, -2.0], n_draws=3000, seed=4), expected):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="n_draws must be an integer in"):
        rp.reference_gradient(model, images[0], [0.2, -0.1], [-1.0, -2.0], n_draws=1, seed=4)


def test_bad_input_is_refused_naming_the_parameter():
    f, _ = quadratic(A, B)
    with pytest.raises(ValueError, match="n_draws"):
        rp.estimate_gradients(f, M, S, n_draws=1, seed=0)
    with pytest.raises(ValueError, match=r"logvar must have the shape of mean \(3,\)"):
        rp.estimate_gradients(f, M, S[:2], n_draws=10, seed=0)
    with pytest.raises(ValueError, match="mean and logvar must be 1-D"):
        rp.estimate_gradients(f, [M], [S], n_draws=10, seed=0)
    with pytest.raises(ValueError, match="finite"):
        rp.estimate_gradients(f, [np.nan, 0, 0], S, n_draws=10, seed=0)
    with pytest.raises(TypeError, match="f must be callable"):
        rp.estimate_gradients(None, M, S, n_draws=10, seed=0)
    with pytest.raises(ValueError, match="one value per code"):
        rp.estimate_gradients(lambda c: c, M, S, n_draws=10, seed=0)
    with pytest.raises(ValueError, match="Bernoulli decoder"):
        rp.decoder_log_likelihood(Autoencoder(ModelConfig(kind="ae", input_dim=4, latent_dim=2)),
                                  np.zeros(4))


def test_the_estimator_figure_names_its_traces():
    from explainer.plots.anatomy import estimator_figure

    f, exact = quadratic(A, B)
    est = rp.estimate_gradients(f, M, S, n_draws=100, seed=0)
    fig = estimator_figure(est["pathwise"], est["score function"], float(exact(M, S)[0][1]),
                           dimension=1)
    names = {t.name: t for t in fig.data}
    assert set(names) == {"pathwise", "score function", "reference", "pathwise, d/dm",
                          "pathwise, d/ds", "score function, d/dm", "score function, d/ds"}
    np.testing.assert_allclose(names["pathwise"].y, est["pathwise"].running_mean(1))
    np.testing.assert_allclose(names["score function, d/ds"].y,
                               np.sqrt(est["score function"].variance()[1]))
