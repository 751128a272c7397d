"""What a kernel pays for at start, and what it need not.

jsonschema (imported by nbformat, which plotly imports to show a figure) imports the
optional ``rfc3987_syntax`` when it is installed (JupyterLab's server installs it), and that
package builds its IRI grammar's parser when imported: 1.0-3.9 s of every kernel's start
measured here (benchmarks/README.md), for a format check no notebook makes. Importing
:mod:`explainer` puts a stand-in in its place whose functions import the real package on
their first call: jsonschema's ``iri`` and ``iri-reference`` checks still work, paying the
parser's build when one is made.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

DEFERRED = "rfc3987_syntax"
_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """A stand-in for a module: its public names import the real module when first used."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # a look at a module's dunders (done at import) loads nothing
            raise AttributeError(name)
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``, imported in place of its stand-in the first time."""
    with _lock:
        module = sys.modules.get(name)
        if isinstance(module, _Deferred):
            del sys.modules[name]
            module = importlib.import_module(name)
        return module


def _forwarding(module: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def defer_iri_parser() -> bool:
    """Put the stand-in for ``rfc3987_syntax`` in place, unless the package is absent or
    already imported; whether it was put in place."""
    with _lock:
        if DEFERRED in sys.modules or importlib.util.find_spec(DEFERRED) is None:
            return False
        stand_in = _Deferred(DEFERRED, "stand-in: imports the real package on first use "
                                       "(explainer.kernel_start)")
        for name in ("is_valid_syntax", "parse"):  # what jsonschema and callers use
            setattr(stand_in, name, _forwarding(DEFERRED, name))
        sys.modules[DEFERRED] = stand_in
        return True
