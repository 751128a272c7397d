"""How fast the series' 2-D VAE learns MNIST: seconds and test -ELBO epoch by epoch.

The live-slider budget: the preset (``explainer.recipes.MNIST_2D_VAE`` trained with
``MNIST_2D_TRAINING``) should reach a test -ELBO under 170 nats within 5 s on 2 cores.

    python benchmarks/vae_2d_budget.py [--threads 2] [--seeds 3]
"""

from __future__ import annotations

import argparse

import torch

from explainer.data import load_mnist
from explainer.models import Autoencoder
from explainer.recipes import MNIST_2D_TRAINING, MNIST_2D_VAE
from explainer.train import TrainingConfig, fit

TARGET = 170.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_mnist()
    opts = MNIST_2D_TRAINING
    print(f"{MNIST_2D_VAE}, {opts}, {args.threads} thread(s)")
    fit(Autoencoder(MNIST_2D_VAE), data.x_train[:256], training=TrainingConfig(epochs=1))  # warm-up
    for seed in range(args.seeds):
        result = fit(Autoencoder(MNIST_2D_VAE, seed=seed), data.x_train, x_test=data.x_test,
                     seed=seed, training=opts)
        h = result.history
        # training seconds only: evaluation of the test set after each epoch is excluded
        reached = next((i for i, t in enumerate(h.test_total) if t < TARGET), None)
        trail = ", ".join(f"{e}:{s:.1f}s/{t:.1f}" for e, s, t in
                          zip(h.epoch, h.seconds, h.test_total))
        print(f"seed {seed}: epoch:seconds/test -ELBO  {trail}")
        if reached is None:
            print(f"seed {seed}: did not reach {TARGET} nats in {len(h.epoch)} epochs")
        else:
            print(f"seed {seed}: test -ELBO {h.test_total[reached]:.1f} < {TARGET} after epoch "
                  f"{h.epoch[reached]}, {h.seconds[reached]:.2f} s (incl. per-epoch test passes); "
                  f"final {h.test_total[-1]:.1f} after {h.seconds[-1]:.2f} s")


if __name__ == "__main__":
    main()
