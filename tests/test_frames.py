"""Precomputed widget states as plotly frames: grids, leaves, groups, frames, snapshots."""

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import frames
from explainer.frames import ControlGroup, FigureState
from explainer.widgets.base import Explainer
from explainer.widgets.lower_bound import BoundSplitExplorer


# ----------------------------------------------------------------- grids
def test_selection_grid_is_every_option_with_labels():
    w = widgets.SelectionSlider(options=[("one", 1.0), ("two", 2.0), ("three", 3.0)], value=2.0,
                                description="K")
    g = frames.control_grid(w)
    assert g.values == (1.0, 2.0, 3.0)
    assert g.labels == ("one", "two", "three")
    assert (g.label, g.default) == ("K", 1)


def test_selection_subset_keeps_the_current_value():
    w = widgets.Dropdown(options=["a", "b", "c", "d"], value="c")
    g = frames.control_grid(w, ["a", "b"])
    assert g.values == ("a", "b", "c") and g.default == 2


def test_int_slider_gives_every_stop_when_few():
    w = widgets.IntSlider(value=3, min=1, max=8)
    assert frames.control_grid(w, n_steps=8).values == tuple(range(1, 9))


def test_float_slider_stops_lie_on_its_lattice_and_include_the_value():
    w = widgets.FloatSlider(value=0.37, min=-1.0, max=1.0, step=0.1)
    g = frames.control_grid(w, n_steps=5)
    assert g.values == (-1.0, -0.5, 0.0, 0.37, 0.5, 1.0)
    assert g.values[g.default] == 0.37
    assert g.labels[0] == "-1.00"  # the slider's own readout format


def test_checkbox_grid_is_off_and_on():
    g = frames.control_grid(widgets.Checkbox(value=True, description="show"))
    assert (g.values, g.labels, g.default) == ((False, True), ("off", "on"), 1)


@pytest.mark.parametrize("make, values, match", [
    (lambda: widgets.Dropdown(options=["a", "b"]), ["z"], "values must be options"),
    (lambda: widgets.FloatSlider(min=0, max=1), [2.0], "values must lie in"),
    (lambda: widgets.Button(description="go"), None, "widget must be"),
    (lambda: widgets.IntSlider(), None, "n_steps"),
])
def test_bad_grids_are_refused_by_name(make, values, match):
    kwargs = {"n_steps": 1} if match == "n_steps" else {}
    with pytest.raises(ValueError, match=match):
        frames.control_grid(make(), values, **kwargs)


# ----------------------------------------------------------------- leaves and groups
def test_flatten_uses_plotly_paths_and_keeps_arrays_whole():
    flat = frames.flatten({"title": {"text": "t"}, "annotations": [{"text": "a"}, {"text": "b"}],
                           "x": [1, 2], "y": {"dtype": "f8", "bdata": "AA=="}})
    assert flat == {"title.text": "t", "annotations[0].text": "a", "annotations[1].text": "b",
                    "annotations.__len__": 2, "x": [1, 2], "y": {"dtype": "f8", "bdata": "AA=="}}


def test_changed_paths_names_traces_and_layout():
    a = FigureState.from_dict({"data": [{"y": [1]}, {"y": [2]}], "layout": {"title": {"text": "a"}}})
    b = FigureState.from_dict({"data": [{"y": [1]}, {"y": [3]}], "layout": {"title": {"text": "b"}}})
    assert frames.changed_paths(a, b) == {("data", 1, "y"), ("layout", "title.text")}
    with pytest.raises(ValueError, match="add or remove traces"):
        frames.changed_paths(a, FigureState.from_dict({"data": [{}], "layout": {}}))


def test_overlapping_controls_group_and_small_groups_store_every_combination():
    changed = [{(0, "data", 0, "y")}, {(0, "data", 0, "y"), (0, "layout", "t")}, {(0, "data", 1, "y")}, set()]
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
    assert frames.compose(base, a, b).traces == [{"y": [1]}, {"y": [2]}]


def test_frames_carry_only_the_group_leaves_and_sliders_sit_under_the_plot():
    base = {"data": [{"y": [0]}, {"y": [9]}], "layout": {"height": 300, "margin": {"b": 40}}}
    states = {(0, (k,)): {"data": [{"y": [k]}, {"y": [9]}], "layout": {"title": {"text": f"k={k}"}}}
              for k in range(3)}
    group = ControlGroup([0], product=True, paths={(0, "data", 0, "y"), (0, "layout", "title.text")})
    out = frames.frames_and_sliders(base, states, controls=[{"label": "k", "labels": ["0", "1", "2"],
                                                             "default": 1}], groups=[group])
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
        self.fig = go.FigureWidget(go.Figure([go.Scatter(y=[0.0, 1.0]), go.Scatter(y=[0.0])]))
        for control in (self.a, self.b, self.flag):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.a, self.b, self.flag, self.go, self.fig])
        self.redraw()

    def redraw(self):
        with self.fig.batch_update():
            self.fig.data[0].y = np.array([0.0, self.a.value])
            self.fig.data[1].y = np.array([self.b.value if self.flag.value else 0.0])
            self.fig.layout.title.text = f"a = {self.a.value}"

    def exported_controls(self):
        return [frames.control_grid(self.a), frames.control_grid(self.b),
                frames.control_grid(self.flag)]


def test_snapshot_measures_real_states_and_joins_interacting_controls():
    w = TwoSliders()
    out = frames.snapshot_explainer(w)
    (page,) = out["figures"]
    sliders = page["figure"]["layout"]["sliders"]
    assert [s["name"] for s in sliders] == ["a", "b", "flag"]
    # b changes nothing alone, the flag shows b's value: they interact and are combined
    assert page["groups"] == [{"id": 1, "sliders": [1, 2], "product": True, "defaults": [0, 0]}]
    frames_by_name = {f["name"]: f for f in page["figure"]["frames"]}
    assert set(frames_by_name) == {"g0:0", "g0:1", "g0:2", "g0:3", "g0:4",
                                   *(f"g1:{b}-{f}" for b in range(3) for f in range(2))}
    a2 = frames_by_name["g0:4"]
    assert a2["traces"] == [0] and a2["layout"] == {"title.text": "a = 2.0"}
    on = frames_by_name["g1:2-1"]
    assert on["traces"] == [1]
    assert frames._plain(on["data"][0]["y"]) == [2]
    assert out["kernel_controls"] == ['the "go" button']
    # the controls are back at their defaults, and so is the figure
    assert (w.a.value, w.b.value, w.flag.value) == (1.0, 0, False)
    assert list(w.fig.data[0].y) == [0.0, 1.0]


class TwoFigures(Explainer):
    """A model slider that moves both figures (the maps and the ring on a plane of models),
    and a checkbox that draws the chosen model's ellipses on the first figure only."""

    def __init__(self):
        super().__init__()
        self.model = widgets.IntSlider(value=0, min=0, max=2, description="model")
        self.ellipses = widgets.Checkbox(value=False, description="ellipses")
        self.maps = go.FigureWidget(go.Figure([go.Scatter(y=[0.0]), go.Scatter(y=[0.0])]))
        self.plane = go.FigureWidget(go.Figure([go.Scatter(x=[0.0], y=[0.0])]))
        for control in (self.model, self.ellipses):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.model, self.ellipses, self.maps, self.plane])
        self.redraw()

    def redraw(self):
        with self.maps.batch_update(), self.plane.batch_update():
            self.maps.data[0].y = np.array([float(self.model.value)])
            self.maps.data[1].y = np.array([10.0 + self.model.value if self.ellipses.value else 0.0])
            self.plane.data[0].x = np.array([float(self.model.value)])

    def figures(self):
        return [self.maps, self.plane]

    def exported_controls(self):
        return [frames.control_grid(self.model), frames.control_grid(self.ellipses)]


def test_a_figure_gets_sliders_only_for_the_controls_that_move_it():
    # the checkbox joins the model slider's group (they interact on the maps), but it never
    # changes the plane: a slider for it there would move nothing
    out = frames.snapshot_explainer(TwoFigures())
    maps, plane = out["figures"]
    assert [s["name"] for s in maps["figure"]["layout"]["sliders"]] == ["model", "ellipses"]
    (slider,) = plane["figure"]["layout"]["sliders"]
    assert slider["name"] == "model" and plane["groups"] == []
    assert slider["steps"][0]["execute"] is True  # plain plotly: one control, no page script
    names = {f["name"] for f in plane["figure"]["frames"]}
    for k, step in enumerate(slider["steps"]):
        (name,) = step["args"][0]
        assert name == f"g0:{k}-0" and name in names  # the checkbox at its default


def test_snapshot_of_the_bound_split_matches_setting_the_slider():
    w = BoundSplitExplorer()
    out = frames.snapshot_explainer(w)
    fig = out["figures"][0]["figure"]
    grid = w.exported_controls()[1]  # q's mean
    k = 3
    name = frames.frame_name(0, _combo(w, 1, k))  # the sliders move one at a time here
    frame = next(f for f in fig["frames"] if f["name"] == name)
    w.mean.value = grid.values[k]
    expected = frames.FigureState.from_dict(frames._figure_dicts([w.fig])[0])
    for i, data in zip(frame["traces"], frame["data"]):
        for path, value in data.items():
            assert expected.traces[i].get(path) == value
    assert expected.layout["title.text"] == frame["layout"]["title.text"]


def _combo(w, control, k):
    combo = [g.default for g in w.exported_controls()]
    combo[control] = k
    return combo
