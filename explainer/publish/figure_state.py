"""A plotly figure dict as ``{path: value}`` leaves, and the leaves in which two states of
one figure differ: what a precomputed frame has to carry."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# layout keys that never change with a control and would only bloat a diff
_SKIPPED_LAYOUT_KEYS = ("template", "sliders", "updatemenus")


def _is_leaf(value: Any) -> bool:
    # plotly >= 6 writes numpy arrays as {"dtype": ..., "bdata": ...}: one leaf
    return not isinstance(value, Mapping) or "bdata" in value


def flatten(obj: Mapping, prefix: str = "") -> dict[str, Any]:
    """A nested figure dict as ``{"a.b": leaf}``; list items of dicts as ``"a[2].b"``
    (plotly's own attribute-path notation). Other lists and typed arrays are leaves."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                out.update(flatten(item, f"{path}[{i}]"))
            out[f"{path}.__len__"] = len(value)
        elif _is_leaf(value):
            out[path] = value
        else:
            out.update(flatten(value, path))
    return out


@dataclass
class FigureState:
    """One figure's leaves: ``traces[i]`` for trace i, ``layout`` for its layout."""

    traces: list[dict[str, Any]]
    layout: dict[str, Any]

    @classmethod
    def from_dict(cls, fig: Mapping) -> FigureState:
        layout = {k: v for k, v in fig.get("layout", {}).items() if k not in _SKIPPED_LAYOUT_KEYS}
        return cls([flatten(t) for t in fig.get("data", [])], flatten(layout))


def changed_paths(a: FigureState, b: FigureState) -> set[tuple]:
    """The leaves in which two states of one figure differ: ``("data", i, path)`` and
    ``("layout", path)``. A figure whose number of traces changes cannot be framed."""
    if len(a.traces) != len(b.traces):
        raise ValueError(f"a frame cannot add or remove traces: {len(a.traces)} against "
                         f"{len(b.traces)}")
    out = set()
    for i, (ta, tb) in enumerate(zip(a.traces, b.traces)):
        out |= {("data", i, p) for p in _differing(ta, tb)}
    out |= {("layout", p) for p in _differing(a.layout, b.layout)}
    return out


def compose(base: FigureState, a: FigureState, b: FigureState) -> FigureState:
    """``base`` with every leaf ``a`` changes taken from ``a``, then every leaf ``b``
    changes taken from ``b``: the figure two independent controls would give together."""
    out = FigureState([dict(t) for t in base.traces], dict(base.layout))
    for other in (a, b):
        for path in changed_paths(base, other):
            target, source = ((out.traces[path[1]], other.traces[path[1]]) if path[0] == "data"
                              else (out.layout, other.layout))
            key = path[-1]
            if key in source:
                target[key] = source[key]
            else:
                target.pop(key, None)
    return out


def _differing(a: Mapping, b: Mapping) -> set[str]:
    return {k for k in set(a) | set(b) if not _same(a.get(k), b.get(k))}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if a == b:
        return True
    # the same numbers written once as a list, once as a typed array
    return plain(a) == plain(b)


def plain(value: Any) -> Any:
    """A typed array (``{"dtype", "bdata"[, "shape"]}``) as nested lists; others as they are."""
    if isinstance(value, Mapping) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value
