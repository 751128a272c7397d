"""What every widget class shares: a layout, an error area, and guarded callbacks."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets


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

    def summary(self) -> str:
        """The plain-text stand-in shown where no widget can render (and compared by nbval)."""
        return f"{type(self).__name__}: interactive figure (needs a running kernel)"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # the widget view, with a short stable text in place of the float-laden repr
        bundle = dict(self.ui._repr_mimebundle_())
        bundle["text/plain"] = self.summary()
        display(bundle, raw=True)
