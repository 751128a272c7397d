"""What a 2-D latent map shows: the test codes, their posterior widths, the plane, and digits
decoded over it.

- :func:`map_view` (a :class:`MapView`): everything one map shows for one model: the test
  codes, their posterior widths, the plane's extent and a grid of digits decoded over it.
- :func:`encode_images`, :func:`decode_codes`: images to code means (and widths), codes to
  images.
- :func:`ellipse_outlines`, :func:`prior_circles`: 1-sigma posterior ellipses and the
  prior's circles, as lines to draw.
- :func:`interpolate`: the straight line between two digits' codes, decoded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from explainer.data import MNIST_SIDE
from explainer.map_models import MapModel
from explainer.models import Autoencoder
from explainer.validation import check_int, check_labels, check_real


@dataclass(frozen=True)
class MapView:
    """What one latent map shows.

    ``codes``: (n, 2) code means of the test digits; ``sigmas``: (n, 2) posterior
    standard deviations exp(s / 2) (VAE), the fixed noise (noisy AE) or None (AE);
    ``half_width``: the plane shown is [-h, h]^2; ``manifold``: (n_grid * 28, n_grid * 28)
    digits decoded on an n_grid x n_grid grid over that square, top row at y = +h.
    """

    label: str
    codes: np.ndarray
    sigmas: np.ndarray | None
    labels: np.ndarray
    half_width: float
    grid_points: np.ndarray
    manifold: np.ndarray


def plane_half_width(codes: np.ndarray, *, floor: float = 3.0) -> float:
    """Half-width of the square shown: the 99th percentile of |code|, at least ``floor``
    (the prior's 3-sigma circle), rounded up to a multiple of 0.5."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.size == 0:
        raise ValueError("codes must hold at least one code")
    if not np.isfinite(codes).all():
        raise ValueError("codes must be finite: they hold NaN or infinite values")
    floor = check_real("floor", floor, low=0.0, low_open=True)
    # h = max(floor, q99(|c|)), rounded up to 0.5
    q = float(np.quantile(np.abs(codes), 0.99))
    return math.ceil(max(floor, q * 1.05) * 2) / 2


def grid_codes(half_width: float, n_grid: int) -> np.ndarray:
    """(n_grid^2, 2) codes of an n_grid x n_grid grid over [-h, h]^2, row by row from y = +h."""
    half_width = check_real("half_width", half_width, low=0.0, low_open=True)
    n_grid = check_int("n_grid", n_grid, low=2, high=100)
    t = np.linspace(-half_width, half_width, n_grid)
    gx, gy = np.meshgrid(t, t[::-1])
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


@torch.inference_mode()
def decode_codes(model: Autoencoder, codes: np.ndarray) -> np.ndarray:
    """Decoded images (n, 784) for codes (n, latent_dim), one code per row."""
    if not isinstance(model, Autoencoder):
        raise TypeError("model must be an explainer.models.Autoencoder, got "
                        f"{type(model).__name__}")
    c = np.asarray(codes, dtype=np.float32)
    if c.ndim != 2 or c.shape[1] != model.latent_dim:
        raise ValueError(f"codes must have shape (n, {model.latent_dim}) (one row per code), "
                         f"got {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("codes must be finite")
    return model.decode(torch.from_numpy(c)).numpy()


@torch.inference_mode()
def encode_images(model: Autoencoder,
                  images: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(code means (n, 2), posterior standard deviations (n, 2) or None for the AE)."""
    x = model.check_input(images, name="images")
    mean, logvar = model.encode_checked(x)
    # sigma = exp(s / 2)
    sigma = None if logvar is None else torch.exp(0.5 * logvar).numpy()
    return mean.numpy(), sigma


def tile_manifold(decoded: np.ndarray, n_grid: int) -> np.ndarray:
    """n_grid^2 decoded digits (row by row) as one (n_grid * 28, n_grid * 28) image."""
    n_grid = check_int("n_grid", n_grid, low=1, high=100)
    x = np.asarray(decoded, dtype=np.float32)
    pixels = MNIST_SIDE * MNIST_SIDE
    if x.shape[0] != n_grid * n_grid or x[0].size != pixels or x.ndim not in (2, 3):
        raise ValueError(f"decoded must hold n_grid^2 = {n_grid * n_grid} images of {pixels} "
                         f"pixels, got shape {x.shape}")
    x = x.reshape(n_grid, n_grid, MNIST_SIDE, MNIST_SIDE)
    return x.transpose(0, 2, 1, 3).reshape(n_grid * MNIST_SIDE, n_grid * MNIST_SIDE)


def map_view(mm: MapModel, x_test: torch.Tensor, y_test: torch.Tensor, *, n_grid: int = 20,
             half_width: float | None = None) -> MapView:
    """Encode the test digits and decode an ``n_grid`` x ``n_grid`` grid over the plane."""
    codes, sigmas = encode_images(mm.model, x_test)
    labels = check_labels("y_test", y_test, n_images=len(codes)).numpy()
    h = plane_half_width(codes) if half_width is None else check_real(
        "half_width", half_width, low=0.0, low_open=True)
    points = grid_codes(h, n_grid)
    return MapView(label=mm.label, codes=codes, sigmas=sigmas,
                   labels=labels, half_width=h, grid_points=points,
                   manifold=tile_manifold(decode_codes(mm.model, points), n_grid))


def ellipse_outlines(centres: np.ndarray, sigmas: np.ndarray, *,
                     n_vertices: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the 1-sigma ellipses {m + sigma * (cos t, sin t)}, NaN between ellipses.

    ``centres`` and ``sigmas``: (n, 2), one row per ellipse."""
    centres = np.asarray(centres, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] != 2:
        raise ValueError(f"centres must have shape (n, 2), got {centres.shape}")
    if sigmas.shape != centres.shape:
        raise ValueError(f"sigmas must have the shape of centres {centres.shape}, "
                         f"got {sigmas.shape}")
    t = np.linspace(0.0, 2.0 * np.pi, n_vertices)
    # x_k = m_1 + sigma_1 cos t_k,  y_k = m_2 + sigma_2 sin t_k
    xs = centres[:, :1] + sigmas[:, :1] * np.cos(t)[None, :]
    ys = centres[:, 1:] + sigmas[:, 1:] * np.sin(t)[None, :]
    gap = np.full((len(centres), 1), np.nan)
    return np.hstack([xs, gap]).ravel(), np.hstack([ys, gap]).ravel()


def prior_circles(radii: tuple[float, ...] = (1.0, 2.0, 3.0)) -> tuple[np.ndarray, np.ndarray]:
    """Contours of the prior N(0, I) density in 2-D: circles of radius r (r sigma),
    NaN-separated."""
    r = np.asarray(radii, dtype=np.float64).reshape(-1)
    if not (np.isfinite(r).all() and (r > 0).all()):
        raise ValueError(f"radii must be finite and > 0, got {r}")
    return ellipse_outlines(np.zeros((len(r), 2)), np.repeat(r[:, None], 2, axis=1), n_vertices=73)




def interpolate(model: Autoencoder, image_a: torch.Tensor, image_b: torch.Tensor, *,
                n_steps: int = 10) -> np.ndarray:
    """Decodes of the straight line between two images' code means: (n_steps, 784)."""
    n_steps = check_int("n_steps", n_steps, low=2, high=100)
    pair = [model.check_input(torch.as_tensor(image).reshape(1, -1), name=name)
            for name, image in (("image_a", image_a), ("image_b", image_b))]
    codes, _ = encode_images(model, torch.cat(pair))
    t = np.linspace(0.0, 1.0, n_steps)[:, None]
    # c(t) = (1 - t) m_a + t m_b
    return decode_codes(model, (1.0 - t) * codes[0] + t * codes[1])


