"""The models in the page: a figure whose decoding and encoding run in the browser.

An Explainer describes each such figure as a :class:`LiveFigure`: its ``kind`` (the script
that runs it: ``live_maps.js`` for "maps", ...), the figure it acts on, the trace names, and
the models it needs, packed by :func:`explainer.packing.pack_model` and keyed by a digest of
their bytes (:func:`packed_models`), so that a page holding several figures of the same models
carries each model once. The same scripts run in an exported page and
in JupyterLab and Voila (``SharedFigureWidget.live``), where the pointer is decoded without a
round trip to the kernel.

:func:`live_script` is the browser's side: ``forward.js`` (the forward pass), ``pad.js`` (the
drawing pad), ``live.js`` (the registry and its helpers) and one script per kind.
"""

from __future__ import annotations

import base64
import hashlib
import json
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explainer.models import Autoencoder
from explainer.packing import pack_model
from explainer.plots.images import grey_levels

_HERE = Path(__file__).parent
# forward.js and pad.js first: live.js and the kinds use them
LIVE_SCRIPTS = ("forward.js", "pad.js", "live.js", "live_maps.js", "live_interpolation.js",
                "live_anatomy.js", "live_code_axis.js")
KINDS = ("maps", "interpolation", "anatomy", "code_axis")


def live_script() -> str:
    """The scripts of :data:`LIVE_SCRIPTS`, in order, as one plain script."""
    return "\n".join((_HERE / name).read_text(encoding="utf-8") for name in LIVE_SCRIPTS)


@dataclass(frozen=True)
class LiveFigure:
    """Figure ``figure`` (an index into the Explainer's ``figures()``) run in the page by the
    script of ``kind``, from ``spec`` (JSON-able: trace names, model ids, starting state).

    ``models``: the packed models ``spec`` names, by id. ``computed``: (trace name,
    property) pairs the page computes itself, so a page leaves them out of its stored
    frames. ``controls``: the Explainer's kernel-only controls (as ``kernel_controls``
    names them) that this figure makes work in a page."""

    kind: str
    figure: int
    spec: Mapping[str, Any]
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    computed: tuple[tuple[str, str], ...] = ()
    controls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.figure, int) or self.figure < 0:
            raise ValueError(f"figure must be a figure's index (an int >= 0), got {self.figure!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "figure": self.figure, "spec": dict(self.spec),
                "models": dict(self.models), "computed": [list(c) for c in self.computed],
                "controls": list(self.controls)}


def model_id(packed: Mapping[str, Any]) -> str:
    """A short digest of a packed model's JSON: the same weights, the same id."""
    text = json.dumps(packed, sort_keys=True, separators=(",", ":"))
    return "m" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# each model's packing, kept while the model lives: (parts, its parameters' versions) ->
# (id, packed); a parameter changed in place has a new version, so it is packed again
_PACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def packed_models(models: Iterable[Autoencoder], *, parts: tuple[str, ...] = ("decoder",),
                  ) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """``models`` packed (:func:`explainer.packing.pack_model`) for the page: their ids, in
    order, and the packed models by id (a model given twice is packed once). A model is
    packed once while its weights stay as they are (a slider that shows it again sends
    the same packing)."""
    ids, out = [], {}
    for model in models:
        versions = (tuple(parts), tuple(p._version for p in model.parameters()))
        memo = _PACKED.setdefault(model, {})
        if versions not in memo:
            memo.clear()
            packed = pack_model(model, parts=parts)
            memo[versions] = (model_id(packed), packed)
        key, packed = memo[versions]
        ids.append(key)
        out.setdefault(key, packed)
    return ids, out


def grey_bytes(image: np.ndarray) -> str:
    """An image of values in [0, 1] as base64 of its 8-bit grey pixels, round(255 v)
    (``vaeLive.greyPixels`` reads it back)."""
    pixels = grey_levels(np.asarray(image, dtype=np.float64).reshape(-1))
    return base64.b64encode(pixels.tobytes()).decode("ascii")
