import ipywidgets as widgets
import pytest

from explainer.widgets.base import Explainer


class Doubler(Explainer):
    def __init__(self):
        super().__init__()
        self.slider = widgets.FloatSlider(value=1.0, min=-5, max=5)
        self.label = widgets.Label()
        self.button = widgets.Button(description="fail")
        self.on_change(self.slider, self._update)
        self.on_click(self.button, self._fail)
        self.ui = widgets.VBox([self.slider, self.label, self.button, self.errors])

    def _update(self, value):
        if value < 0:
            raise ValueError(f"value must be >= 0, got {value}")
        self.label.value = str(2 * value)

    def _fail(self):
        raise RuntimeError("button failed on purpose")


def test_callback_updates():
    w = Doubler()
    w.slider.value = 2.0
    assert w.label.value == "4.0"


def test_callback_error_is_shown_on_the_page_and_raised():
    w = Doubler()
    with pytest.raises(ValueError, match="value must be >= 0"):
        w.slider.value = -1.0
    shown = "".join(o.get("text", "") for o in w.errors.outputs)
    assert "ValueError: value must be >= 0, got -1.0" in shown
    w.slider.value = 3.0  # a good value clears the error area
    assert w.errors.outputs == ()
    w.button.click()  # ipywidgets logs a button's exception; the page shows it too
    assert "button failed on purpose" in "".join(o.get("text", "") for o in w.errors.outputs)


def test_display_text_is_stable():
    assert Doubler().summary() == "Doubler: interactive figure (needs a running kernel)"


def test_float_slider_checks_its_first_value_and_refuses_later_ones():
    from traitlets import TraitError

    from explainer.widgets.base import float_slider

    with pytest.raises(ValueError, match=r"beta must be in \[0, 2\], got 5.0"):
        float_slider("beta", 5, low=0.0, high=2.0, step=0.1)
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0, 2\], got nan"):
        float_slider("beta", float("nan"), low=0.0, high=2.0, step=0.1)
    with pytest.raises(TypeError, match="beta must be a real number"):
        float_slider("beta", "1", low=0.0, high=2.0, step=0.1)
    s = float_slider("beta", 1, low=0.0, high=2.0, step=0.1, description="KL weight")
    assert isinstance(s, widgets.FloatSlider) and s.value == 1.0 and s.description == "KL weight"
    seen = []
    s.observe(lambda change: seen.append(change["new"]), names="value")
    # ipywidgets would clamp 5 to 2 and -1 to 0, and let NaN through: refused, nothing changes
    for bad, message in ((5.0, r"beta must be in \[0, 2\], got 5.0"),
                         (-1.0, r"beta must be in \[0, 2\], got -1.0"),
                         (float("nan"), r"beta must be a finite number in \[0, 2\]"),
                         ("0.5", "beta must be a real number")):
        with pytest.raises(TraitError, match=message):
            s.value = bad
    assert s.value == 1.0 and seen == []
    s.value = 2
    assert s.value == 2.0 and seen == [2.0]
    # shrinking the range under the value would move it silently: refused too
    with pytest.raises(TraitError, match=r"beta's max 1.5 is below its value 2"):
        s.max = 1.5
    with pytest.raises(TraitError, match=r"beta's min 2.5 is above its max 2"):
        s.min = 2.5
    s.value = 1.0
    s.max = 1.5
    assert (s.max, s.value) == (1.5, 1.0)


def test_int_slider_and_play_refuse_instead_of_clamping():
    from traitlets import TraitError

    from explainer.widgets.base import int_slider, play_control

    with pytest.raises(ValueError, match=r"rounds must be an integer in \[1, 50\], got 51"):
        int_slider("rounds", 51, low=1, high=50)
    s = int_slider("rounds", 5, low=1, high=50)
    assert isinstance(s, widgets.IntSlider)
    with pytest.raises(TraitError, match=r"rounds must be an integer in \[1, 50\], got 100"):
        s.value = 100
    with pytest.raises(TraitError, match="rounds must be an integer, got float 2.5"):
        s.value = 2.5  # ipywidgets would truncate it to 2
    assert s.value == 5
    p = play_control("draws", 0, low=0, high=10, step=2)
    assert isinstance(p, widgets.Play) and p.step == 2
    with pytest.raises(TraitError, match=r"draws must be an integer in \[0, 10\], got 11"):
        p.value = 11


def test_a_figure_changed_before_its_display_is_shown_changed():
    # a page that connects after the cell ran (Voila) draws a figure from its synced state:
    # the display brings that state up to date, as plotly's own display of a figure does
    import plotly.graph_objects as go

    from explainer.plots import trace
    from explainer.widgets.figure import SharedFigureWidget

    class Changed(Explainer):
        def __init__(self):
            super().__init__()
            self.fig = SharedFigureWidget(go.Figure(go.Scatter(x=[0], y=[0], name="point")))
            trace(self.fig, "point").update(x=[1.5], y=[2.5])
            self.fig.layout.title.text = "after"
            self.ui = widgets.VBox([self.fig, self.errors])

    explainer = Changed()
    assert explainer.fig._widget_data[0]["x"] == [0]  # what a late page would draw
    explainer._repr_mimebundle_()
    assert list(explainer.fig._widget_data[0]["x"]) == [1.5]
    assert explainer.fig._widget_layout["title"]["text"] == "after"
