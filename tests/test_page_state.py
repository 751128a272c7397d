"""A page's state: the controls' keys in its address, and the text readouts recorded with
each stored state (the page script that applies them is tested in
tests/browser/test_html_export.py)."""

import json

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.utils import PlotlyJSONEncoder

from explainer.plots import trace
from explainer.publish import page
from explainer.publish.readouts import find_readouts
from explainer.publish.snapshot import exported_states, snapshot_explainer
from explainer.widgets.base import Explainer
from explainer.widgets.controls import ControlGrid, address_key, control_grid


# ----------------------------------------------------------------- keys
@pytest.mark.parametrize("text, key", [
    ("KL weight β", "kl-weight-beta"),
    ("std σ_m", "std-sigma-m"),
    ("sigma^2", "sigma-2"),
    ("e =", "e"),
    ("Café  au lait!", "cafe-au-lait"),
    ("", "control"),
    ("→", "control"),
])
def test_a_key_is_plain_ascii_words_joined_by_dashes(text, key):
    assert address_key(text) == key


def test_a_grid_takes_its_key_from_its_label_unless_given():
    w = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.5, description="KL weight β")
    assert control_grid(w).key == "kl-weight-beta"
    assert control_grid(w, key="beta").key == "beta"
    assert control_grid(w, label="noise scale").key == "noise-scale"
    assert ControlGrid(w, (1.0,), ("1",), "x y", 0).key == "x-y"


@pytest.mark.parametrize("key", ["Beta", "a b", "x=1", "-a", "a--b", "", 3])
def test_a_key_that_would_not_read_well_in_an_address_is_refused(key):
    w = widgets.Checkbox(description="show")
    with pytest.raises(ValueError, match="key must be lower-case ASCII"):
        control_grid(w, key=key)


# ----------------------------------------------------------------- readouts
class Readouts(Explainer):
    """A line from a, a Label from b (escaped), a line that shows b only while the flag is
    on (neither changes it alone at every value), a static line, and a caption. In the
    figure, a moves one trace, b and the flag another (as in tests/test_frames.py)."""

    def __init__(self):
        super().__init__()
        self.a = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=1.0, description="a")
        self.b = widgets.IntSlider(value=0, min=0, max=2, description="b")
        self.flag = widgets.Checkbox(value=False, description="flag")
        self.fig = go.FigureWidget(go.Figure([go.Scatter(y=[0.0, 1.0], name="line"),
                                             go.Scatter(y=[0.0], name="flagged")]))
        self.above = widgets.HTML()
        self.label = widgets.Label()
        self.flagged = widgets.HTML()
        self.static = widgets.HTML("<i>fixed</i>")
        for control in (self.a, self.b, self.flag):
            self.on_change(control, lambda _v: self.redraw())
        self.ui = widgets.VBox([self.a, self.b, self.flag, self.above, self.fig,
                                widgets.HTML("a caption"), self.label, self.flagged, self.static,
                                self.errors])
        self.redraw()

    def redraw(self):
        trace(self.fig, "line").y = np.array([0.0, self.a.value])
        trace(self.fig, "flagged").y = np.array([self.b.value if self.flag.value else 0.0])
        self.above.value = f"<b>a</b> = {self.a.value:g}"
        self.label.value = f"b < {self.b.value + 1}"
        self.flagged.value = f"b = {self.b.value}" if self.flag.value else "no flag"

    def exported_controls(self):
        return [control_grid(self.a), control_grid(self.b), control_grid(self.flag)]


def test_readouts_are_the_explainers_own_text_widgets_in_display_order():
    w = Readouts()
    found = find_readouts(w)
    assert [r.widget for r in found] == [w.above, w.label, w.flagged, w.static]
    assert [r.after_figure for r in found] == [-1, 0, 0, 0]  # the caption is left out
    assert found[1].html() == "b &lt; 1"  # a Label shows its text literally


def _texts(spec, table, combo):
    ids = table["values"]["-".join(map(str, combo))]
    return [spec["strings"][i] for i in ids]


def test_each_readout_is_recorded_over_the_controls_it_depends_on():
    w = Readouts()
    spec = snapshot_explainer(w)["readouts"]
    assert [item["html"] for item in spec["items"]] == [
        "<b>a</b> = 1", "b &lt; 1", "no flag", "<i>fixed</i>"]
    tables = {tuple(t["controls"]): t for t in spec["tables"]}
    # the static line has no table; the flagged line depends on b and the flag together
    assert set(tables) == {(0,), (1,), (1, 2)}
    assert [tables[c]["readouts"] for c in [(0,), (1,), (1, 2)]] == [[0], [1], [2]]
    assert all(t["product"] for t in tables.values())
    for k, a in enumerate((0.0, 1.0, 2.0)):
        assert _texts(spec, tables[(0,)], [k]) == [f"<b>a</b> = {a:g}"]
    both = tables[(1, 2)]
    assert len(both["values"]) == 6
    for b in range(3):
        assert _texts(spec, both, [b, 1]) == [f"b = {b}"]
        assert _texts(spec, both, [b, 0]) == ["no flag"]
    assert len(spec["strings"]) == len(set(spec["strings"]))  # each text stored once
    assert (w.a.value, w.b.value, w.flag.value) == (1.0, 0, False)
    assert w.flagged.value == "no flag"


def test_readouts_over_too_many_combinations_are_stored_one_control_at_a_time():
    spec = snapshot_explainer(Readouts(), max_combinations=4)["readouts"]
    (both,) = [t for t in spec["tables"] if t["controls"] == [1, 2]]
    assert both["product"] is False
    assert set(both["values"]) == {"0-0", "1-0", "2-0", "0-1"}


def test_readout_states_the_figures_already_set_are_not_set_again(monkeypatch):
    # b and the flag are one group of the figure (every combination set for the frames):
    # their readout table takes its texts from there, so measuring the readouts moves nothing
    from explainer.publish import readouts, snapshot

    moves, measuring = [], []
    set_value, tables = snapshot._set, readouts.ReadoutRecorder.tables
    monkeypatch.setattr(snapshot, "_set", lambda grid, k: (
        moves.append((grid.label, k)) if measuring and k != grid.default else None,
        set_value(grid, k)))
    monkeypatch.setattr(readouts.ReadoutRecorder, "tables", lambda self, *a, **kw: (
        measuring.append(True), tables(self, *a, **kw))[1])
    spec = snapshot_explainer(Readouts())["readouts"]
    assert measuring and moves == []
    (both,) = [t for t in spec["tables"] if t["controls"] == [1, 2]]
    assert len(both["values"]) == 6


def test_a_failed_snapshot_still_shows_the_readouts_as_they_are():
    class Broken(Readouts):
        def exported_controls(self):
            raise RuntimeError("no grid")

    spec = exported_states(Broken())["readouts"]
    assert [item["html"] for item in spec["items"]][:2] == ["<b>a</b> = 1", "b &lt; 1"]
    assert spec["tables"] == []


def test_a_control_without_a_slider_in_the_page_records_no_readout():
    class NoFigure(Readouts):  # b and the flag change the text only: they need a kernel
        def redraw(self):
            super().redraw()
            trace(self.fig, "flagged").y = np.array([0.0])

    out = snapshot_explainer(NoFigure())
    assert [t["controls"] for t in out["readouts"]["tables"]] == [[0]]
    assert out["kernel_controls"] == ["b", "flag"]


def test_two_controls_of_one_explainer_cannot_share_a_key():
    class Twice(Readouts):
        def exported_controls(self):
            return [control_grid(self.a, key="x"), control_grid(self.b, key="x")]

    with pytest.raises(ValueError, match=r"\['x'\] name more than one"):
        snapshot_explainer(Twice())
    assert "name more than one" in exported_states(Twice())["error"]


# ----------------------------------------------------------------- in the page
def _exported(explainer, **kwargs):
    return json.loads(json.dumps(snapshot_explainer(explainer, **kwargs), cls=PlotlyJSONEncoder))


def _spec(html):
    text = html.split('class="explainer-spec">')[1].split("</script>")[0]
    return json.loads(text)


def test_the_page_places_readouts_and_gives_each_control_its_own_key():
    builder = page.PageBuilder()
    first = builder.explainer(_exported(Readouts()))
    second = builder.explainer(_exported(Readouts(), max_combinations=4))
    body = first.split('class="plot"')
    assert '<div class="readout" data-readout="0"><b>a</b> = 1</div>' in body[0]  # above
    assert '<div class="readout" data-readout="1">b &lt; 1</div>' in body[1]  # under
    assert "follows" not in first
    assert "The text here follows b, flag one at a time" in second
    assert [c["key"] for c in _spec(first)["controls"]] == ["a", "b", "flag"]
    assert [c["key"] for c in _spec(second)["controls"]] == ["a-2", "b-2", "flag-2"]
    spec = _spec(first)
    (figure,) = spec["figures"]
    assert figure == {"target": "plot-0", "sliders": [0, 1, 2]}
    assert spec["groups"] == [{"id": 0, "controls": [0], "product": True},
                              {"id": 1, "controls": [1, 2], "product": True}]
    assert first.startswith('<div class="explainer" id="explainer-0">')
    assert second.startswith('<div class="explainer" id="explainer-1">')


def test_an_explainer_without_readouts_or_keys_still_makes_a_page():
    builder = page.PageBuilder()
    html = builder.explainer({"figures": [], "controls": [{"label": "KL weight β", "labels": ["1"],
                                                             "default": 0}],
                              "kernel_controls": []})
    assert 'class="readouts"' not in html
    assert _spec(html)["controls"][0]["key"] == "kl-weight-beta"
