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
