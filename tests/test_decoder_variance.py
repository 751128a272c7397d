"""The Gaussian decoder's variance (ModelConfig.decoder_variance): every existing model's
settings and cache key unchanged, its loss and hand-derived gradient against torch, and the
grid of (variance, KL weight) models with its widget."""

import math

import pytest
import torch
from torch.distributions import Normal

from explainer import decoder_variance as dv
from explainer.backprop import objective_gradients
from explainer.data import moon_phases
from explainer.losses import reconstruction_nll, reconstruction_nll_grad
from explainer.models import Autoencoder, ModelConfig
from explainer.train import TrainedModel, TrainingConfig, fit
from explainer.widgets.anatomy import DecoderVarianceExplorer

SMALL = ModelConfig(kind="vae", input_dim=12, latent_dim=3, hidden_dims=(16,),
                    likelihood="gaussian")


def test_the_default_variance_leaves_every_config_dict_and_so_every_cache_key_as_before():
    for cfg in (ModelConfig(), ModelConfig(kind="linear_ae", latent_dim=3), SMALL,
                ModelConfig(kind="noisy_ae", noise_scale=0.5, beta=1.0)):
        assert "decoder_variance" not in cfg.to_dict()
        assert cfg.replace().to_dict() == cfg.to_dict()
    assert SMALL.replace(decoder_variance=0.1).to_dict()["decoder_variance"] == 0.1


def test_a_bad_variance_is_refused_with_its_range_and_the_bernoulli_decoder_has_none():
    with pytest.raises(ValueError, match="decoder_variance"):
        SMALL.replace(decoder_variance=0.0)
    with pytest.raises(ValueError, match="decoder_variance"):
        SMALL.replace(decoder_variance=math.nan)
    with pytest.raises(ValueError, match="'gaussian' only"):
        ModelConfig(decoder_variance=0.1)
    with pytest.raises(ValueError, match="gaussian likelihood only"):
        reconstruction_nll("bernoulli", torch.zeros(1, 2), torch.zeros(1, 2), variance=0.5)


def test_the_gaussian_nll_with_a_variance_is_torchs_normal_log_density():
    g = torch.Generator().manual_seed(0)
    x, mean = torch.rand(4, 12, generator=g), torch.rand(4, 12, generator=g)
    for variance in (0.01, 0.3, 1.0, 7.0):
        want = -Normal(mean.double(), math.sqrt(variance)).log_prob(x.double()).sum(dim=1)
        got = reconstruction_nll("gaussian", mean, x, variance=variance)
        torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-4)
        # SSE / (2 sigma^2) + (D / 2) log(2 pi sigma^2)
        sse = (x - mean).pow(2).sum(dim=1)
        torch.testing.assert_close(got, sse / (2 * variance) + 6 * math.log(2 * math.pi * variance))


def test_the_gradient_in_the_decoders_output_is_autograds():
    g = torch.Generator().manual_seed(1)
    x, mean = torch.rand(3, 12, generator=g), torch.rand(3, 12, generator=g).requires_grad_(True)
    reconstruction_nll("gaussian", mean, x, variance=0.2).sum().backward()
    torch.testing.assert_close(reconstruction_nll_grad("gaussian", mean.detach(), x, variance=0.2),
                               mean.grad)


@pytest.mark.parametrize("variance", [0.05, 1.0, 4.0])
def test_backprop_by_hand_equals_autograd_with_a_decoder_variance(variance):
    cfg = SMALL.replace(decoder_variance=variance, beta=0.7)
    g = torch.Generator().manual_seed(3)
    x, eps = torch.rand(10, 12, generator=g), torch.randn(10, 3, generator=g)
    model = Autoencoder(cfg, seed=1)
    terms = model.loss_terms(x, eps=eps)
    terms.objective.mean().backward()
    expected = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    by_hand = objective_gradients(model, x, eps=eps)
    torch.testing.assert_close(by_hand.objective, terms.objective.detach())
    for p, want in zip(model.parameters(), expected):
        torch.testing.assert_close(p.grad, want, rtol=1e-4, atol=1e-6)


def test_the_objective_of_variance_and_weight_is_a_constant_multiple_of_its_partners():
    # SSE / (2 sigma^2) + KL  =  (sigma0^2 / sigma^2) (SSE / (2 sigma0^2) + (sigma^2 / sigma0^2) KL)
    g = torch.Generator().manual_seed(4)
    x, eps = torch.rand(6, 12, generator=g), torch.randn(6, 3, generator=g)
    a = Autoencoder(SMALL.replace(decoder_variance=0.01, beta=1.0), seed=0)
    b = Autoencoder(SMALL.replace(decoder_variance=0.1, beta=0.1), seed=0)
    ta, tb = a.loss_terms(x, eps=eps), b.loss_terms(x, eps=eps)
    sse = (x - a._forward(x, eps=eps)[0]).pow(2).sum(dim=1)
    torch.testing.assert_close(ta.objective - sse / 0.02, ta.kl + 6 * math.log(2 * math.pi * 0.01),
                               rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(ta.objective - 6 * math.log(2 * math.pi * 0.01),
                               10 * (tb.objective - 6 * math.log(2 * math.pi * 0.1)),
                               rtol=1e-4, atol=1e-3)


@pytest.fixture(scope="module")
def small_grid():
    images = moon_phases(12)
    cfg = ModelConfig(kind="vae", input_dim=images.shape[1], latent_dim=2, hidden_dims=(16,),
                      likelihood="gaussian")
    out = {}
    for variance, beta in ((0.01, 1.0), (0.1, 0.1), (0.1, 1.0), (1.0, 1.0), (0.1, 10.0)):
        result = fit(Autoencoder(cfg.replace(decoder_variance=variance, beta=beta), seed=0), images,
                     training=TrainingConfig(epochs=3, batch_size=4))
        out[variance, beta] = TrainedModel(result.model, result.history, False,
                                           f"t{variance}-{beta}")
    return dv.VarianceWeightGrid(out, images), images


def test_the_grid_finds_the_models_with_the_same_product(small_grid):
    grid, _ = small_grid
    assert (grid.variance, grid.beta) == (0.1, 1.0)
    grid.select(0.01, 1.0)
    assert [(p.variance, p.beta) for p in grid.equivalents()] == [(0.1, 0.1)]
    pairs = [((a.variance, a.beta), (b.variance, b.beta)) for a, b in grid.pairs()]
    assert pairs == [((0.01, 1.0), (0.1, 0.1)), ((1.0, 1.0), (0.1, 10.0))]
    with pytest.raises(ValueError, match="no model trained at variance=0.3"):
        grid.select(0.3, 1.0)


def test_rate_and_distortion_are_the_kl_and_the_squared_error(small_grid):
    # recomputed here from the model with the same seeded draw
    images = moon_phases(12)
    cfg = ModelConfig(kind="vae", input_dim=images.shape[1], latent_dim=2, hidden_dims=(16,),
                      likelihood="gaussian", decoder_variance=0.1)
    model = fit(Autoencoder(cfg, seed=0), images,
                training=TrainingConfig(epochs=2, batch_size=4)).model
    got = dv.measure(TrainedModel(model, None, False, "t"), images, seed=5)
    with torch.no_grad():
        m, s = model.encode(images)
        e = torch.randn(m.shape, generator=torch.Generator().manual_seed(5))
        c = m + torch.exp(0.5 * s) * e
        sse = (images - model.decode(c)).pow(2).sum(dim=1).mean()
        kl = 0.5 * (s.exp() - 1 - s + m**2).sum(dim=1).mean()
    assert got.distortion == pytest.approx(float(sse), rel=1e-5)
    assert got.rate == pytest.approx(float(kl), rel=1e-5)
    with pytest.raises(ValueError, match="Gaussian decoder"):
        ae = Autoencoder(ModelConfig(input_dim=images.shape[1], latent_dim=2, hidden_dims=(4,)))
        dv.measure(TrainedModel(ae, None, False, "b"), images)


def test_the_grid_measures_each_model(small_grid):
    grid, images = small_grid
    p = grid.select(0.1, 1.0)
    assert p.variance == 0.1 and p.beta == 1.0 and p.product == pytest.approx(0.1)
    assert p.rate > 0 and p.distortion > 0 and p.reconstructions.shape == (8, images.shape[1])


def test_the_widget_follows_both_sliders_by_trace_name(small_grid):
    grid, _ = small_grid
    grid.select(0.1, 1.0)
    w = DecoderVarianceExplorer(grid)
    trace = {t.name: t for t in w.fig.data}
    assert set(trace) == {"grid models", "same sigma^2 beta", "selected model", "reconstructions"}
    assert len(trace["grid models"].x) == 5
    w.variance.value = 0.01
    point = grid.points[0.01, 1.0]
    assert trace["selected model"].x == (point.rate,)
    assert trace["same sigma^2 beta"].x == (grid.points[0.1, 0.1].rate,)
    assert "sigma^2=0.01, beta=1" in w.fig.layout.title.text
    w.variance.value = 1.0
    with pytest.raises(ValueError, match="no model trained"):
        w.beta.value = 10.0  # not trained: the error is shown on the page too
    assert "no model trained" in str(w.errors.outputs)
    with pytest.raises(TypeError, match="VarianceWeightGrid"):
        DecoderVarianceExplorer({})


def test_equivalents_of_a_given_point_leave_the_selection_alone(small_grid):
    grid, _ = small_grid
    grid.select(0.1, 1.0)
    point = grid.points[1.0, 1.0]
    assert [(p.variance, p.beta) for p in grid.equivalents(point)] == [(0.1, 10.0)]
    assert (grid.variance, grid.beta) == (0.1, 1.0)
