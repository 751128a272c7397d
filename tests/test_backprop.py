"""The hand-written gradients equal autograd's, for every kind of model and likelihood."""

import pytest
import torch

from explainer.backprop import objective_and_gradients
from explainer.models import Autoencoder, ModelConfig

CASES = [
    dict(kind="vae", latent_dim=3, hidden_dims=(16, 8)),
    dict(kind="vae", latent_dim=2, hidden_dims=(16,), beta=0.3),
    dict(kind="vae", latent_dim=2, hidden_dims=(16,), beta=0.0),
    dict(kind="vae", latent_dim=2, hidden_dims=(), likelihood="gaussian"),
    dict(kind="noisy_ae", latent_dim=2, hidden_dims=(16,), noise_scale=0.4),
    dict(kind="noisy_ae", latent_dim=2, hidden_dims=(16,), noise_scale=0.4, beta=2.0),
    dict(kind="noisy_ae", latent_dim=2, hidden_dims=(16,), noise_scale=0.0),
    dict(kind="ae", latent_dim=1, hidden_dims=(16,)),
    dict(kind="ae", latent_dim=4, hidden_dims=(32, 16), likelihood="gaussian"),
    dict(kind="linear_ae", latent_dim=3),
]


@pytest.mark.parametrize("fields", CASES, ids=lambda f: "-".join(f"{v}" for v in f.values()))
def test_gradients_match_autograd(fields):
    cfg = ModelConfig(input_dim=20, **fields)
    model = Autoencoder(cfg, seed=1).double()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(7, 20, generator=g, dtype=torch.float64)
    eps = torch.randn(7, cfg.latent_dim, generator=g, dtype=torch.float64) if cfg.stochastic else None

    terms = model.loss_terms(x, eps=eps)
    terms.objective.mean().backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = None

    sums = objective_and_gradients(model, x, eps)
    assert torch.allclose(sums[0], terms.reconstruction.sum().detach(), rtol=1e-12)
    assert torch.allclose(sums[1], terms.kl.sum().detach(), rtol=1e-12, atol=1e-12)
    assert torch.allclose(sums[2], terms.total.sum().detach(), rtol=1e-12)
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, expected[name], rtol=1e-10, atol=1e-12), name
