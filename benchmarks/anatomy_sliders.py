"""Python time per change of the inside-the-VAE widgets (median of several changes).

    python benchmarks/anatomy_sliders.py
"""

from __future__ import annotations

import torch

from explainer import anatomy, decoder_variance
from explainer.data import load_mnist
from explainer.widgets.anatomy import DecoderVarianceExplorer, DiagramExplorer, KLWeightExplorer
from timing import median_ms as timed


def main() -> None:
    torch.set_num_threads(1)
    data = load_mnist()
    grid = anatomy.train_beta_grid(data)  # trains once, then from the cache
    kl = KLWeightExplorer(grid, data.x_test)
    w = DiagramExplorer(grid[1.0].model, data.x_test, data.y_test)
    dv = DecoderVarianceExplorer(decoder_variance.VarianceWeightGrid(
        decoder_variance.train_variance_grid(data), data.x_test))  # trains once, then cached
    rows = {
        "KLWeightExplorer.beta (a cached weight)": timed(
            lambda b: setattr(kl.beta, "value", b), list(anatomy.BETA_GRID) * 3),
        "DiagramExplorer.digit": timed(lambda i: setattr(w.digit, "value", i), range(1, 8)),
        "DiagramExplorer draw new noise": timed(lambda _: w.resample.click(), range(7)),
        "DiagramExplorer.e slider": timed(lambda v: setattr(w.e_value, "value", v),
                                          [-2.0, -1.0, 0.0, 1.0, 2.0, 0.5, -0.5]),
        "DecoderVarianceExplorer.variance (cached)": timed(
            lambda v: setattr(dv.variance, "value", v), list(decoder_variance.VARIANCE_GRID) * 3),
        "DecoderVarianceExplorer.beta (cached)": timed(
            lambda b: setattr(dv.beta, "value", b), list(decoder_variance.WEIGHT_GRID) * 3),
    }
    for name, ms in rows.items():
        print(f"{name:<42} median {ms:6.1f} ms")

if __name__ == "__main__":
    main()
