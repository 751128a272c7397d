"""Diagonal Gaussians: log-densities, densities and KL divergences, in one place.

Every function works elementwise on numpy arrays and on torch tensors alike (and on plain
floats), broadcasting as the array type does; sums over dimensions are left to the
caller. Parameters are named for what they hold: ``variance`` (sigma^2), ``std`` (sigma)
or ``logvar`` (s = log sigma^2, the VAE encoder's output).

    log N(x; m, v)             = -1/2 log(2 pi v) - (x - m)^2 / (2 v)
    KL(N(m, e^s) || N(0, 1))    = 1/2 (e^s - 1 - s + m^2)            (Kingma & Welling, App. B)
    KL(N(m_q, e^{s_q}) || N(m_p, e^{s_p}))
                               = (s_p - s_q) / 2 + (e^{s_q} + (m_q - m_p)^2) / (2 e^{s_p}) - 1/2

Nothing here checks its arguments: the public entry points that call these do.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch

LOG_2PI = math.log(2.0 * math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)

Array = TypeVar("Array", np.ndarray, torch.Tensor, float)


def _elementwise(name: str, a: Array) -> Array:
    """``name`` (log, exp or expm1) of a tensor, an array or a number (a number stays a
    Python float), by torch, numpy or math."""
    if isinstance(a, torch.Tensor):
        return getattr(torch, name)(a)
    if isinstance(a, np.ndarray):
        return getattr(np, name)(a)
    return getattr(math, name)(a)


def _log(a: Array) -> Array:
    return _elementwise("log", a)


def _exp(a: Array) -> Array:
    return _elementwise("exp", a)


def _expm1(a: Array) -> Array:
    """exp(a) - 1, accurate near a = 0."""
    return _elementwise("expm1", a)


def log_normal_pdf(x: Array, *, mean: Array, variance: Array | None = None,
                   std: Array | None = None) -> Array:
    """log N(x; mean, sigma^2), elementwise, given either ``variance`` (sigma^2) or ``std``
    (sigma)."""
    if (variance is None) == (std is None):
        raise TypeError("log_normal_pdf takes exactly one of variance and std")
    if std is None:
        # -1/2 log(2 pi var) - (x - mean)^2 / (2 var)
        return -0.5 * (LOG_2PI + _log(variance)) - (x - mean) ** 2 / (2.0 * variance)
    # -1/2 ((x - mean) / sigma)^2 - log sigma - 1/2 log(2 pi)
    return -0.5 * ((x - mean) / std) ** 2 - _log(std) - 0.5 * LOG_2PI


def log_standard_normal_pdf(z: Array) -> Array:
    """log N(z; 0, 1), elementwise."""
    # -1/2 (log(2 pi) + z^2)
    return -0.5 * (LOG_2PI + z * z)


def normal_pdf(x: Array, *, mean: Array, std: Array) -> Array:
    """N(x; mean, std^2), elementwise: the density itself (for drawing and mixing)."""
    # exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))
    return _exp(-0.5 * ((x - mean) / std) ** 2) / (std * SQRT_2PI)


def kl_standard_normal(mean: Array, logvar: Array) -> Array:
    """KL( N(mean, exp(logvar)) || N(0, 1) ), elementwise (sum over dimensions for N(0, I))."""
    # 1/2 ( exp(s) - 1 - s + m^2 )
    return 0.5 * (_exp(logvar) - 1.0 - logvar + mean**2)


def kl_standard_normal_grad(mean: Array, logvar: Array) -> tuple[Array, Array]:
    """(dKL/dm, dKL/ds) of :func:`kl_standard_normal`, elementwise (the hand-derived
    backward pass of :mod:`explainer.backprop` uses it)."""
    # dKL/dm = m;   dKL/ds = (exp(s) - 1) / 2
    return mean, 0.5 * _expm1(logvar)


def kl_normal(mean_q: Array, logvar_q: Array, *, mean_p: Array, logvar_p: Array) -> Array:
    """KL( N(mean_q, exp(logvar_q)) || N(mean_p, exp(logvar_p)) ), elementwise."""
    # (s_p - s_q) / 2 + (exp(s_q) + (m_q - m_p)^2) / (2 exp(s_p)) - 1/2
    return (0.5 * logvar_p - 0.5 * logvar_q
            + (_exp(logvar_q) + (mean_q - mean_p) ** 2) / (2.0 * _exp(logvar_p)) - 0.5)
