"""Precomputed states as plotly ``frames`` and ``layout.sliders``, on plain figure dicts.

- :func:`group_controls`: controls that change the same leaves form one group (their
  states are combined); controls that change disjoint leaves stay independent;
- :func:`frames_and_sliders`: one plotly frame per state of a group, carrying only the
  leaves that group changes, and one slider per control.

A group of one control needs nothing but plotly (each slider step animates its frame).
A group of several controls stores either every combination of their values (if there
are at most ``max_combinations``) or each control's values with the others at their
defaults; the page's script (``page.js``) picks the frame from all the group's sliders,
and in the second case puts the group's other sliders back to their defaults.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from explainer.publish.figure_state import FigureState, changed_paths
from explainer.validation import check_int

# vertical room one slider takes under a figure, in pixels
SLIDER_HEIGHT = 78
MAX_COMBINATIONS = 80
# a frame's options: jump at once, redraw (images and heatmaps need it)
ANIMATE_OPTIONS = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                   "transition": {"duration": 0}}


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
    control that changes it, plus ``frames``, the ``groups`` of several sliders and, for
    each slider, the index of its control (``controls``).

    ``base``: the figure dict at the defaults; ``states[(group_id, combination)]``: the
    figure dict for that combination; ``controls[i]``: ``{"label", "labels", "default"}``.
    """
    defaults = [c["default"] for c in controls]
    figure = {"data": base["data"], "layout": dict(base["layout"]), "frames": []}
    sliders, script_groups, slider_controls = [], [], []
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
            slider_controls.append(group.controls[pos])
            continue
        members = []
        for pos, i in enumerate(group.controls):
            members.append(len(sliders))
            sliders.append(slider_spec(controls[i], group_id=gid, position=pos,
                                       group=group.controls, defaults=defaults,
                                       native=len(group.controls) == 1))
            slider_controls.append(i)
        if len(group.controls) > 1:
            script_groups.append({"id": gid, "sliders": members, "product": group.product,
                                  "defaults": [defaults[i] for i in group.controls]})
    place_sliders(figure["layout"], sliders)
    return {"figure": figure, "groups": script_groups, "controls": slider_controls}


def _controls_that_move(gid: int, group: ControlGroup, states: Mapping[tuple, Mapping],
                        paths: Sequence[tuple], defaults: Sequence[int]) -> list[int]:
    """Positions in ``group`` of the controls that change this figure (``paths``): a control
    whose every stored state leaves the figure as it is with that control at its default
    (e.g. a checkbox that draws ellipses on another figure of the same widget) gets no
    slider on this figure."""
    stored = {combo: FigureState.from_dict(state)
              for (g, combo), state in states.items() if g == gid}
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
