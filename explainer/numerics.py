"""Trained models that are the same on every x86-64 machine: the reproducible mode in which
the notebooks' stored outputs are made and the tests run.

Seeds fix every random draw, but not the order in which a matrix product adds its terms:
Intel's MKL, which torch's CPU build uses for ``nn.Linear``, picks its kernels by the
processor, so two processors can round the first products differently, and twelve epochs
of training turn that into models whose printed figures differ in their last digit or more
(seen here: notebook 03's KL at beta = 1 was 15.1 nats on this project's earlier machines
and 15.2 on an AMD EPYC). MKL's conditional numerical reproducibility fixes its choice of kernels
(``MKL_CBWR=COMPATIBLE``: one code path on Intel and AMD processors, at about half the
speed), and torch's own kernels are pinned to AVX2, which every x86-64 processor of the
last decade has. MKL reads the setting when it first runs, so it is set in the
environment of the processes that train: the tests (``conftest.py``) and
``tools/execute_notebooks.py``. A lecture or a self-study session runs at full speed and,
on another processor, may see a last digit that differs from the stored outputs and from a
markdown cell that quotes the figure (the computed answers follow the cells).
"""

from __future__ import annotations

import os
import platform

# the variables and their values; torch's kernels are pinned on x86-64 only (elsewhere the
# name "avx2" means nothing, and MKL is not used)
MKL = {"MKL_CBWR": "COMPATIBLE"}
X86 = {"ATEN_CPU_CAPABILITY": "avx2"}


def reproducible_environment() -> dict[str, str]:
    """The environment variables of the reproducible mode, for this machine."""
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return {**MKL, **(X86 if x86 else {})}


def use_reproducible_mode() -> None:
    """Set the reproducible mode's variables in this process's environment, for itself (if
    torch has not yet multiplied a matrix) and for every kernel or server it starts."""
    os.environ.update(reproducible_environment())


def mode() -> str:
    """``"reproducible"`` when this process's environment holds the reproducible mode,
    ``"fast"`` otherwise: part of every cache key, so models trained in one mode are never
    read in the other."""
    wanted = reproducible_environment()
    return "reproducible" if all(os.environ.get(k) == v for k, v in wanted.items()) else "fast"
