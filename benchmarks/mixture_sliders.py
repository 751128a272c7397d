"""Python time per slider change of the mixture widgets (median of several changes).

Usage: python benchmarks/mixture_sliders.py   (fits and training are done first and
not timed; only what a slider change runs, including the FigureWidget update, is timed)
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from explainer import gmm, latent_mixture, mixture_fits
from explainer.widgets import mixture as W


def median_ms(control, values, *, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        for v in values:
            start = time.perf_counter()
            control.value = v
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    target = gmm.target_density()
    fits = mixture_fits.fit_mixtures()
    decoder = latent_mixture.train_latent_decoder(target.sample(4000, seed=0)).decoder
    rows = []

    b = W.MixtureBuilder(n_components=10)
    rows.append(("MixtureBuilder.n_components", median_ms(b.n_components, [1, 4, 7, 10, 3])))
    rows.append(("MixtureBuilder.component", median_ms(b.component, [1, 5, 9, 2])))
    rows.append(("MixtureBuilder.weight", median_ms(b.weight, [0.1, 0.5, 0.9, 0.3])))
    rows.append(("MixtureBuilder.mean", median_ms(b.mean, [-3.0, 0.0, 2.0, 5.0])))
    rows.append(("MixtureBuilder.std", median_ms(b.std, [0.1, 0.5, 1.5, 2.5])))

    f = W.FittedMixture(fits)
    rows.append(("FittedMixture.k", median_ms(f.k, list(fits.ks))))
    rows.append(("FittedMixture.k = 512 only", median_ms(f.k, [256, 512], repeats=4)))

    w, mu, sd = fits.mixture(8)
    a = W.AncestralSampling(w, mu, sd)
    rows.append(("AncestralSampling.n_drawn", median_ms(a.n_drawn, [1, 100, 1000, 5000, 10])))

    lm = W.LatentMixture({"analytic": latent_mixture.analytic_decoder(target), "network": decoder})
    rows.append(("LatentMixture.n", median_ms(lm.n, list(W.N_OPTIONS))))
    rows.append(("LatentMixture.n = 2000 only", median_ms(lm.n, [1000, 2000], repeats=4)))
    rows.append(("LatentMixture.decoder", median_ms(lm.decoder, ["network", "analytic"])))

    width = max(len(name) for name, _ in rows)
    print(f"{'slider':<{width}}  median Python time per change")
    for name, ms in rows:
        print(f"{name:<{width}}  {ms:6.1f} ms")
    print(f"slowest median: {max(ms for _, ms in rows):.1f} ms (limit 100 ms)")


if __name__ == "__main__":
    np.seterr(all="raise", under="ignore")
    main()
