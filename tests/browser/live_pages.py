"""Checks shared by the browser tests of the models in the page (tests/browser/test_live_*.py):
the page's decode against torch's, and images read back from the page's figures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import numpy as np
import pytest
import torch

from explainer import cache
from explainer.models import Autoencoder
from tests.browser.servers import NOTEBOOK_CACHE

N_CODES = 100
DECODE_TOLERANCE = 2e-3
# an image read back from a PNG the page drew: 8-bit grey, so half a level of rounding more
PNG_TOLERANCE = DECODE_TOLERANCE + 0.5 / 255 + 1e-6

# the pixels of a PNG data URI (or any image URL), grey values in [0, 1] (red channel)
PIXELS = """async (uri) => {
  const img = new Image();
  await new Promise((ok, bad) => { img.onload = ok; img.onerror = bad; img.src = uri; });
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  const out = new Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = d[4 * i] / 255;
  return {width: img.width, height: img.height, values: out};
}"""


@contextlib.contextmanager
def notebook_cache() -> Iterator[None]:
    """The model cache the exported pages' kernels used (so the test loads their models)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cache.ENV_VAR, str(NOTEBOOK_CACHE))
        yield


def page_model_ids(page) -> list[str]:
    return page.evaluate("Object.keys(window.vaeLive.models)")


def assert_page_decodes(page, models: Mapping[str, Autoencoder], *, n_codes: int = N_CODES,
                        scale: float = 3.0, seed: int = 0,
                        codes: np.ndarray | None = None) -> float:
    """For each model (by its id in the page), ``n_codes`` random codes, N(0, scale^2)
    (or the given ``codes``), decoded by the page and by torch agree within 2e-3 per
    pixel. Returns the largest difference seen."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    given = codes
    for key, model in models.items():
        d = model.config.latent_dim
        codes = (scale * rng.standard_normal((n_codes, d)) if given is None
                 else np.asarray(given).reshape(-1, d)).astype(np.float32)
        js = np.array(page.evaluate(
            "([id, codes]) => Array.from(window.vaeForward.decode(window.vaeLive.model({}, id), "
            "new Float32Array(codes)))", [key, codes.ravel().tolist()]))
        with torch.no_grad():
            want = model.decode(torch.from_numpy(codes)).numpy().reshape(-1)
        diff = float(np.abs(js - want).max())
        assert diff <= DECODE_TOLERANCE, f"model {key}: page's decode off by {diff:.2e}"
        worst = max(worst, diff)
    return worst


def image_of(page, uri: str) -> np.ndarray:
    """The grey image at ``uri`` (a data URI the page drew), as a (height, width) array."""
    got = page.evaluate(PIXELS, uri)
    return np.array(got["values"]).reshape(got["height"], got["width"])


def trace_source(page, plot: str, name: str) -> str:
    return page.evaluate("([p, n]) => document.getElementById(p).data.find((t) => t.name === n)"
                         ".source", [plot, name])
