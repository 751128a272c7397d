import math

import pytest
import torch

from explainer.models import Autoencoder, ModelConfig, reparameterize


def test_defaults_per_kind():
    assert ModelConfig(kind="vae").beta == 1.0
    assert ModelConfig(kind="ae").beta == 0.0
    lin = ModelConfig(kind="linear_ae", latent_dim=5)
    assert lin.hidden_dims == () and lin.likelihood == "gaussian"
    assert ModelConfig(kind="ae").hidden_dims == (400,)


def test_shapes_for_every_kind():
    x = torch.rand(6, 784)
    for kind, extra in [("ae", {}), ("noisy_ae", {"noise_scale": 0.5}), ("vae", {}),
                        ("linear_ae", {})]:
        m = Autoencoder(ModelConfig(kind=kind, latent_dim=3, hidden_dims=None, **extra))
        mean, logvar = m.encode(x)
        assert mean.shape == (6, 3)
        assert (logvar is None) == (kind in ("ae", "linear_ae"))
        decoded = m.decode(mean)
        assert decoded.shape == (6, 784)
        terms = m.loss_terms(x, generator=torch.Generator().manual_seed(0))
        assert terms.total.shape == (6,)


def test_noisy_ae_has_the_fixed_log_variance():
    m = Autoencoder(ModelConfig(kind="noisy_ae", latent_dim=2, noise_scale=0.3))
    _, logvar = m.encode(torch.rand(4, 784))
    # s = log(noise_scale^2)
    assert torch.allclose(logvar, torch.full((4, 2), 2 * math.log(0.3)))


def test_reparameterize_with_fixed_noise():
    mean = torch.tensor([[1.0, -2.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)]])
    eps = torch.tensor([[0.5, 1.0]])
    # c = m + exp(s / 2) * e
    assert torch.allclose(reparameterize(mean, logvar, eps), torch.tensor([[1.5, 0.0]]))


def test_same_seed_same_weights_and_other_seed_differs():
    cfg = ModelConfig(kind="vae", latent_dim=2, hidden_dims=(16,))
    a, b, c = Autoencoder(cfg, seed=3), Autoencoder(cfg, seed=3), Autoencoder(cfg, seed=4)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


def test_model_construction_leaves_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(8,)), seed=5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(kind="gan"), ValueError, "kind must be one of 'ae', 'noisy_ae', 'vae', 'linear_ae'"),
        (dict(latent_dim=0), ValueError, r"latent_dim must be an integer in \[1, 784\]"),
        (dict(latent_dim=2.0), TypeError, "latent_dim must be an integer"),
        (dict(beta=-1.0), ValueError, r"beta must be in \[0, inf\]"),
        (dict(beta=float("inf")), ValueError, "beta must be a finite number"),
        (dict(beta=float("nan")), ValueError, "beta must be a finite number"),
        (dict(kind="noisy_ae", noise_scale=-0.1), ValueError, r"noise_scale must be in \[0, 100\]"),
        (dict(kind="noisy_ae", noise_scale=float("nan")), ValueError,
         "noise_scale must be a finite"),
        (dict(kind="vae", noise_scale=0.5), ValueError, "noise_scale applies to kind='noisy_ae'"),
        (dict(kind="ae", beta=1.0), ValueError, "beta must be 0 for kind='ae'"),
        (dict(kind="noisy_ae", beta=1.0), ValueError, "needs noise_scale > 0"),
        (dict(kind="linear_ae", hidden_dims=(10,)), ValueError, "hidden_dims must be"),
        (dict(hidden_dims=(10, 0)), ValueError, r"hidden_dims\[1\]"),
        (dict(likelihood="poisson"), ValueError, "likelihood must be one of"),
    ],
)
def test_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        ModelConfig(**kwargs)


def test_replace_revalidates():
    cfg = ModelConfig(kind="vae", latent_dim=2)
    assert cfg.replace(beta=0.5).beta == 0.5
    with pytest.raises(ValueError, match="beta"):
        cfg.replace(beta=-2.0)
