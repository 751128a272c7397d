"""The controls a widget declares for a page without a kernel, and their value grids."""

import ipywidgets as widgets
import pytest

from explainer.widgets.controls import ControlGrid, control_grid


def test_selection_grid_is_every_option_with_labels():
    w = widgets.SelectionSlider(options=[("one", 1.0), ("two", 2.0), ("three", 3.0)], value=2.0,
                                description="K")
    g = control_grid(w)
    assert g.values == (1.0, 2.0, 3.0)
    assert g.labels == ("one", "two", "three")
    assert (g.label, g.default) == ("K", 1)


def test_selection_subset_keeps_the_current_value():
    w = widgets.Dropdown(options=["a", "b", "c", "d"], value="c")
    g = control_grid(w, ["a", "b"])
    assert g.values == ("a", "b", "c") and g.default == 2


def test_int_slider_gives_every_stop_when_few():
    w = widgets.IntSlider(value=3, min=1, max=8)
    assert control_grid(w, n_steps=8).values == tuple(range(1, 9))


def test_float_slider_stops_lie_on_its_lattice_and_include_the_value():
    w = widgets.FloatSlider(value=0.37, min=-1.0, max=1.0, step=0.1)
    g = control_grid(w, n_steps=5)
    assert g.values == (-1.0, -0.5, 0.0, 0.37, 0.5, 1.0)
    assert g.values[g.default] == 0.37
    assert g.labels[0] == "-1.00"  # the slider's own readout format


def test_checkbox_grid_is_off_and_on():
    g = control_grid(widgets.Checkbox(value=True, description="show"))
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
        control_grid(make(), values, **kwargs)


def test_a_grid_whose_default_or_labels_do_not_fit_its_values_is_refused():
    w = widgets.Checkbox()
    with pytest.raises(ValueError, match="must not be empty"):
        ControlGrid(w, (), (), "c", 0)
    with pytest.raises(ValueError, match="labels must match values"):
        ControlGrid(w, (False, True), ("off",), "c", 0)
    with pytest.raises(ValueError, match="default must index values"):
        ControlGrid(w, (False, True), ("off", "on"), "c", 2)
