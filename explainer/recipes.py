"""The models the series shares, each a model and how it is trained.

The 2-D VAE on the 5k MNIST digits is the series' one 2-D VAE: notebook 04 maps it (at
every KL weight), 05 and 06 estimate its likelihood. It is what a live slider can
afford: about 4-5 s of training on a laptop core reaches a test -ELBO under 170 nats
(``benchmarks/vae_2d_budget.py``).
"""

from __future__ import annotations

from explainer.models import ModelConfig
from explainer.train import TrainingConfig

MNIST_2D_VAE = ModelConfig(kind="vae", input_dim=784, latent_dim=2, hidden_dims=(256,))
MNIST_2D_TRAINING = TrainingConfig(epochs=12, batch_size=128, lr=5e-3)
