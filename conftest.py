"""Every test, and every kernel or server a test starts, runs in the reproducible numerics
mode (``explainer.numerics``), in which the notebooks' stored outputs were made: set here,
before any test has multiplied a matrix."""

from explainer.numerics import use_reproducible_mode

use_reproducible_mode()
