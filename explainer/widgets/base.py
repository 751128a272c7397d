"""What every widget class shares: a layout, an error area, guarded callbacks, sliders that
refuse instead of clamping, and what a page without a kernel needs (which controls to
precompute, which need a kernel).

ipywidgets' number sliders clamp a value outside [min, max] into the range without a
word (``FloatSlider(max=2).value = 5`` gives 2), let NaN through, truncate 2.7 to 2 in an
``IntSlider``, and move the value when the range shrinks under it. Widget classes build
their sliders with :func:`float_slider`, :func:`int_slider` and :func:`play_control`
instead: the first value is checked before the slider exists (a ``ValueError`` naming
the parameter and its range, from ``explainer.validation``), and a later value outside
the range is refused with a ``TraitError`` that names them too. Nothing is clamped.
"""

from __future__ import annotations

import copy
import functools
import re
import traceback
from collections.abc import Callable, Collection, Iterator
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import traitlets

from explainer.validation import check_int, check_real
from explainer.widgets.controls import ControlGrid
from explainer.widgets.live import LiveFigure

# the kinds of widget a learner sets (sliders, dropdowns, toggles, checkboxes)
_CONTROL_TYPES = (widgets.widget_selection._Selection, widgets.widget_int._Int,
                  widgets.widget_float._Float, widgets.widget_bool._Bool)


class Explainer:
    """Base of the widget classes: subclasses build ``self.ui`` and wire controls with
    :meth:`on_change`.

    A callback's exception is written to ``self.errors`` (an ``Output`` shown under the
    figures) and then re-raised, so it is visible on the page, in the log console, and
    to a test that sets ``.value`` in Python.
    """

    ui: widgets.Widget

    def __init__(self) -> None:
        self.errors = widgets.Output(layout=widgets.Layout(border="0px"))

    def on_change(self, control: widgets.Widget, handler: Callable[[Any], None], *,
                  names: str = "value") -> None:
        """Call ``handler(new_value)`` whenever ``control``'s trait ``names`` changes."""
        guarded = self.guard(handler)
        control.observe(lambda change: guarded(change["new"]), names=names)

    def on_click(self, button: widgets.Button, handler: Callable[[], None]) -> None:
        """Call ``handler()`` when ``button`` is pressed."""
        guarded = self.guard(handler)
        button.on_click(lambda _button: guarded())

    def guard(self, handler: Callable[..., None]) -> Callable[..., None]:
        """Wrap ``handler`` so that its exception is shown in ``self.errors``, then raised."""

        @functools.wraps(handler)
        def wrapper(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as err:
                self.show_error(err)
                raise
            else:
                self.errors.outputs = ()

        return wrapper

    def show_error(self, err: BaseException) -> None:
        """Write ``err`` with its traceback into the error area on the page."""
        text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        self.errors.outputs = ()
        self.errors.append_stderr(text)

    def figures(self) -> list[go.FigureWidget]:
        """The explainer's plotly figures (its ``FigureWidget`` attributes, in order)."""
        return [v for v in vars(self).values() if isinstance(v, go.FigureWidget)]

    def exported_controls(self) -> list[ControlGrid]:
        """The controls a page without a kernel keeps working, each with its grid of
        values (``explainer.widgets.controls.control_grid``). None by default; subclasses
        list their main sliders and dropdowns with grids cheap enough to precompute."""
        return []

    def live_figures(self) -> list[LiveFigure]:
        """The figures a page runs itself, their models inlined (``explainer.widgets.live``):
        pointing, drawing and choices off the precomputed grid, with no kernel. None by
        default."""
        return []

    def kernel_controls(self, exported: Collection[int] = ()) -> list[str]:
        """Names of the controls in ``self.ui`` that only work with a running kernel: every
        button, player, drawing pad and control whose ``id`` is not in ``exported``."""
        names = []
        for w in _walk(self.ui):
            if id(w) in exported or isinstance(w, (go.FigureWidget, widgets.Output)):
                continue
            if isinstance(w, widgets.Button):
                names.append(f'the "{w.description}" button')
            elif isinstance(w, widgets.Play):
                names.append("the play button")
            elif isinstance(w, _CONTROL_TYPES):
                names.append(f'"{w.description}"' if w.description else type(w).__name__)
            elif hasattr(w, "_esm"):  # an anywidget, e.g. the drawing pad
                names.append("the " + re.sub(r"(?<!^)(?=[A-Z])", " ", type(w).__name__).lower())
        return names

    def summary(self) -> str:
        """The plain-text stand-in shown where no widget can render (and compared by nbval)."""
        return f"{type(self).__name__}: interactive figure (needs a running kernel)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget view, with a short stable text in place of the float-laden repr.

        Each figure's synced state is brought up to date first, as plotly's own
        ``FigureWidget._repr_mimebundle_`` does when a figure is shown alone: a page that
        connects after the cell ran (Voila) builds the figure from that state, and the
        changes made before the display (a point decoded, a digit drawn) would be lost."""
        for fig in self.figures():
            fig._widget_layout = copy.deepcopy(fig._layout_obj._props)
            fig._widget_data = copy.deepcopy(fig._data)
        bundle = dict(self.ui._repr_mimebundle_())
        bundle["text/plain"] = self.summary()
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # shown as display data, never as a cell's result (no "Out[n]" above a figure)
        display(self._repr_mimebundle_(), raw=True)


# ----------------------------------------------------------------- sliders that refuse
class _RefusesOutOfRange(traitlets.HasTraits):
    """Mixin for ipywidgets' bounded number widgets: refuse a value outside [min, max],
    never clamp it. ``parameter`` is the name errors give (the constructor's argument)."""

    parameter = traitlets.Unicode("value", help="the parameter named by a refused value's error")

    def _check(self, value: object) -> float | int:
        raise NotImplementedError

    @traitlets.validate("value")
    def _validate_value(self, proposal: dict) -> float | int:
        try:
            return self._check(proposal["value"])
        except (TypeError, ValueError) as err:
            raise traitlets.TraitError(str(err)) from err

    @traitlets.validate("min")
    def _validate_min(self, proposal: dict) -> float | int:
        low = proposal["value"]
        if low > self.max:
            raise traitlets.TraitError(f"{self.parameter}'s min {low:g} is above its max "
                                       f"{self.max:g}")
        if low > self.value:
            raise traitlets.TraitError(f"{self.parameter}'s min {low:g} is above its value "
                                       f"{self.value:g}: set the value first")
        return low

    @traitlets.validate("max")
    def _validate_max(self, proposal: dict) -> float | int:
        high = proposal["value"]
        if high < self.min:
            raise traitlets.TraitError(f"{self.parameter}'s max {high:g} is below its min "
                                       f"{self.min:g}")
        if high < self.value:
            raise traitlets.TraitError(f"{self.parameter}'s max {high:g} is below its value "
                                       f"{self.value:g}: set the value first")
        return high


class CheckedFloatSlider(_RefusesOutOfRange, widgets.FloatSlider):
    """A ``FloatSlider`` whose value must be a finite real number in [min, max]."""

    # no casting before the check: "0.5" is refused, not read as 0.5
    value = traitlets.Any(0.0, help="Float value").tag(sync=True)

    def _check(self, value: object) -> float:
        return check_real(self.parameter, value, low=self.min, high=self.max)


class _CheckedInt(_RefusesOutOfRange):
    # no casting before the check: 2.7 is refused, not truncated to 2
    value = traitlets.Any(0, help="Int value").tag(sync=True)

    def _check(self, value: object) -> int:
        return check_int(self.parameter, value, low=self.min, high=self.max)


class CheckedIntSlider(_CheckedInt, widgets.IntSlider):
    """An ``IntSlider`` whose value must be an integer in [min, max]."""


class CheckedPlay(_CheckedInt, widgets.Play):
    """A ``Play`` button whose value must be an integer in [min, max]."""


def float_slider(parameter: str, value: object, *, low: float, high: float, step: float,
                 **kwargs: Any) -> CheckedFloatSlider:
    """A slider over [low, high] starting at ``value``, which is checked first."""
    value = check_real(parameter, value, low=low, high=high)
    return CheckedFloatSlider(value=value, min=low, max=high, step=step, parameter=parameter,
                              **kwargs)


def int_slider(parameter: str, value: object, *, low: int, high: int, step: int = 1,
               **kwargs: Any) -> CheckedIntSlider:
    """An integer slider over [low, high] starting at ``value``, which is checked first."""
    value = check_int(parameter, value, low=low, high=high)
    return CheckedIntSlider(value=value, min=low, max=high, step=step, parameter=parameter,
                            **kwargs)


def play_control(parameter: str, value: object, *, low: int, high: int, step: int = 1,
                 **kwargs: Any) -> CheckedPlay:
    """A play button counting over [low, high] from ``value``, which is checked first."""
    value = check_int(parameter, value, low=low, high=high)
    return CheckedPlay(value=value, min=low, max=high, step=step, parameter=parameter, **kwargs)


def _walk(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    """``widget`` and every widget inside it, depth first, in display order."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
