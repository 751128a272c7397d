"""The hand-derived backward pass against autograd, number for number, for every kind of
model in the family, both likelihoods, a KL weight, and a deeper MLP."""

import pytest
import torch
from torch import nn

from explainer.backprop import objective_gradients
from explainer.models import Autoencoder, ModelConfig

CONFIGS = {
    "vae": ModelConfig(kind="vae", input_dim=12, latent_dim=3, hidden_dims=(16,)),
    "vae-beta-0.3-two-hidden": ModelConfig(kind="vae", input_dim=12, latent_dim=2,
                                           hidden_dims=(16, 8), beta=0.3),
    "vae-gaussian": ModelConfig(kind="vae", input_dim=12, latent_dim=3, hidden_dims=(16,),
                                likelihood="gaussian"),
    "vae-beta-0": ModelConfig(kind="vae", input_dim=12, latent_dim=3, hidden_dims=(16,), beta=0.0),
    "noisy-ae": ModelConfig(kind="noisy_ae", input_dim=12, latent_dim=2, hidden_dims=(16,),
                            noise_scale=0.5),
    "noisy-ae-with-kl": ModelConfig(kind="noisy_ae", input_dim=12, latent_dim=2, hidden_dims=(16,),
                                    noise_scale=0.3, beta=1.0),
    "ae": ModelConfig(kind="ae", input_dim=12, latent_dim=2, hidden_dims=(16, 8)),
    "ae-no-hidden": ModelConfig(kind="ae", input_dim=12, latent_dim=2, hidden_dims=()),
    "linear-ae": ModelConfig(kind="linear_ae", input_dim=12, latent_dim=2),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_gradients_and_terms_equal_autograds(name):
    cfg = CONFIGS[name]
    g = torch.Generator().manual_seed(3)
    x = torch.rand(10, cfg.input_dim, generator=g)
    eps = torch.randn(10, cfg.latent_dim, generator=g) if cfg.stochastic else None
    model = Autoencoder(cfg, seed=1)

    terms = model.loss_terms(x, eps=eps)
    terms.objective.mean().backward()
    expected = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)

    by_hand = objective_gradients(model, x, eps=eps)
    for field in ("reconstruction", "kl", "total", "objective"):
        torch.testing.assert_close(getattr(by_hand, field), getattr(terms, field).detach())
    for (pname, p), want in zip(model.named_parameters(), expected):
        torch.testing.assert_close(p.grad, want, rtol=1e-4, atol=1e-6,
                                   msg=lambda m, pname=pname: f"{pname}: {m}")


def test_gradients_are_overwritten_not_accumulated():
    cfg = CONFIGS["vae"]
    model = Autoencoder(cfg, seed=0)
    x = torch.rand(6, cfg.input_dim, generator=torch.Generator().manual_seed(0))
    eps = torch.zeros(6, cfg.latent_dim)
    objective_gradients(model, x, eps=eps)
    once = [p.grad.clone() for p in model.parameters()]
    objective_gradients(model, x, eps=eps)
    for p, first in zip(model.parameters(), once):
        assert torch.equal(p.grad, first)


def test_a_noisy_code_needs_its_noise():
    model = Autoencoder(CONFIGS["vae"])
    with pytest.raises(ValueError, match=r"eps must be given .*\(4, 3\)"):
        objective_gradients(model, torch.rand(4, 12))


def test_an_mlp_of_other_layers_is_refused():
    model = Autoencoder(CONFIGS["ae"])
    model.encoder[1] = nn.Tanh()
    with pytest.raises(TypeError, match="Linear layers with a ReLU"):
        objective_gradients(model, torch.rand(4, 12))
