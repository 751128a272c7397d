"""Argument checks shared by the library: each error names the parameter and its range.

Nothing here clamps or repairs a value: a bad value is refused with a message a
learner can act on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
import torch


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite real number in the range, else raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    accepted = f"{left}{_fmt(low)}, {_fmt(high)}{right}"
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in {accepted}, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        raise ValueError(f"{name} must be in {accepted}, got {value!r}")
    return value


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in [low, high], else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    accepted = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in {accepted}, got {value}")
    return value


def check_seed(seed: object, *, name: str = "seed") -> int:
    """Return ``seed`` as an int if it is an integer >= 0 (a seed for a random generator)."""
    return check_int(name, seed, low=0)


def check_seeds(seeds: Iterable[object], *, distinct: bool = False) -> tuple[int, ...]:
    """Return ``seeds`` as a tuple of at least one seed (each checked by :func:`check_seed`,
    named ``seeds[i]``), all different if ``distinct``, else raise."""
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    checked = tuple(check_seed(s, name=f"seeds[{i}]") for i, s in enumerate(seeds))
    if distinct and len(set(checked)) != len(checked):
        raise ValueError(f"seeds must be distinct, got {list(checked)}")
    return checked


def check_finite_array(
    name: str, value: object, *, max_ndim: int | None = 1, min_size: int = 1
) -> np.ndarray:
    """``value`` (a real number or an array of them, a tensor included) as a float64 array
    of at most ``max_ndim`` dimensions (None: any) and at least ``min_size`` values, all
    finite, else raise."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number or an array of them, got bool")
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} must be a real number or an array of them, got {type(value).__name__}"
        ) from err
    if max_ndim is not None and a.ndim > max_ndim:
        shape = "a number or a 1-D array" if max_ndim == 1 else f"at most {max_ndim}-D"
        raise ValueError(f"{name} must be {shape}, got shape {a.shape}")
    if a.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} values, got {a.size}"
                         if min_size > 1 else f"{name} must hold at least one value, got none")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite, got {_summary(a)}")
    return a


def check_finite(name: str, value: object) -> np.ndarray:
    """``value`` as a float64 array of any shape (empty included) whose values are all
    finite, else raise."""
    return check_finite_array(name, value, max_ndim=None, min_size=0)


def check_code_stats(mean: object, logvar: object) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian code's (mean, log-variance) as float64 arrays of one shape, all finite,
    else raise."""
    m, s = check_finite("mean", mean), check_finite("logvar", logvar)
    if s.shape != m.shape:
        raise ValueError(f"logvar must have the shape of mean {m.shape}, got {s.shape}")
    return m, s


def check_draws(name: str, value: object, *, low: int = 1, high: int) -> np.ndarray:
    """1-D draws (a (n, 1) column is accepted) as a finite float64 array with
    ``low`` <= n <= ``high``, else raise."""
    a = check_finite(name, value)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one number per draw), got shape {a.shape}")
    if not low <= len(a) <= high:
        raise ValueError(f"{name} must hold between {low} and {high} draws, got {len(a)}")
    return a


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming them all."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value  # type: ignore[return-value]


def check_images(name: str, x: object, *, n_pixels: int) -> torch.Tensor:
    """Return ``x`` as a float32 tensor of shape (n, n_pixels) with finite values, else raise.

    Accepts a numpy array or a tensor of shape (n, n_pixels), or (n, side, side) with
    side * side == n_pixels (flattened here).
    """
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.ndim == 3 and x.shape[1] * x.shape[2] == n_pixels:
        x = x.reshape(x.shape[0], n_pixels)
    if x.ndim != 2 or x.shape[1] != n_pixels:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_pixels}) (images flattened to "
            f"{n_pixels} pixels), got {tuple(x.shape)}"
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite: {bad} values are NaN or infinite")
    return x.to(torch.float32)


def check_labels(name: str, y: object, *, n_images: int) -> torch.Tensor:
    """``y`` as an int64 tensor of one integer label per image, else raise."""
    if isinstance(y, np.ndarray):
        y = torch.from_numpy(y)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(y).__name__}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer labels, got dtype {y.dtype}")
    if y.shape != (n_images,):
        raise ValueError(f"{name} must hold one label per image, shape ({n_images},), "
                         f"got {tuple(y.shape)}")
    return y.to(torch.int64)


def check_unit_interval(name: str, x: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """Return ``x`` if every value is in [0, 1] (pixel intensities), else raise naming the
    range found and the usual fix (8-bit images divided by 255)."""
    lo, hi = float(x.min()), float(x.max())
    if not (lo >= 0.0 and hi <= 1.0):  # also refuses NaN
        raise ValueError(
            f"{name} must hold pixel values in [0, 1], got values in [{lo:g}, {hi:g}]; "
            "scale the images first (8-bit images, 0 to 255: divide by 255)"
        )
    return x


def _summary(a: np.ndarray) -> str:
    """A short description of an array's values for an error message."""
    if a.size <= 6:
        return repr(a.tolist() if a.ndim else float(a))
    bad = int((~np.isfinite(a)).sum())
    return f"{bad} of {a.size} values NaN or infinite"


def _fmt(bound: float) -> str:
    if bound == math.inf:
        return "inf"
    if bound == -math.inf:
        return "-inf"
    return f"{bound:g}"
