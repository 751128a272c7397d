"""Time a slider change that retrains: from setting ``.value`` to the figure updated.

Usage: python benchmarks/moon_slider.py [--repeats N]

Each change trains a new 1-D-code model (150 full-batch Adam steps), measures the code
axis and copies every trace into the FigureWidget (what the browser receives). One
torch thread, as in a lecture on a 2-core laptop. Prints the median and the range per
slider, in seconds of Python time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from explainer.code_space import CodeSpaceSettings
from explainer.widgets.code_space import NoisyCodeExplainer, VAECodeExplainer


def time_changes(slider, values: list[float]) -> list[float]:
    seconds = []
    for value in values:
        start = time.perf_counter()
        slider.value = value
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="slider changes per case")
    args = parser.parse_args()
    torch.set_num_threads(1)
    noise_values = [0.1 * (3 + (i % 7) * 2) for i in range(args.repeats)]  # 0.3 ... 1.5
    beta_values = [0.25 * (1 + i % 6) for i in range(args.repeats)]  # 0.25 ... 1.5
    cases = []
    for training_set in ("two_moons", "phases"):
        noisy = NoisyCodeExplainer(CodeSpaceSettings(training_set, kind="noisy_ae",
                                                     noise_scale=0.5, beta=1.0))
        cases.append((f"noise scale, {training_set}", noisy.noise_scale, noise_values))
        cases.append((f"KL pull beta, {training_set}", noisy.beta, beta_values))
        vae = VAECodeExplainer(CodeSpaceSettings(training_set, kind="vae", beta=1.0))
        cases.append((f"VAE beta, {training_set}", vae.beta, beta_values))
    for name, slider, values in cases:
        seconds = time_changes(slider, [round(v, 2) for v in values])
        print(f"{name:28s} median {statistics.median(seconds):.3f} s "
              f"(min {min(seconds):.3f}, max {max(seconds):.3f}, n={len(seconds)})", flush=True)
    # the replay button: one whole animation, without the pauses between frames
    noisy = NoisyCodeExplainer(CodeSpaceSettings("two_moons", kind="noisy_ae", noise_scale=0.5,
                                                 beta=1.0), frame_delay=0.0)
    start = time.perf_counter()
    noisy.replay.click()
    print(f"{'replay (16 frames, no pauses)':28s} {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
