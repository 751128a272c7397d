"""Python time per slider change / button press of the lower-bound widgets (median of 25).

The exact model's sliders (BoundSplitExplorer) are the ones that must answer at once
(< 50 ms); the non-linear model's x slider refits two Gaussians and answers on release.

Usage: python benchmarks/lower_bound_sliders.py
Measures the kernel side only (computing and sending the update), not the browser redraw.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from explainer import image_elbo
from explainer.models import Autoencoder, ModelConfig
from explainer.widgets.lower_bound import (
    BoundSplitExplorer,
    EncoderDecoderAscent,
    ImportanceSamplingExplorer,
    NonlinearGapExplorer,
)

REPEATS = 25


def median_ms(action, values) -> float:
    times = []
    for i in range(REPEATS):
        value = values[i % len(values)]
        start = time.perf_counter()
        action(value)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    split = BoundSplitExplorer()
    rows = []
    for name, control, values in (
        ("BoundSplitExplorer: q mean", split.mean, np.linspace(-2, 2, 7)),
        ("BoundSplitExplorer: q log sigma", split.log_std, np.linspace(-2, 0.8, 7)),
        ("BoundSplitExplorer: observed x", split.x, np.linspace(-3, 3, 7)),
    ):
        rows.append((name, median_ms(lambda v, c=control: setattr(c, "value", float(v)), values)))
    ascent = EncoderDecoderAscent(np.random.default_rng(0).normal(1.5, 2.0, size=8))
    rows.append(("EncoderDecoderAscent: encoder step", median_ms(
        lambda _v: ascent.encoder_button.click(), [0])))
    rows.append(("EncoderDecoderAscent: decoder step", median_ms(
        lambda _v: ascent.decoder_button.click(), [0])))
    ascent.rounds.value = 5
    rows.append(("EncoderDecoderAscent: alternate (5 rounds)", median_ms(
        lambda _v: ascent.alternate_button.click(), [0])))
    vae = Autoencoder(ModelConfig(kind="vae", latent_dim=2, hidden_dims=(256,)))
    lw = image_elbo.log_importance_weights(vae, torch.zeros(10, 784), n_samples=1000, seed=0)
    sampler = ImportanceSamplingExplorer(lw)
    rows.append(("ImportanceSamplingExplorer: K", median_ms(
        lambda v: setattr(sampler.k, "value", v), [10, 100, 1000, 1, 50])))
    nonlinear = NonlinearGapExplorer()
    rows.append(("NonlinearGapExplorer: x (on release; two fits)", median_ms(
        lambda v: setattr(nonlinear.x, "value", float(v)), np.linspace(-0.5, 3.0, 8))))
    for name, ms in rows:
        print(f"{name:48s} median {ms:6.1f} ms")


if __name__ == "__main__":
    main()
