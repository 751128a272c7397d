"""A widget's states, measured: :func:`snapshot_explainer` sets each exported control's
``.value`` over its grid (exactly as a learner would), reads the figures and the text
readouts back, and turns them into frames and sliders (``explainer.publish.frames``) and
readout tables (``explainer.publish.readouts``) for a page with no kernel.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Sequence

from plotly.basedatatypes import BaseFigure
from plotly.utils import PlotlyJSONEncoder

from explainer.publish.figure_state import FigureState, changed_paths, compose
from explainer.publish.frames import (
    MAX_COMBINATIONS,
    frames_and_sliders,
    group_combinations,
    group_controls,
)
from explainer.publish.readouts import (
    ReadoutRecorder,
    find_readouts,
    missing,
    readout_spec,
    static_spec,
)
from explainer.widgets.base import Explainer
from explainer.widgets.controls import ControlGrid


def figure_dicts(figures: Sequence[BaseFigure]) -> list[dict]:
    """``figures`` as plain JSON dicts, through plotly's encoder: arrays, numpy scalars and
    empty arrays become plain JSON."""
    return [json.loads(json.dumps(f.to_dict(), cls=PlotlyJSONEncoder)) for f in figures]


def _farthest(size: int, default: int) -> int:
    return 0 if default >= size - 1 - default else size - 1


def _set(control: ControlGrid, index: int) -> None:
    control.widget.value = control.values[index]


def _steps(defaults: Sequence[int], controls: Sequence[int],
           combo: Sequence[int]) -> tuple[int, ...]:
    """Every control's step: ``combo`` for ``controls``, the others at their defaults."""
    steps = list(defaults)
    for i, k in zip(controls, combo):
        steps[i] = k
    return tuple(steps)


def _check_keys(explainer: Explainer, grids: Sequence[ControlGrid]) -> None:
    keys = [g.key for g in grids]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"{type(explainer).__name__}: each exported control needs its own key "
                         f"for the page's address; {twice} name more than one (give "
                         "control_grid(..., key=...))")


def snapshot_explainer(explainer: Explainer, *,
                       max_combinations: int = MAX_COMBINATIONS) -> dict:
    """Every exported state of ``explainer``, as a page needs it:
    ``{"figures": [frames_and_sliders(...) per figure], "controls": [...], "readouts":
    readout_spec(...), "kernel_controls": [...]}``. Sets each control over its grid, then
    puts every control back at its default."""
    figures = explainer.figures()
    grids = explainer.exported_controls()
    _check_keys(explainer, grids)
    sizes = [len(g.values) for g in grids]
    defaults = [g.default for g in grids]
    base = figure_dicts(figures)
    base_states = [FigureState.from_dict(f) for f in base]
    readouts = ReadoutRecorder(find_readouts(explainer), len(grids))

    # 1. each control alone, the others at their defaults: which leaves does it change?
    alone: list[list[list[dict]]] = []
    changed: list[set] = []
    for c, grid in enumerate(grids):
        seen, paths = [], set()
        for k in range(len(grid.values)):
            _set(grid, k)
            dicts = figure_dicts(figures)
            readouts.record_alone(c, k)
            seen.append(dicts)
            for f, d in enumerate(dicts):
                paths |= {(f, *p) for p in changed_paths(base_states[f], FigureState.from_dict(d))}
        _set(grid, grid.default)
        alone.append(seen)
        changed.append(paths)

    # 2. two controls also belong together if they interact: both away from their
    #    defaults, the figure is not each one's own change applied (e.g. a checkbox that
    #    shows the ellipses of whichever model a slider chose). Checked at one pair of
    #    values each: the stops farthest from the defaults. The same for the readouts
    #    (e.g. a line that names both rows' models).
    links = [set(p) for p in changed]
    for i, j in itertools.combinations(range(len(grids)), 2):
        if sizes[i] < 2 or sizes[j] < 2:
            continue
        check_figures, check_readouts = not changed[i] & changed[j], readouts.needs_pair(i, j)
        if not (check_figures or check_readouts):
            continue
        ki, kj = _farthest(sizes[i], defaults[i]), _farthest(sizes[j], defaults[j])
        _set(grids[i], ki)
        _set(grids[j], kj)
        both = figure_dicts(figures) if check_figures else []
        if check_readouts:
            readouts.record_pair(i, ki, j, kj)
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
            states[(gid, combo)] = figure_dicts(figures)
            readouts.record_state(_steps(defaults, group.controls, combo))
            for f, d in enumerate(states[(gid, combo)]):  # a leaf only a combination moves
                group.paths |= {(f, *p) for p in changed_paths(base_states[f],
                                                                  FigureState.from_dict(d))}
        for i in group.controls:
            _set(grids[i], grids[i].default)
    # 4. the readouts' texts over every stored combination of the controls each depends on
    # (a control that changes no figure has no slider: it needs a kernel, see "unused")
    tables = readouts.tables(sizes, defaults, live={i for i in range(len(grids)) if links[i]},
                             max_combinations=max_combinations)
    for table in tables:
        for combo in missing(table, sizes, defaults):
            texts = readouts.seen.get(_steps(defaults, table.controls, combo))
            if texts is None:
                for i, k in zip(table.controls, combo):
                    _set(grids[i], k)
                texts = readouts.read()
            table.texts[combo] = tuple(texts[r] for r in table.readouts)
        for i in table.controls:
            _set(grids[i], grids[i].default)
    after = figure_dicts(figures)
    for f, d in enumerate(after):
        if changed_paths(base_states[f], FigureState.from_dict(d)):
            warnings.warn(f"{type(explainer).__name__}: figure {f} did not return to its "
                          "default state after the controls were put back", stacklevel=2)
    if readouts.read() != readouts.base:
        warnings.warn(f"{type(explainer).__name__}: a readout did not return to its default "
                      "text after the controls were put back", stacklevel=2)

    controls = [{"label": g.label, "key": g.key, "labels": list(g.labels), "default": g.default}
                for g in grids]
    pages = []
    for f in range(len(figures)):
        per_figure = {key: dicts[f] for key, dicts in states.items()}
        pages.append(frames_and_sliders(base[f], per_figure, controls=controls, groups=groups,
                                        figure_index=f))
    exported = {id(g.widget) for g in grids}
    unused = [grids[i].label for i in range(len(grids)) if not links[i]]
    return {"type": type(explainer).__name__, "figures": pages, "controls": controls,
            "groups": [{"id": gid, "controls": g.controls, "product": g.product}
                       for gid, g in enumerate(groups)],
            "readouts": readout_spec(readouts.readouts, readouts.base, tables),
            "kernel_controls": explainer.kernel_controls(exported) + unused}


def exported_states(explainer: Explainer, *, max_combinations: int = MAX_COMBINATIONS) -> dict:
    """:func:`snapshot_explainer`, or, if measuring fails, the figures as they are with
    every control named as needing a kernel and the error under ``"error"`` (the page
    shows it and ``python -m explainer.publish.export`` reports it), so one broken widget
    does not stop a whole page."""
    try:
        return snapshot_explainer(explainer, max_combinations=max_combinations)
    except Exception as err:  # reported, never hidden: see above
        return {"type": type(explainer).__name__,
                "figures": [{"figure": d, "groups": []} for d in figure_dicts(explainer.figures())],
                "controls": [], "groups": [], "readouts": static_spec(find_readouts(explainer)),
                "kernel_controls": explainer.kernel_controls(),
                "error": f"{type(err).__name__}: {err}"}
