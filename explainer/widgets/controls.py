"""Which controls of a widget keep working without a kernel, and over which values: each
widget class declares them (``Explainer.exported_controls``) as :class:`ControlGrid`\\ s
made by :func:`control_grid`: the values at which a page without a kernel shows the figure,
and the short ``key`` that names the control in the page's address (``#beta=3&noise=0.3``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np

from explainer.validation import check_int

_GRID_TYPES = (widgets.widgets.widget_selection._Selection, widgets.Checkbox,
               widgets.ToggleButton, widgets.IntSlider, widgets.FloatSlider)
# a key in a page's address: lower-case ASCII letters and digits, words joined by "-"
_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def address_key(text: str) -> str:
    """``text`` as a key for a page's address: lower-case ASCII words joined by "-", a
    Greek letter spelled out ("KL weight β" -> "kl-weight-beta", "std σ_m" ->
    "std-sigma-m"), accents dropped, anything else a separator; "control" if nothing is left."""
    words = []
    for ch in unicodedata.normalize("NFKC", text):
        name = unicodedata.name(ch, "")
        if not ch.isascii() and name.startswith("GREEK") and "LETTER" in name:
            words.append(f" {name.split()[-1].lower()} ")
        else:  # é -> e; what is left that is not a letter or a digit separates words
            words.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    slug = "-".join(re.findall(r"[a-z0-9]+", "".join(words).lower()))
    return slug or "control"


@dataclass(frozen=True)
class ControlGrid:
    """One exported control: the widget, the values to precompute, their labels, the
    position of the widget's value when the grid was made (the page starts there), and its
    key in the page's address (by default :func:`address_key` of ``label``)."""

    widget: widgets.Widget
    values: tuple
    labels: tuple[str, ...]
    label: str
    default: int
    key: str | None = None

    def __post_init__(self) -> None:
        if self.key is None:
            object.__setattr__(self, "key", address_key(self.label))
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise ValueError(f"key must be lower-case ASCII letters and digits, words joined "
                             f'by "-" (e.g. "kl-weight"), got {self.key!r} for control '
                             f"{self.label!r}")
        if len(self.values) == 0:
            raise ValueError(f"values of control {self.label!r} must not be empty")
        if len(self.values) != len(self.labels):
            raise ValueError(f"labels must match values: {len(self.labels)} labels for "
                             f"{len(self.values)} values of control {self.label!r}")
        if not 0 <= self.default < len(self.values):
            raise ValueError(f"default must index values, got {self.default} for "
                             f"{len(self.values)} values of control {self.label!r}")


def control_grid(widget: widgets.Widget, values: Iterable | None = None, *,
                 n_steps: int = 13, label: str | None = None,
                 key: str | None = None) -> ControlGrid:
    """The grid of ``widget``'s values to precompute.

    - a selection (Dropdown, SelectionSlider, ToggleButtons, ...): every option, or the
      options whose values are in ``values``;
    - a Checkbox or ToggleButton: off and on;
    - an IntSlider or FloatSlider: ``values`` if given (each within the slider's range),
      else ``n_steps`` evenly spaced stops on the slider's own step lattice (an IntSlider
      with at most ``n_steps`` stops gives all of them).

    The widget's current value is always part of the grid: it is where the page starts.
    ``key`` names the control in the page's address (default: :func:`address_key` of the
    label, which is ``label`` or the widget's description).
    """
    n_steps = check_int("n_steps", n_steps, low=2, high=1000)
    name = label or getattr(widget, "description", "") or type(widget).__name__
    if not isinstance(widget, _GRID_TYPES):
        raise ValueError(f"widget must be a selection, a checkbox or an Int/FloatSlider, "
                         f"got {type(widget).__name__} ({name!r})")
    current = widget.value
    if isinstance(widget, widgets.widgets.widget_selection._Selection):
        options = list(zip(widget._options_values, widget._options_labels))
        if values is not None:
            wanted = list(values)
            missing = [v for v in wanted if v not in widget._options_values]
            if missing:
                raise ValueError(f"values must be options of {name!r}; not options: {missing}")
            options = [(v, lab) for v, lab in options if v in wanted or v == current]
        vals = tuple(v for v, _ in options)
        labs = tuple(str(lab) for _, lab in options)
    elif isinstance(widget, (widgets.Checkbox, widgets.ToggleButton)):
        vals = (False, True) if values is None else tuple(bool(v) for v in values)
        if current not in vals:
            vals = (*vals, bool(current))
        labs = tuple("on" if v else "off" for v in vals)
    else:
        vals = _slider_values(widget, values, n_steps=n_steps, name=name)
        fmt = getattr(widget, "readout_format", "d")
        labs = tuple(format(v, fmt) for v in vals)
    return ControlGrid(widget, vals, labs, name, _index_of(vals, current), key)


def _index_of(values: Sequence, value: Any) -> int:
    for i, v in enumerate(values):
        if v == value or (isinstance(v, float) and isinstance(value, float)
                          and math.isclose(v, value, rel_tol=0, abs_tol=1e-12)):
            return i
    raise ValueError(f"the control's current value {value!r} is not in its grid {list(values)}")


def _slider_values(widget: widgets.Widget, values: Iterable | None, *, n_steps: int,
                   name: str) -> tuple:
    lo, hi, step, current = widget.min, widget.max, widget.step, widget.value
    is_int = isinstance(widget, widgets.IntSlider)
    if values is not None:
        vals = [int(v) if is_int else float(v) for v in values]
        outside = [v for v in vals if not lo <= v <= hi]
        if outside:
            raise ValueError(f"values must lie in {name!r}'s range [{lo}, {hi}]; "
                             f"outside: {outside}")
    elif is_int and (hi - lo) // step + 1 <= n_steps:
        vals = list(range(lo, hi + 1, step))
    else:
        raw = np.linspace(lo, hi, n_steps)
        # snap onto the slider's lattice, as the slider itself would
        snapped = lo + np.round((raw - lo) / step) * step
        vals = [int(v) for v in snapped] if is_int else [round(float(v), 10) for v in snapped]
    vals.append(current)
    return tuple(sorted(set(vals)))
