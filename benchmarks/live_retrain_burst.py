"""Latent maps: a burst of off-grid KL-weight changes against a single one.

    python benchmarks/live_retrain_burst.py [--repeats 5] [--changes 50]

Builds the explorer as the notebook does (default grid, from the cache). An off-grid
beta retrains live in the background (``explainer.live_training.LiveRetrainer``):

- single: one off-grid change, timed until that value's finished model is drawn;
- burst: ``--changes`` quick off-grid changes (``.value`` set in a loop, alternating
  between two off-grid values and ending on one), timed until the LAST value's finished
  model is drawn.

A burst should end as fast as a single change: the retrainer keeps only the latest
request, and the one already running stops at its next check. Prints the median of
each over the repeats, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import torch

from explainer import hole_meter as holes
from explainer import map_models as maps
from explainer.data import load_mnist
from explainer.widgets.latent_maps import LatentMapExplorer

OFF_GRID = (0.2, 0.5)  # retrained live from the cached VAE beta=0.3 (the nearest of both)


def until_drawn(w: LatentMapExplorer, values: list[float]) -> float:
    """Seconds from the first of ``values`` set on the beta slider to the last one's
    finished live model drawn in the bottom row."""
    last = values[-1]
    for v in OFF_GRID:  # retrain, never answer from memory
        w.live_models.pop(("vae", v), None)
    drawn = threading.Event()
    original = w.maps.listener

    def spy(row, state):
        original(row, state)
        mm = state.row_view.model
        if row == 1 and mm.value == last and mm.source.startswith("retrained live"):
            drawn.set()

    w.maps.listener = spy
    try:
        start = time.perf_counter()
        for v in values:
            w.beta.value = v
        if not drawn.wait(120):
            raise RuntimeError(f"the model for beta={last:g} was not drawn within 120 s")
        elapsed = time.perf_counter() - start
    finally:
        w.maps.listener = original
    w.wait_for_training()
    w.beta.value = 1.0  # a cached value: the next run starts from the same state
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_mnist()
    grid = maps.train_map_grid(data, progress=True)
    classifier = holes.train_digit_classifier(data)
    w = LatentMapExplorer(grid, data, classifier)
    burst = [OFF_GRID[i % 2] for i in range(args.changes)]
    single = [burst[-1]]
    until_drawn(w, single)  # one untimed run: first-use costs out of the way
    singles, bursts = [], []
    for _ in range(args.repeats):
        singles.append(until_drawn(w, single))
        bursts.append(until_drawn(w, burst))
    one, many = statistics.median(singles), statistics.median(bursts)
    print(f"live retrain ({w.maps.settings.live_epochs} epochs, warm start), "
          f"median of {args.repeats}:")
    print(f"  one off-grid beta change until its model is drawn       {one:5.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in singles)})")
    print(f"  {args.changes} quick off-grid changes until the last one's is drawn "
          f"{many:5.2f} s (runs: {', '.join(f'{t:.2f}' for t in bursts)})")
    print(f"  ratio burst / single: {many / one:.2f}")


if __name__ == "__main__":
    main()
