"""The packages only publishing needs (the ``[export]`` extra), imported where used: a
plain install imports ``explainer.publish`` and fails, if at all, with one clear message
when a page or a picture is actually made."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = 'pip install "vae-explainer[export]"'


def require(module: str) -> ModuleType:
    """``import module``, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"publishing needs {module.split('.')[0]}, which is not installed: "
                          f"{INSTALL_HINT}") from err
