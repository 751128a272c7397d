"""Timing shared by the slider benchmarks: Python time per change of a control."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def seconds_per_change(change: Callable[[object], object], values: Iterable[object]) -> list[float]:
    """Wall-clock seconds of ``change(v)`` for each of ``values``, in order."""
    times = []
    for v in values:
        start = time.perf_counter()
        change(v)
        times.append(time.perf_counter() - start)
    return times


def median_ms(change: Callable[[object], object], values: Iterable[object]) -> float:
    """The median of :func:`seconds_per_change`, in milliseconds."""
    return statistics.median(seconds_per_change(change, values)) * 1000
