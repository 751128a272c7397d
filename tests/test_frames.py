"""Precomputed widget states as plotly frames: leaves, groups, frames, snapshots."""

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest

from explainer.plots import trace, trace_index
from explainer.publish import frames
from explainer.publish.figure_state import FigureState, changed_paths, compose, flatten, plain
from explainer.publish.frames import ControlGroup
from explainer.publish.snapshot import figure_dicts, snapshot_explainer
from explainer.widgets.base import Explainer
from explainer.widgets.controls import control_grid
from explainer.widgets.lower_bound import BoundSplitExplorer


# ----------------------------------------------------------------- leaves and groups
def test_flatten_uses_plotly_paths_and_keeps_arrays_whole():
    flat = flatten({"title": {"text": "t"}, "annotations": [{"text": "a"}, {"text": "b"}],
                           "x": [1, 2], "y": {"dtype": "f8", "bdata": "AA=="}})
    assert flat == {"title.text": "t", "annotations[0].text": "a", "annotations[1].text": "b",
                    "annotations.__len__": 2, "x": [1, 2], "y": {"dtype": "f8", "bdata": "AA=="}}


def test_changed_paths_names_traces_and_layout():
    a = FigureState.from_dict({"data": [{"y": [1]}, {"y": [2]}],
                               "layout": {"title": {"text": "a"}}})
    b = FigureState.from_dict({"data": [{"y": [1]}, {"y": [3]}],
                               "layout": {"title": {"text": "b"}}})
    assert changed_paths(a, b) == {("data", 1, "y"), ("layout", "title.text")}
    with pytest.raises(ValueError, match="add or remove traces"):
        changed_paths(a, FigureState.from_dict({"data": [{}], "layout": {}}))


def test_overlapping_controls_group_and_small_groups_store_every_combination():
    changed = [{(0, "data", 0, "y")}, {(0, "data", 0, "y"), (0, "layout", "t")},
               {(0, "data", 1, "y")}, set()]
    groups = frames.group_controls(changed, [3, 4, 5, 2], max_combinations=12)
    assert [(g.controls, g.product) for g in groups] == [([0, 1], True), ([2], True)]
    big = frames.group_controls(changed, [3, 5, 5, 2], max_combinations=12)
    assert big[0].product is False
    assert frames.group_combinations(big[0], [3, 5], [1, 2]) == sorted(
        {(0, 2), (1, 2), (2, 2), (1, 0), (1, 1), (1, 3), (1, 4)})
    with pytest.raises(ValueError, match="sizes"):
        frames.group_controls(changed, [1, 2])


def test_compose_applies_two_independent_changes():
    base = FigureState.from_dict({"data": [{"y": [0]}, {"y": [0]}], "layout": {}})
    a = FigureState.from_dict({"data": [{"y": [1]}, {"y": [0]}], "layout": {}})
    b = FigureState.from_dict({"data": [{"y": [0]}, {"y": [2]}], "layout": {}})
    assert compose(base, a, b).traces == [{"y": [1]}, {"y": [2]}]


def test_frames_carry_only_the_group_leaves_and_sliders_sit_under_the_plot():
    base = {"data": [{"y": [0]}, {"y": [9]}], "layout": {"height": 300, "margin": {"b": 40}}}
    states = {(0, (k,)): {"data": [{"y": [k]}, {"y": [9]}], "layout": {"title": {"text": f"k={k}"}}}
              for k in range(3)}
    group = ControlGroup([0], product=True,
                         paths={(0, "data", 0, "y"), (0, "layout", "title.text")})
    control = {"label": "k", "labels": ["0", "1", "2"], "default": 1}
    out = frames.frames_and_sliders(base, states, controls=[control], groups=[group])
    fig = out["figure"]
    assert [f["name"] for f in fig["frames"]] == ["g0:0", "g0:1", "g0:2"]
    assert fig["frames"][2] == {"name": "g0:2", "traces": [0], "data": [{"y": [2]}],
                                "layout": {"title.text": "k=2"}}
    (slider,) = fig["layout"]["sliders"]
    assert slider["active"] == 1 and slider["steps"][2]["args"][0] == ["g0:2"]
    assert slider["steps"][0]["execute"] is True  # a group of one is plain plotly
    assert fig["layout"]["height"] == 300 + frames.SLIDER_HEIGHT + 10
    assert out["groups"] == []


# ----------------------------------------------------------------- snapshots of real widgets
class TwoSliders(Explainer):
    """y = a * x on one trace, a title from b; and a checkbox that only matters with b."""

    def __init__(self):
        super().__init__()
        self.a = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.5, description="a")
        self.b = widgets.IntSlider(value=0, min=0, max=2, description="b")
        self.flag = widgets.Checkbox(value=False, description="flag")
        self.go = widgets.Button(description="go")
        self.fig = go.FigureWidget(go.Figure([go.Scatter(y=[0.0, 1.0], name="line"),
                                             go.Scatter(y=[0.0], name="flagged")]))
        for control in (self.a, self.b, self.flag):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.a, self.b, self.flag, self.go, self.fig])
        self.redraw()

    def redraw(self):
        with self.fig.batch_update():
            trace(self.fig, "line").y = np.array([0.0, self.a.value])
            trace(self.fig, "flagged").y = np.array([self.b.value if self.flag.value else 0.0])
            self.fig.layout.title.text = f"a = {self.a.value}"

    def exported_controls(self):
        return [control_grid(self.a), control_grid(self.b),
                control_grid(self.flag)]


def test_snapshot_measures_real_states_and_joins_interacting_controls():
    w = TwoSliders()
    out = snapshot_explainer(w)
    (page,) = out["figures"]
    sliders = page["figure"]["layout"]["sliders"]
    assert [s["name"] for s in sliders] == ["a", "b", "flag"]
    # b changes nothing alone, the flag shows b's value: they interact and are combined
    assert page["groups"] == [{"id": 1, "sliders": [1, 2], "product": True, "defaults": [0, 0]}]
    frames_by_name = {f["name"]: f for f in page["figure"]["frames"]}
    assert set(frames_by_name) == {"g0:0", "g0:1", "g0:2", "g0:3", "g0:4",
                                   *(f"g1:{b}-{f}" for b in range(3) for f in range(2))}
    a2 = frames_by_name["g0:4"]
    assert a2["traces"] == [trace_index(w.fig, "line")]
    assert a2["layout"] == {"title.text": "a = 2.0"}
    on = frames_by_name["g1:2-1"]
    assert on["traces"] == [trace_index(w.fig, "flagged")]
    assert plain(on["data"][0]["y"]) == [2]
    assert out["kernel_controls"] == ['the "go" button']
    # the controls are back at their defaults, and so is the figure
    assert (w.a.value, w.b.value, w.flag.value) == (1.0, 0, False)
    assert list(trace(w.fig, "line").y) == [0.0, 1.0]


class TwoFigures(Explainer):
    """A model slider that moves both figures (the maps and the ring on a plane of models),
    and a checkbox that draws the chosen model's ellipses on the first figure only."""

    def __init__(self):
        super().__init__()
        self.model = widgets.IntSlider(value=0, min=0, max=2, description="model")
        self.ellipses = widgets.Checkbox(value=False, description="ellipses")
        self.maps = go.FigureWidget(go.Figure([go.Scatter(y=[0.0], name="model"),
                                              go.Scatter(y=[0.0], name="ellipses")]))
        self.plane = go.FigureWidget(go.Figure([go.Scatter(x=[0.0], y=[0.0], name="ring")]))
        for control in (self.model, self.ellipses):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.model, self.ellipses, self.maps, self.plane])
        self.redraw()

    def redraw(self):
        with self.maps.batch_update(), self.plane.batch_update():
            trace(self.maps, "model").y = np.array([float(self.model.value)])
            trace(self.maps, "ellipses").y = np.array([10.0 + self.model.value
                                                       if self.ellipses.value else 0.0])
            trace(self.plane, "ring").x = np.array([float(self.model.value)])

    def figures(self):
        return [self.maps, self.plane]

    def exported_controls(self):
        return [control_grid(self.model), control_grid(self.ellipses)]


def test_a_figure_gets_sliders_only_for_the_controls_that_move_it():
    # the checkbox joins the model slider's group (they interact on the maps), but it never
    # changes the plane: a slider for it there would move nothing
    out = snapshot_explainer(TwoFigures())
    maps, plane = out["figures"]
    assert [s["name"] for s in maps["figure"]["layout"]["sliders"]] == ["model", "ellipses"]
    (slider,) = plane["figure"]["layout"]["sliders"]
    assert slider["name"] == "model" and plane["groups"] == []
    assert maps["controls"] == [0, 1] and plane["controls"] == [0]  # each slider's control
    assert slider["steps"][0]["execute"] is True  # plain plotly: one control, no page script
    names = {f["name"] for f in plane["figure"]["frames"]}
    for k, step in enumerate(slider["steps"]):
        (name,) = step["args"][0]
        assert name == f"g0:{k}-0" and name in names  # the checkbox at its default


def test_snapshot_of_the_bound_split_matches_setting_the_slider():
    w = BoundSplitExplorer()
    out = snapshot_explainer(w)
    fig = out["figures"][0]["figure"]
    grid = w.exported_controls()[1]  # q's mean
    k = 3
    name = frames.frame_name(0, _combo(w, 1, k))  # the sliders move one at a time here
    frame = next(f for f in fig["frames"] if f["name"] == name)
    w.mean.value = grid.values[k]
    expected = FigureState.from_dict(figure_dicts([w.fig])[0])
    for i, data in zip(frame["traces"], frame["data"]):
        for path, value in data.items():
            assert expected.traces[i].get(path) == value
    assert expected.layout["title.text"] == frame["layout"]["title.text"]


def _combo(w, control, k):
    combo = [g.default for g in w.exported_controls()]
    combo[control] = k
    return combo
