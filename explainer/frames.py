"""A widget's states, precomputed, as plotly ``frames`` and ``layout.sliders``: the main
controls of an :class:`~explainer.widgets.base.Explainer` keep working in a page with no
kernel behind it.

The real values are measured, not imitated: :func:`snapshot_explainer` sets each exported
control's ``.value`` over its grid (exactly as a learner would) and reads the figures
back. The rest is pure and works on plain figure dicts:

- :func:`flatten` / :func:`changed_paths`: a figure as ``{path: value}`` leaves, and the
  leaves in which two states differ;
- :func:`group_controls`: controls that change the same leaves form one group (their
  states are combined); controls that change disjoint leaves stay independent;
- :func:`frames_and_sliders`: one plotly frame per state of a group, carrying only the
  leaves that group changes, and one slider per control.

A group of one control needs nothing but plotly (each slider step animates its frame).
A group of several controls stores either every combination of their values (if there
are at most ``max_combinations``) or each control's values with the others at their
defaults; a small script in the page (``SLIDER_SCRIPT``) picks the frame from all the
group's sliders, and in the second case puts the group's other sliders back to their
defaults.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from plotly.utils import PlotlyJSONEncoder

from explainer.validation import check_int

if TYPE_CHECKING:  # pragma: no cover
    from explainer.widgets.base import Explainer

# trace and layout keys that never change with a control and would only bloat a diff
_SKIPPED_LAYOUT_KEYS = ("template", "sliders", "updatemenus")
# vertical room one slider takes under a figure, in pixels
SLIDER_HEIGHT = 78
MAX_COMBINATIONS = 80
_GRID_TYPES = (widgets.widgets.widget_selection._Selection, widgets.Checkbox,
               widgets.ToggleButton, widgets.IntSlider, widgets.FloatSlider)
# a frame's options: jump at once, redraw (images and heatmaps need it)
ANIMATE_OPTIONS = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                   "transition": {"duration": 0}}


@dataclass(frozen=True)
class ControlGrid:
    """One exported control: the widget, the values to precompute, their labels, and the
    position of the widget's value when the grid was made (the page starts there)."""

    widget: widgets.Widget
    values: tuple
    labels: tuple[str, ...]
    label: str
    default: int

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise ValueError(f"values of control {self.label!r} must not be empty")
        if len(self.values) != len(self.labels):
            raise ValueError(f"labels must match values: {len(self.labels)} labels for "
                             f"{len(self.values)} values of control {self.label!r}")
        if not 0 <= self.default < len(self.values):
            raise ValueError(f"default must index values, got {self.default} for "
                             f"{len(self.values)} values of control {self.label!r}")


def control_grid(widget: widgets.Widget, values: Iterable | None = None, *,
                 n_steps: int = 13, label: str | None = None) -> ControlGrid:
    """The grid of ``widget``'s values to precompute.

    - a selection (Dropdown, SelectionSlider, ToggleButtons, ...): every option, or the
      options whose values are in ``values``;
    - a Checkbox or ToggleButton: off and on;
    - an IntSlider or FloatSlider: ``values`` if given (each within the slider's range),
      else ``n_steps`` evenly spaced stops on the slider's own step lattice (an IntSlider
      with at most ``n_steps`` stops gives all of them).

    The widget's current value is always part of the grid: it is where the page starts.
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
    return ControlGrid(widget, vals, labs, name, _index_of(vals, current))


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
            raise ValueError(f"values must lie in {name!r}'s range [{lo}, {hi}]; outside: {outside}")
    elif is_int and (hi - lo) // step + 1 <= n_steps:
        vals = list(range(lo, hi + 1, step))
    else:
        raw = np.linspace(lo, hi, n_steps)
        # snap onto the slider's lattice, as the slider itself would
        snapped = lo + np.round((raw - lo) / step) * step
        vals = [int(v) for v in snapped] if is_int else [round(float(v), 10) for v in snapped]
    vals.append(current)
    return tuple(sorted(set(vals)))


# ----------------------------------------------------------------- figure dicts as leaves
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


def _differing(a: Mapping, b: Mapping) -> set[str]:
    return {k for k in set(a) | set(b) if not _same(a.get(k), b.get(k))}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if a == b:
        return True
    # the same numbers written once as a list, once as a typed array
    return _plain(a) == _plain(b)


def _plain(value: Any) -> Any:
    """A typed array (``{"dtype", "bdata"[, "shape"]}``) as nested lists; others as they are."""
    if isinstance(value, Mapping) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


# ----------------------------------------------------------------- groups and frames
@dataclass
class ControlGroup:
    """Controls (indices into the exported list) whose frames are combined; ``product``
    says whether every combination is stored or one control at a time."""

    controls: list[int]
    product: bool
    paths: set[tuple] = field(default_factory=set)  # (figure, "data"|"layout", ...)


def group_controls(changed: Sequence[set], sizes: Sequence[int], *,
                   max_combinations: int = MAX_COMBINATIONS) -> list[ControlGroup]:
    """Controls whose changed leaves overlap, joined (transitively) into groups, in the
    controls' order. A group stores every combination if there are at most
    ``max_combinations``, else one control at a time. Controls that change nothing form
    no group."""
    if len(changed) != len(sizes):
        raise ValueError(f"sizes must give one size per control: {len(sizes)} for {len(changed)}")
    max_combinations = check_int("max_combinations", max_combinations, low=1)
    parent = list(range(len(changed)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(changed)), 2):
        if changed[i] & changed[j]:
            parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(changed)):
        if changed[i]:
            groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        n = math.prod(sizes[i] for i in members)
        out.append(ControlGroup(members, product=len(members) == 1 or n <= max_combinations,
                                paths=set().union(*(changed[i] for i in members))))
    return out


def group_combinations(group: ControlGroup, sizes: Sequence[int],
                       defaults: Sequence[int]) -> list[tuple[int, ...]]:
    """The index tuples (one index per control of the group) whose states are stored."""
    if group.product:
        return list(itertools.product(*(range(sizes[i]) for i in group.controls)))
    base = tuple(defaults[i] for i in group.controls)
    out = {base}
    for pos, i in enumerate(group.controls):
        for k in range(sizes[i]):
            out.add(base[:pos] + (k,) + base[pos + 1:])
    return sorted(out)


def frame_name(group_id: int, combination: Sequence[int]) -> str:
    return f"g{group_id}:" + "-".join(str(k) for k in combination)


def frame_for(name: str, state: FigureState, paths: Iterable[tuple]) -> dict | None:
    """A plotly frame carrying ``state``'s value of each leaf in ``paths`` (None: absent).
    Returns None if none of ``paths`` belongs to this figure."""
    by_trace: dict[int, dict] = {}
    layout: dict[str, Any] = {}
    for path in paths:
        if path[0] == "data":
            _, i, p = path
            if not p.endswith("__len__"):
                by_trace.setdefault(i, {})[p] = state.traces[i].get(p)
        elif not path[1].endswith("__len__"):
            layout[path[1]] = state.layout.get(path[1])
    if not by_trace and not layout:
        return None
    traces = sorted(by_trace)
    frame: dict[str, Any] = {"name": name, "traces": traces,
                             "data": [by_trace[i] for i in traces]}
    if layout:
        frame["layout"] = layout
    return frame


def slider_spec(control: Mapping, *, group_id: int, position: int, group: Sequence[int],
                defaults: Sequence[int], native: bool) -> dict:
    """A plotly slider for one control: each step names the frame with this control at
    that step and the group's other controls at their defaults. ``native``: plotly runs
    the step itself (a group of one); else the page's script picks the frame."""
    steps = []
    for k, lab in enumerate(control["labels"]):
        combo = [defaults[i] for i in group]
        combo[position] = k
        steps.append({"label": lab, "method": "animate", "execute": native,
                      "args": [[frame_name(group_id, combo)], ANIMATE_OPTIONS]})
    return {"active": control["default"], "steps": steps, "name": control["label"],
            "currentvalue": {"prefix": _prefix(control["label"]), "font": {"size": 13}},
            "len": 0.9, "x": 0.05, "xanchor": "left", "y": 0, "yanchor": "top"}


def _prefix(label: str) -> str:
    label = label.strip()
    return f"{label} " if label.endswith(("=", ":")) else f"{label} = "


def frames_and_sliders(base: Mapping, states: Mapping[tuple, Mapping], *,
                       controls: Sequence[Mapping], groups: Sequence[ControlGroup],
                       figure_index: int = 0) -> dict:
    """One figure of a page: its default ``data`` and ``layout`` with one slider per
    control that changes it, plus ``frames`` and the ``groups`` the page script drives.

    ``base``: the figure dict at the defaults; ``states[(group_id, combination)]``: the
    figure dict for that combination; ``controls[i]``: ``{"label", "labels", "default"}``.
    """
    defaults = [c["default"] for c in controls]
    figure = {"data": base["data"], "layout": dict(base["layout"]), "frames": []}
    sliders, script_groups = [], []
    for gid, group in enumerate(groups):
        paths = [p[1:] for p in group.paths if p[0] == figure_index]
        if not paths:
            continue
        for (g, combo), state in states.items():
            if g != gid:
                continue
            frame = frame_for(frame_name(gid, combo), FigureState.from_dict(state), paths)
            if frame is not None:
                figure["frames"].append(frame)
        moving = _controls_that_move(gid, group, states, paths, defaults)
        if len(moving) == 1:  # one control of the group moves this figure: its slider alone
            pos = moving[0]
            sliders.append(slider_spec(controls[group.controls[pos]], group_id=gid, position=pos,
                                       group=group.controls, defaults=defaults, native=True))
            continue
        members = []
        for pos, i in enumerate(group.controls):
            members.append(len(sliders))
            sliders.append(slider_spec(controls[i], group_id=gid, position=pos,
                                       group=group.controls, defaults=defaults,
                                       native=len(group.controls) == 1))
        if len(group.controls) > 1:
            script_groups.append({"id": gid, "sliders": members, "product": group.product,
                                  "defaults": [defaults[i] for i in group.controls]})
    place_sliders(figure["layout"], sliders)
    return {"figure": figure, "groups": script_groups}


def _controls_that_move(gid: int, group: ControlGroup, states: Mapping[tuple, Mapping],
                        paths: Sequence[tuple], defaults: Sequence[int]) -> list[int]:
    """Positions in ``group`` of the controls that change this figure (``paths``): a control
    whose every stored state leaves the figure as it is with that control at its default
    (e.g. a checkbox that draws ellipses on another figure of the same widget) gets no
    slider on this figure."""
    stored = {combo: FigureState.from_dict(state) for (g, combo), state in states.items() if g == gid}
    moving = []
    for pos, i in enumerate(group.controls):
        for combo, state in stored.items():
            home = combo[:pos] + (defaults[i],) + combo[pos + 1:]
            if combo[pos] != defaults[i] and home in stored and \
                    _differs_on(state, stored[home], paths):
                moving.append(pos)
                break
    return moving


def _differs_on(a: FigureState, b: FigureState, paths: Sequence[tuple]) -> bool:
    return bool(changed_paths(a, b) & {tuple(p) for p in paths})


def place_sliders(layout: dict, sliders: list[dict]) -> None:
    """Stack ``sliders`` under the plot, below its axis titles and any legend set under
    it: the figure grows by the sliders' height, so the plot area keeps its size."""
    if not sliders:
        return
    margin = dict(layout.get("margin") or {})
    height = layout.get("height") or 450
    bottom = margin.get("b", 80)
    plot_height = height - margin.get("t", 100) - bottom
    below = bottom
    legend = layout.get("legend") or {}
    if legend.get("orientation") == "h" and (legend.get("y") or 0) < 0:
        below = max(below, -legend["y"] * plot_height + 50)  # about two rows of legend
    below = int(below)
    for k, s in enumerate(sliders):
        s["pad"] = {"t": below + SLIDER_HEIGHT * k + 5, "b": 0}
    margin["b"] = below + SLIDER_HEIGHT * len(sliders) + 10
    layout["margin"] = margin
    layout["height"] = height + margin["b"] - bottom
    layout["sliders"] = sliders


# ----------------------------------------------------------------- measuring the states
def _figure_dicts(figures: Sequence) -> list[dict]:
    # through plotly's encoder: arrays, numpy scalars and empty arrays become plain JSON
    return [json.loads(json.dumps(f.to_dict(), cls=PlotlyJSONEncoder)) for f in figures]


def _farthest(size: int, default: int) -> int:
    return 0 if default >= size - 1 - default else size - 1


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


def _set(control: ControlGrid, index: int) -> None:
    control.widget.value = control.values[index]


def snapshot_explainer(explainer: Explainer, *,
                       max_combinations: int = MAX_COMBINATIONS) -> dict:
    """Every exported state of ``explainer``, as a page needs it:
    ``{"figures": [frames_and_sliders(...) per figure], "controls": [...], "kernel_controls":
    [...]}``. Sets each control over its grid, then puts every control back at its default."""
    figures = explainer.figures()
    grids = explainer.exported_controls()
    sizes = [len(g.values) for g in grids]
    defaults = [g.default for g in grids]
    base = _figure_dicts(figures)
    base_states = [FigureState.from_dict(f) for f in base]

    # 1. each control alone, the others at their defaults: which leaves does it change?
    alone: list[list[list[dict]]] = []
    changed: list[set] = []
    for c, grid in enumerate(grids):
        seen, paths = [], set()
        for k in range(len(grid.values)):
            _set(grid, k)
            dicts = _figure_dicts(figures)
            seen.append(dicts)
            for f, d in enumerate(dicts):
                paths |= {(f, *p) for p in changed_paths(base_states[f], FigureState.from_dict(d))}
        _set(grid, grid.default)
        alone.append(seen)
        changed.append(paths)

    # 2. two controls also belong together if they interact: both away from their
    #    defaults, the figure is not each one's own change applied (e.g. a checkbox that
    #    shows the ellipses of whichever model a slider chose). Checked at one pair of
    #    values each: the stops farthest from the defaults.
    links = [set(p) for p in changed]
    for i, j in itertools.combinations(range(len(grids)), 2):
        if changed[i] & changed[j] or sizes[i] < 2 or sizes[j] < 2:
            continue
        ki, kj = _farthest(sizes[i], defaults[i]), _farthest(sizes[j], defaults[j])
        _set(grids[i], ki)
        _set(grids[j], kj)
        both = _figure_dicts(figures)
        _set(grids[j], grids[j].default)
        _set(grids[i], grids[i].default)
        for f, d in enumerate(both):
            composed = compose(base_states[f], FigureState.from_dict(alone[i][ki][f]),
                               FigureState.from_dict(alone[j][kj][f]))
            diff = {(f, *p) for p in changed_paths(composed, FigureState.from_dict(d))}
            if diff:  # join them through the leaves where they interact
                links[i] |= diff
                links[j] |= diff

    # 3. group, then measure every stored combination of each group
    groups = group_controls(links, sizes, max_combinations=max_combinations)
    states: dict[tuple, list[dict]] = {}
    for gid, group in enumerate(groups):
        for combo in group_combinations(group, sizes, defaults):
            moved = [(i, k) for i, k in zip(group.controls, combo) if k != defaults[i]]
            if len(moved) <= 1:  # already measured in step 1
                i, k = moved[0] if moved else (group.controls[0], defaults[group.controls[0]])
                states[(gid, combo)] = alone[i][k]
                continue
            for i, k in zip(group.controls, combo):
                _set(grids[i], k)
            states[(gid, combo)] = _figure_dicts(figures)
            for f, d in enumerate(states[(gid, combo)]):  # a leaf only a combination moves
                group.paths |= {(f, *p) for p in changed_paths(base_states[f],
                                                                  FigureState.from_dict(d))}
        for i in group.controls:
            _set(grids[i], grids[i].default)
    after = _figure_dicts(figures)
    for f, d in enumerate(after):
        if changed_paths(base_states[f], FigureState.from_dict(d)):
            warnings.warn(f"{type(explainer).__name__}: figure {f} did not return to its "
                          "default state after the controls were put back", stacklevel=2)

    controls = [{"label": g.label, "labels": list(g.labels), "default": g.default} for g in grids]
    pages = []
    for f in range(len(figures)):
        per_figure = {key: dicts[f] for key, dicts in states.items()}
        pages.append(frames_and_sliders(base[f], per_figure, controls=controls, groups=groups,
                                        figure_index=f))
    exported = {id(g.widget) for g in grids}
    unused = [grids[i].label for i in range(len(grids)) if not links[i]]
    return {"type": type(explainer).__name__, "figures": pages, "controls": controls,
            "kernel_controls": explainer.kernel_controls(exported) + unused}


def exported_states(explainer: Explainer, *, max_combinations: int = MAX_COMBINATIONS) -> dict:
    """:func:`snapshot_explainer`, or, if measuring fails, the figures as they are with
    every control named as needing a kernel and the error under ``"error"`` (the page
    shows it and ``python -m explainer.export`` reports it), so one broken widget does
    not stop a whole page."""
    try:
        return snapshot_explainer(explainer, max_combinations=max_combinations)
    except Exception as err:  # reported, never hidden: see above
        return {"type": type(explainer).__name__,
                "figures": [{"figure": d, "groups": []} for d in _figure_dicts(explainer.figures())],
                "controls": [], "kernel_controls": explainer.kernel_controls(),
                "error": f"{type(err).__name__}: {err}"}
