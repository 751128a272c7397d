"""What every widget class shares: a layout, an error area, guarded callbacks, and what a
page without a kernel needs (which controls to precompute, which need a kernel)."""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import traceback
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

if TYPE_CHECKING:  # pragma: no cover
    from explainer.frames import ControlGrid

# Set (to 1) by ``python -m explainer.export`` in the kernel it runs: each displayed
# Explainer then adds its precomputed states to its output (see ``explainer.frames``).
EXPORT_ENV_VAR = "VAE_EXPLAINER_EXPORT_FRAMES"
EXPORT_MIMETYPE = "application/vnd.vae-explainer.frames+json"
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
        values (``explainer.frames.control_grid``). None by default; subclasses list their
        main sliders and dropdowns with grids cheap enough to precompute."""
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

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # the widget view, with a short stable text in place of the float-laden repr
        bundle = dict(self.ui._repr_mimebundle_())
        bundle["text/plain"] = self.summary()
        from explainer.plots import static

        if static.requested():  # a picture for GitHub and nbviewer, which show no widgets
            bundle["image/png"] = base64.b64encode(static.figures_png(self.figures())).decode()
        if os.environ.get(EXPORT_ENV_VAR) == "1":
            from explainer import frames

            # through plotly's encoder: numpy scalars and arrays become plain JSON
            bundle[EXPORT_MIMETYPE] = json.loads(json.dumps(frames.exported_states(self),
                                                            cls=PlotlyJSONEncoder))
        display(bundle, raw=True)


def _walk(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    """``widget`` and every widget inside it, depth first, in display order."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
