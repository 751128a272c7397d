"""Latent maps: Python time per cached slider change, and a live retrain's first streamed update.

    python benchmarks/latent_map_sliders.py

Trains (once, then from the cache) the default grid. The retrain runs in the background
as in the notebook; "first update" is the time from setting an off-grid slider value
to the first epoch's state drawn into the figure.

Measured with this script (Python time in the kernel, median of several changes; the
browser's redraw comes on top) on a 2-core machine shared with other work, 1 December 2026,
after the latent maps became a plain class (``explainer.latent_maps.LatentMaps``) under a
thin widget; in parentheses the tree before that change (``0ffc682``), run just before it:

| change | Python time (median) |
|---|---|
| beta slider, a cached value | 8.9 ms (5.7 ms) |
| noise slider, a cached value | 7.7 ms (7.1 ms) |
| top model AE <-> noisy AE | 6.6 ms (5.6 ms) |
| posterior ellipses on/off | 0.5 ms (0.4 ms) |
| a click on the plane (both models decode it) | 2.7 ms (2.6 ms) |
| a stroke on the drawing pad (encode, reconstruct, both maps) | 4.5 ms (8.6 ms) |
| an off-grid beta: first streamed epoch of the live retrain | 0.29 s (0.27 s) |
| an off-grid beta: the 6-epoch retrain finished | 1.7 s (1.7 s) |

Every cached model's map, decoded grid and hole meter are measured once when the widget
is built (1.3 s in this run with the models cached, 1.7 s before); a slider then only sends the
stored arrays. A live retrain pays one epoch on the 4,000 digits plus the map and the
hole meter of the new state before the first picture. The script also checks that the
live model is not a makeshift: continued for 6 epochs from the nearest cached VAE, it
reached a test objective E[-log p(x|z)] + beta KL of 162.5, 164.7 and 170.4 nats at
beta = 0.2, 0.5 and 2, against 164.2, 166.1 and 173.2 for VAEs trained from scratch at
those values for the grid's 12 epochs (the live ones have had 18 epochs in all; the
earlier run: 162.1, 164.0, 170.4 against 163.9, 165.9, 173.5).
"""

from __future__ import annotations

import statistics
import threading
import time

import torch

from explainer import hole_meter as holes
from explainer import map_models as maps
from explainer.data import load_mnist
from explainer.train import evaluate
from explainer.widgets.latent_maps import LatentMapExplorer
from timing import median_ms as timed


def first_update(w: LatentMapExplorer, value: float) -> tuple[float, float]:
    """Seconds to the first streamed state and to the finished model, for beta = ``value``."""
    w.live_models.pop(("vae", value), None)
    first = threading.Event()
    original = w.maps.listener

    def spy(row, state):
        original(row, state)
        if row == 1 and "epoch" in state.note:
            first.set()

    w.maps.listener = spy
    t = time.perf_counter()
    w.beta.value = value
    first.wait(30)
    t_first = time.perf_counter() - t
    w.wait_for_training()
    t_done = time.perf_counter() - t
    w.maps.listener = original
    w.beta.value = 1.0
    return t_first, t_done


def main() -> None:
    torch.set_num_threads(1)
    data = load_mnist()
    grid = maps.train_map_grid(data, progress=True)
    classifier = holes.train_digit_classifier(data)
    t = time.perf_counter()
    w = LatentMapExplorer(grid, data, classifier)
    print(f"widget built in {time.perf_counter() - t:.1f} s (every cached model measured once)")
    betas = grid.values("vae")
    rows = {
        "beta slider (cached values)": timed(lambda b: setattr(w.beta, "value", b), betas * 3),
        "model choice AE <-> noisy AE": timed(lambda m: setattr(w.model_choice, "value", m),
                                              ["noisy_ae", "ae"] * 4),
        "posterior ellipses on/off": timed(lambda v: setattr(w.ellipses, "value", v),
                                           [True, False] * 4),
        "click a point of the plane": timed(lambda p: w.select_point(*p),
                                            [(0.5 * i, -0.3 * i) for i in range(8)]),
        "a stroke drawn on the pad": timed(lambda s: setattr(w.pad, "strokes", s),
                                           [[[[140, 40], [140 + 10 * i, 240]]] for i in range(8)]),
    }
    w.model_choice.value = "noisy_ae"
    rows["noise slider (cached values)"] = timed(lambda s: setattr(w.noise, "value", s),
                                                 grid.values("noisy_ae") * 4)
    for name, ms in rows.items():
        print(f"{name:<34} median {ms:6.1f} ms")
    runs = [first_update(w, b) for b in (0.2, 0.5, 2.0) * 2]
    # is the live model as good as one trained for that beta from scratch (12 epochs)?
    for target in (0.2, 0.5, 2.0):
        live = w.live_models[("vae", target)]
        scratch = maps.train_map_model("vae", target, data)
        a, b = (evaluate(m.model, data.x_test)["objective"] for m in (live, scratch))
        start = w.grid.nearest("vae", target).label
        print(f"beta={target:g}: live retrain from {start} reaches a test "
              f"objective of {a:.1f} nats; trained from scratch for beta={target:g}: {b:.1f}")
    first, done = [r[0] for r in runs], [r[1] for r in runs]
    print(f"live retrain ({w.maps.settings.live_epochs} epochs, warm start): first streamed "
          f"update median {statistics.median(first):.2f} s (max {max(first):.2f} s); "
          f"finished median {statistics.median(done):.1f} s")


if __name__ == "__main__":
    main()
