"""log p(x) by prior sampling and by importance sampling with the encoder: both against
exact answers (a linear-Gaussian VAE in closed form, a 1-D-code Bernoulli VAE by
quadrature) and against each other."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from explainer import image_elbo
from explainer import marginal_likelihood as ml
from explainer.models import Autoencoder, ModelConfig
from explainer.plots import marginal_likelihood as ml_plots
from explainer.train import History, TrainedModel

W = torch.tensor([[0.8], [-0.5]])
B = torch.tensor([0.3, -0.2])


def linear_gaussian_vae(*, exact_encoder: bool) -> Autoencoder:
    """x = W z + b + N(0, I), z ~ N(0, 1): p(x) = N(b, W W^T + I). With ``exact_encoder``
    the encoder outputs the true posterior N(v W^T (x - b), v), v = 1 / (1 + W^T W)."""
    model = Autoencoder(ModelConfig(kind="vae", input_dim=2, latent_dim=1, hidden_dims=(),
                                    likelihood="gaussian"), seed=0)
    with torch.no_grad():
        model.decoder[0].weight.copy_(W)
        model.decoder[0].bias.copy_(B)
        if exact_encoder:
            v = 1.0 / (1.0 + float(W.T @ W))
            encoder = model.encoder[0]
            encoder.weight.copy_(torch.stack([v * W[:, 0], torch.zeros(2)]))
            encoder.bias.copy_(torch.tensor([-v * float(W[:, 0] @ B), math.log(v)]))
    return model


def exact_log_marginal(x: torch.Tensor) -> torch.Tensor:
    return MultivariateNormal(B.double(), (W @ W.T + torch.eye(2)).double()).log_prob(x.double())


def observations(n: int = 5, seed: int = 1) -> torch.Tensor:
    return torch.randn((n, 2), generator=torch.Generator().manual_seed(seed)) * 1.5


def test_prior_weights_are_the_decoder_likelihood_of_prior_draws():
    model = linear_gaussian_vae(exact_encoder=False)
    x = observations(3)
    log_w = ml.log_prior_weights(model, x, n_samples=4, seed=7, chunk_size=3)
    z = torch.randn((3 * 4, 1), generator=torch.Generator().manual_seed(7))
    mean = (z @ W.T + B).reshape(3, 4, 2)
    # log p(x|z) = log N(x; W z + b, I)
    expected = Normal(mean, 1.0).log_prob(x[:, None, :]).sum(dim=2)
    torch.testing.assert_close(log_w, expected.double(), rtol=0, atol=1e-5)


def test_prior_sampling_converges_to_the_exact_log_marginal():
    model = linear_gaussian_vae(exact_encoder=False)
    x = observations()
    log_w = ml.log_prior_weights(model, x, n_samples=20_000, seed=0)
    estimate = image_elbo.importance_sampled_log_likelihood(log_w, k=20_000)
    torch.testing.assert_close(estimate, exact_log_marginal(x), rtol=0, atol=0.03)


def test_the_exact_posterior_as_proposal_gives_log_p_x_at_every_k():
    """With q = p(z|x) every weight p(x|z) p(z) / q(z|x) equals p(x): zero variance."""
    model = linear_gaussian_vae(exact_encoder=True)
    x = observations()
    result = ml.compare_estimators(model, x, ks=(1, 10, 100), n_samples=100, seeds=(0, 1))
    exact = exact_log_marginal(x).numpy()
    for i in range(3):
        np.testing.assert_allclose(result.estimates["encoder"][:, :, i],
                                   np.broadcast_to(exact, (2, 5)), atol=1e-4)
    np.testing.assert_allclose(result.ess["encoder"], 100.0, rtol=1e-6)
    # the prior is a worse proposal: fewer effective draws, and a lower estimate at K = 1
    assert (result.ess["prior"] < 100.0).all()
    assert (result.mean("prior")[0] < result.mean("encoder")[0])


def one_d_bernoulli_vae() -> Autoencoder:
    return Autoencoder(ModelConfig(kind="vae", input_dim=6, latent_dim=1, hidden_dims=(8,)),
                       seed=3)


def quadrature_log_marginal(model: Autoencoder, x: torch.Tensor) -> torch.Tensor:
    """log p(x) = log of the integral of p(x|z) N(z; 0, 1) over z, by the trapezoid rule."""
    z = torch.linspace(-9.0, 9.0, 20_001)
    with torch.no_grad():
        logits = model.decode_logits(z[:, None])  # (G, D)
    log_lik = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits[None, :, :].expand(x.shape[0], -1, -1), x[:, None, :].expand(-1, z.shape[0], -1),
        reduction="none").sum(dim=2).double()  # (n, G)
    log_prior = Normal(0.0, 1.0).log_prob(z).double()
    log_dz = torch.full_like(log_prior, math.log(float(z[1] - z[0])))
    log_dz[[0, -1]] -= math.log(2.0)
    return torch.logsumexp(log_lik + log_prior + log_dz, dim=1)


def test_both_estimators_agree_with_quadrature_and_with_each_other():
    model = one_d_bernoulli_vae()
    x = torch.rand((4, 6), generator=torch.Generator().manual_seed(0))
    exact = quadrature_log_marginal(model, x).numpy()
    result = ml.compare_estimators(model, x, ks=(1, 100, 5000), n_samples=5000, seeds=(0, 1, 2))
    prior, encoder = result.estimates["prior"][:, :, -1], result.estimates["encoder"][:, :, -1]
    np.testing.assert_allclose(prior.mean(axis=0), exact, atol=0.02)
    np.testing.assert_allclose(encoder.mean(axis=0), exact, atol=0.02)
    np.testing.assert_allclose(result.difference(k=5000), 0.0, atol=0.03)
    # Jensen: the K-sample estimates sit below log p(x) on average and rise with K
    for name in ml.ESTIMATORS:
        curve = result.mean(name)
        assert curve[0] < curve[1] < curve[2] + 1e-3
        assert curve[0] < exact.mean()


def test_same_seed_same_weights_other_seed_other_weights():
    model = one_d_bernoulli_vae()
    x = torch.rand((3, 6), generator=torch.Generator().manual_seed(1))
    a = ml.log_prior_weights(model, x, n_samples=50, seed=4)
    torch.testing.assert_close(a, ml.log_prior_weights(model, x, n_samples=50, seed=4))
    assert not torch.equal(a, ml.log_prior_weights(model, x, n_samples=50, seed=5))


def test_decoding_in_blocks_bounds_memory_without_changing_the_weights(monkeypatch):
    model = one_d_bernoulli_vae()
    x = torch.rand((3, 6), generator=torch.Generator().manual_seed(2))
    whole = ml.log_prior_weights(model, x, n_samples=40, seed=0, chunk_size=3)
    monkeypatch.setattr(ml, "MAX_DECODES", 7)
    torch.testing.assert_close(ml.log_prior_weights(model, x, n_samples=40, seed=0, chunk_size=3),
                               whole, rtol=0, atol=1e-5)


def test_effective_sample_size():
    log_w = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, -50.0, -50.0, -50.0], [1.0, 2.0, 3.0, 4.0]],
                         dtype=torch.float64)
    w = log_w.exp()
    expected = w.sum(dim=1) ** 2 / (w**2).sum(dim=1)
    ess = ml.effective_sample_size(log_w)
    torch.testing.assert_close(ess, expected)
    assert ess[0] == pytest.approx(4.0) and ess[1] == pytest.approx(1.0)


def test_kl_to_prior_matches_torch_distributions():
    model = one_d_bernoulli_vae()
    x = torch.rand((5, 6), generator=torch.Generator().manual_seed(3))
    mean, logvar = model.encode(x)
    expected = kl_divergence(Normal(mean, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(ml.kl_to_prior(model, x), expected.double().detach(),
                               rtol=1e-5, atol=1e-6)


def test_cached_comparison_is_stored_and_read_back(isolated_cache):
    model = one_d_bernoulli_vae()
    trained = TrainedModel(model, History(), False, "test-key")
    x = torch.rand((3, 6), generator=torch.Generator().manual_seed(4))
    first = ml.cached_comparison(trained, x, ks=(1, 10), n_samples=20, seeds=(0, 1))
    assert list((isolated_cache / "arrays").glob("*.npz"))
    second = ml.cached_comparison(trained, x, ks=(1, 10), n_samples=20, seeds=(0, 1))
    for name in ml.ESTIMATORS:
        np.testing.assert_array_equal(first.estimates[name], second.estimates[name])
        np.testing.assert_array_equal(first.ess[name], second.ess[name])
    np.testing.assert_array_equal(first.kl_prior, second.kl_prior)
    assert second.ks == (1, 10) and second.seeds == (0, 1) and second.latent_dim == 1


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(ks=(10, 1)), ValueError, "ks must be strictly increasing"),
        (dict(ks=(1, 30), n_samples=20), ValueError, "ks[1] must be an integer in [1, 20]"),
        (dict(ks=()), ValueError, "ks must hold"),
        (dict(seeds=(0, 0)), ValueError, "seeds must be distinct"),
        (dict(seeds=(-1,)), ValueError, "seeds[0] must be an integer in [0, inf]"),
        (dict(n_samples=0), ValueError, "n_samples must be an integer in [1, 100000]"),
        (dict(chunk_size=0), ValueError, "chunk_size must be an integer in [1, inf]"),
    ],
)
def test_bad_input_is_refused(kwargs, exc, words):
    model = one_d_bernoulli_vae()
    x = torch.rand((2, 6))
    with pytest.raises(exc) as err:
        ml.compare_estimators(model, x, **{"ks": (1, 10), "n_samples": 20, **kwargs})
    assert words in str(err.value)


def test_a_non_vae_and_bad_digits_are_refused():
    ae = Autoencoder(ModelConfig(kind="ae", input_dim=6, latent_dim=1, hidden_dims=(4,)))
    with pytest.raises(ValueError, match="kind 'vae'"):
        ml.log_prior_weights(ae, torch.rand((2, 6)), n_samples=3, seed=0)
    with pytest.raises(ValueError, match="digits"):
        ml.compare_estimators(one_d_bernoulli_vae(), torch.full((2, 6), 2.0), ks=(1,), n_samples=2)
    with pytest.raises(ValueError, match="estimator must be one of"):
        ml.EstimatorComparison(1, (1,), (0,), 1, {}, {}, np.zeros(1)).mean("posterior")


def test_figure_names_every_curve():
    ks = [1, 10, 100]
    means = {"prior": np.array([[-3.0, -2.0, -1.5], [-9.0, -6.0, -4.0]]),
             "encoder": np.array([[-1.6, -1.5, -1.4], [-1.2, -1.1, -1.0]])}
    spreads = {name: np.full((2, 3), 0.1) for name in means}
    fig = ml_plots.estimates_against_k_figure(ks, latent_dims=[2, 8], means=means, spreads=spreads)
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {ml_plots.trace_name(e, d) for e in means for d in (2, 8)}
    prior_8 = by_name[ml_plots.trace_name("prior", 8)]
    assert list(prior_8.x) == ks and list(prior_8.y) == [-9.0, -6.0, -4.0]
    assert list(prior_8.error_y.array) == [0.1, 0.1, 0.1]
    with pytest.raises(ValueError, match="must have shape"):
        ml_plots.estimates_against_k_figure(ks, latent_dims=[2], means=means, spreads=spreads)


def test_summary_and_figure_inputs_round_what_they_show():
    model = one_d_bernoulli_vae()
    x = torch.rand((4, 6), generator=torch.Generator().manual_seed(5))
    result = ml.compare_estimators(model, x, ks=(1, 10, 100), n_samples=100, seeds=(0, 1))
    text = ml.summary(result, ks=(1, 100))
    assert "1-D code, 4 digits, 2 seeds" in text and "K = 100" in text
    assert f"{result.mean('prior')[2]:.1f}" in text and f"{result.mean('encoder')[0]:.1f}" in text
    inputs = ml.figure_inputs([result, result])
    assert inputs["latent_dims"] == [1, 1] and inputs["ks"] == [1, 10, 100]
    np.testing.assert_array_equal(inputs["means"]["prior"][0], np.round(result.mean("prior"), 2))
    fig = ml_plots.estimates_against_k_figure(**inputs)
    assert len(fig.data) == 4
    with pytest.raises(ValueError, match="among the comparison's"):
        ml.summary(result, ks=(1, 30))
    assert ml.log_samples_needed(math.log(1000.0)) == pytest.approx(3.0)


# ----------------------------------------------------------------- one digit's weights at K
def test_one_digits_weights_at_k_against_numpy():
    log_w = 3 * torch.randn((3, 200), generator=torch.Generator().manual_seed(5),
                            dtype=torch.float64)
    dw = ml.DigitImportanceWeights(log_w, digit=1, ks=(1, 10, 200))
    row = log_w[1].numpy()
    for k in (1, 7, 10, 200):
        first = dw.first(k)
        # independent: w_i = exp(log w_i), in plain numpy (the values are small enough)
        w = np.exp(row[:k])
        np.testing.assert_allclose(first.normalised, w / w.sum())
        np.testing.assert_allclose(10 ** first.log10_normalised, w / w.sum())
        assert first.ess == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
        assert first.estimate == pytest.approx(math.log(w.mean()))
        assert 1.0 - 1e-9 <= first.ess <= k + 1e-9
        assert dw.histogram(k).sum() == k
        np.testing.assert_allclose(dw.shares(k), dw.histogram(k) / k)
    # K = 1 averaged over every group is the ELBO; K = N is the estimate from every draw
    assert dw.mean_estimates_[0] == pytest.approx(row.mean()) == pytest.approx(dw.elbo_)
    assert dw.mean_estimates_[-1] == pytest.approx(math.log(np.exp(row).mean()))
    assert dw.best_estimate_ == pytest.approx(dw.mean_estimates_[-1])
    np.testing.assert_allclose(dw.ess_, [dw.first(k).ess for k in (1, 10, 200)])
    # the bins reach from below the smallest normalised weight up to 0, half a decade each
    assert dw.bin_edges_[-1] == 0.0 and dw.bin_edges_[0] <= dw.first(200).log10_normalised.min()
    np.testing.assert_allclose(np.diff(dw.bin_edges_), 0.5)
    # the single weight of K = 1 is 1: the last bin
    assert dw.histogram(1)[-1] == 1
    low, high = dw.estimate_range()
    assert low <= min(dw.elbo_, dw.first(1).estimate) and high >= dw.best_estimate_


def test_equal_weights_count_fully():
    dw = ml.DigitImportanceWeights(torch.full((1, 50), -3.0), ks=(1, 50))
    assert dw.first(50).ess == pytest.approx(50.0)
    assert dw.first(50).estimate == pytest.approx(-3.0)
    assert dw.bin_edges_[0] <= -math.log10(50)


@pytest.mark.parametrize("kwargs, words", [
    (dict(digit=3), r"digit must be an integer in \[0, 2\]"),
    (dict(ks=(10, 1)), "strictly increasing"),
    (dict(ks=(1, 500)), r"ks\[1\]"),
])
def test_one_digits_weights_refuse_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ml.DigitImportanceWeights(torch.zeros(3, 100), **kwargs)
    with pytest.raises(ValueError, match="must not hold NaN"):
        ml.DigitImportanceWeights(torch.full((1, 5), float("nan")), ks=(1,))
    with pytest.raises(ValueError, match="finite"):
        ml.DigitImportanceWeights(torch.full((1, 5), float("-inf")), ks=(1,))
