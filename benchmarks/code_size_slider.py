"""Python time per change of the PCA-against-autoencoders widgets (median of several).

    python benchmarks/code_size_slider.py
"""

from __future__ import annotations

import statistics

import torch

from explainer import compression
from explainer.data import load_mnist
from explainer.widgets.compression import CodeSizeExplorer, LinearAETrainer
from timing import seconds_per_change as timed


def main() -> None:
    torch.set_num_threads(1)
    data = load_mnist()
    comparison = compression.compare_code_sizes(data)  # trains once, then from the cache
    w = CodeSizeExplorer(comparison)
    ks = [1, 2, 3, 5, 8, 10, 16, 20, 30, 40, 50, 64, 7, 33]
    slider = timed(lambda k: setattr(w.k, "value", k), ks)
    print("CodeSizeExplorer.k (from the cache)  "
          f"median {statistics.median(slider) * 1000:6.1f} ms, "
          f"max {max(slider) * 1000:6.1f} ms over {len(ks)} moves")
    trainer = LinearAETrainer(data, k=10, reference=comparison.reference)
    press = timed(lambda _: trainer.train_button.click(), range(3))
    n_steps = compression.LINEAR_AE_TRAINING.n_steps
    print(f"LinearAETrainer train ({n_steps} steps, 21 redraws)  "
          f"median {statistics.median(press):.2f} s")


if __name__ == "__main__":
    main()
