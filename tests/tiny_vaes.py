"""Tiny VAEs at several KL weights on moon images, trained in a blink, for the tests of
what lies inside a VAE (anatomy, traversals)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from explainer.models import Autoencoder, ModelConfig
from explainer.train import TrainedModel, TrainingConfig, fit


def tiny_vaes(config: ModelConfig, images: torch.Tensor, betas: Iterable[float], *,
              epochs: int) -> dict[float, TrainedModel]:
    """One VAE per beta, seed 0, trained on ``images`` (also its test set)."""
    out = {}
    for beta in betas:
        result = fit(Autoencoder(config.replace(beta=beta), seed=0), images, x_test=images,
                     training=TrainingConfig(epochs=epochs, batch_size=4))
        out[beta] = TrainedModel(result.model, result.history, False, f"test-{beta}")
    return out
