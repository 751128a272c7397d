"""forward.js timed in the page (Debian's Chromium, headless, from file:// with the network
blocked): one decode of one code and a 50 x 50 grid of codes with the 2-D map VAE's decoder
(2 -> 256 -> 784, float16 weights), a drawing to a digit and its encoding, median of
--repeats samples timed with performance.now() (a sample of a short run is the mean of
several, as the clock ticks every 0.1 ms); and the model's packed size.

    python benchmarks/forward_js.py [--repeats 50] [--side 50]

The weights are a freshly initialised model's: neither the time nor the size depends on
their values.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from explainer.models import Autoencoder  # noqa: E402
from explainer.packing import pack_model, packed_bytes  # noqa: E402
from explainer.recipes import MNIST_2D_VAE  # noqa: E402
from tests.browser.forward_page import open_offline, write_page  # noqa: E402
from tests.browser.servers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TIMING = """([repeats, side]) => {
  const f = window.vaeForward, model = f.unpack(models.map);
  const median = (t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
  // performance.now() ticks every 0.1 ms in a page that is not cross-origin isolated, so a
  // sample of a short run is the mean of `inner` runs back to back
  const time = (run, inner) => {
    for (let i = 0; i < 3; i++) run();  // warm up (JIT)
    const t = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      for (let j = 0; j < inner; j++) run();
      t.push((performance.now() - start) / inner);
    }
    return median(t);
  };
  const one = new Float32Array([0.3, -1.2]);
  const grid = new Float32Array(side * side * 2);
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) {
    grid[2 * (i * side + j)] = -3 + 6 * j / (side - 1);
    grid[2 * (i * side + j) + 1] = -3 + 6 * i / (side - 1);
  }
  // the pad: a drawn 7 on a 280-pixel pad, to a digit, then encoded
  const seven = [[[60, 50], [220, 50], [120, 250]], [[100, 150], [190, 150]]];
  const digit = f.strokesToImage(seven, 280, 18);
  const start = performance.now();
  f.unpack(JSON.parse(JSON.stringify(models.map)));
  const unpackMs = performance.now() - start;
  return {one: time(() => f.decode(model, one), 20), grid: time(() => f.decode(model, grid), 1),
          pad: time(() => f.strokesToImage(seven, 280, 18), 5),
          encode: time(() => f.encode(model, digit), 20),
          unpack: unpackMs};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--side", type=int, default=50)
    args = parser.parse_args()
    packed = pack_model(Autoencoder(MNIST_2D_VAE, seed=0))
    decoder_only = pack_model(Autoencoder(MNIST_2D_VAE, seed=0), parts=("decoder",))
    print(f"2-D map VAE decoder (2 -> 256 -> 784), int16 rows: "
          f"{packed_bytes(decoder_only) / 1000:.0f} KB of base64 "
          f"(with its encoder: {packed_bytes(packed) / 1000:.0f} KB)")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            attempted = open_offline(page, write_page(Path(folder), {"map": packed}))
            ms = page.evaluate(TIMING, [args.repeats, args.side])
            assert not attempted, attempted
        finally:
            browser.close()
    print(f"unpack encoder and decoder (base64 int16 rows -> Float32Array), once: "
          f"{ms['unpack']:.1f} ms")
    print(f"decode one code: {ms['one']:.3f} ms (median of {args.repeats} samples, "
          "each the mean of 20 decodes)")
    print(f"decode a {args.side} x {args.side} grid: {ms['grid']:.1f} ms "
          f"(median of {args.repeats})")
    print(f"a drawn 7 (280-pixel pad) to a 28 x 28 digit: {ms['pad']:.2f} ms; "
          f"encoding it: {ms['encode']:.3f} ms (medians)")


if __name__ == "__main__":
    main()
