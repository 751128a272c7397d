"""Pure figure builders: arrays in, ``plotly.graph_objects.Figure`` out, never ``show()``.

One module per concept; ``images`` holds what every image figure shares (tiling digits
into one picture, encoding it as a PNG data URI for a ``go.Image`` trace).
"""

from plotly.basedatatypes import BaseFigure, BasePlotlyType


def trace_names(fig: BaseFigure) -> list[str | None]:
    """The names of ``fig``'s traces, in order. Read from the figure's own trace dicts:
    through plotly's property machinery a name costs about 5 us, which adds up in a widget
    that finds twenty traces by name on every slider change."""
    return [data.get("name") for data in fig._data]


def trace_index(fig: BaseFigure, name: str) -> int:
    """The position in ``fig.data`` of the one trace called ``name`` (for the few plotly
    APIs that take positions, such as a frame's ``traces``)."""
    names = trace_names(fig)
    if names.count(name) != 1:
        raise KeyError(f"the figure must hold one trace named {name!r}, found "
                       f"{names.count(name)}; its traces: {names}")
    return names.index(name)


def trace(fig: BaseFigure, name: str) -> BasePlotlyType:
    """The one trace of ``fig`` called ``name``: figure builders name every trace, and
    widgets and tests address them by name, never by position."""
    return fig.data[trace_index(fig, name)]


def update_traces(fig: BaseFigure, updates: dict[str, dict]) -> None:
    """Set each named trace's data: ``updates`` maps a trace name to its new properties
    (what a plots module's ``*_updates`` function returns). Call inside
    ``fig.batch_update()`` to send one message."""
    for name, data in updates.items():
        trace(fig, name).update(**data)
