"""Figures of a 1-D code axis: the codes and their noise bands, the decoded strip, the
distances of each decode to the full, 3/4 and half moon, and the midpoint's decode.

Pure: a :class:`explainer.code_space.CodeSpace` (arrays) in, ``go.Figure`` out.
``code_space_updates`` gives the data of every trace, so a widget can refresh a
``FigureWidget`` trace by trace without rebuilding it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.code_space import REFERENCE_NAMES, CodeSpace, reference_moons
from explainer.plots.images import png_data_uri, tile_images

KIND_NAMES = {"ae": "plain AE", "noisy_ae": "noisy AE", "vae": "VAE"}
BAND_COLOURS = ("#1f77b4", "#d62728", "#9aa5b1")  # full moon, half moon, other phases
DISTANCE_COLOURS = ("#1f77b4", "#2ca02c", "#d62728")  # to full, 3/4, half
LIT_COLOUR = "#555555"
MIDPOINT_COLOUR = "#ff7f0e"
FAR_COLOUR = "#e6b800"  # the tutorial's yellow point

# trace order in code_space_figure (the widget updates them by index)
TRACE_NAMES = (
    "full moon's band",
    "half moon's band",
    "other phases' bands",
    "codes",
    "midpoint",
    "far point",
    "decoded strip",
    "distance to full moon",
    "distance to 3/4 moon",
    "distance to half moon",
    "lit fraction",
    "midpoint vs 3/4 moon",
)


def describe(space: CodeSpace) -> str:
    """A one-line title: the model and its measured midpoint."""
    model = KIND_NAMES[space.kind]
    if space.kind == "noisy_ae":
        model += f", noise scale {space.noise_scale:g}, KL pull beta {space.beta:g}"
    elif space.kind == "vae":
        model += (f", KL weight beta {space.beta:g}, learned sigma {space.sigmas[0]:.2g} / "
                  f"{space.sigmas[-1]:.2g}")
    apart = "" if not np.isfinite(space.separation) else f" ({space.separation:.0f} sigma apart)"
    return (
        f"{model}: codes {space.means[0]:.2f} (full) and {space.means[-1]:.2f} (half){apart}; "
        f"midpoint decode is {space.midpoint_distances[1]:.2f} from the 3/4 moon, "
        f"lit fraction {space.midpoint_lit:.2f}"
    )


def _bands(codes: np.ndarray, densities: np.ndarray | None) -> list[dict]:
    """x, y of the three band traces; the middle phases share one trace, split by NaN."""
    if densities is None:
        return [dict(x=np.array([]), y=np.array([]))] * 3
    full = dict(x=codes, y=densities[0])
    half = dict(x=codes, y=densities[-1])
    middle = densities[1:-1]
    if len(middle) == 0:
        others = dict(x=np.array([]), y=np.array([]))
    else:
        gap = np.full((len(middle), 1), np.nan)
        xs = np.hstack([np.tile(codes, (len(middle), 1)), gap]).ravel()
        ys = np.hstack([middle, gap]).ravel()
        others = dict(x=xs, y=ys)
    return [full, half, others]


def code_space_updates(space: CodeSpace) -> list[dict]:
    """The data of every trace of :func:`code_space_figure`, in ``TRACE_NAMES`` order."""
    bands = _bands(space.curve_codes, space.densities)
    n = len(space.means)
    # markers at height 0 on the axis; phases run from full (0) to half (n - 1)
    phase_text = [f"image {i + 1} of {n}: code {m:.2f}, sigma {s:.2g}"
                  for i, (m, s) in enumerate(zip(space.means, space.sigmas))]
    far_code = space.strip_codes[-1]
    # the strip runs in code order, smallest code on the left, like the axes above and below
    order = np.argsort(space.strip_codes)
    strip = tile_images(space.strip_images[order], n_cols=len(order), pad=2, pad_value=1.0)
    pair = tile_images(np.stack([space.midpoint_image, reference_moons()[1].numpy()]), n_cols=2,
                       pad=2, pad_value=1.0)
    mid_d = space.midpoint_distances
    return [
        *bands,
        dict(x=space.means, y=np.zeros(n), text=phase_text),
        dict(x=np.array([space.midpoint]), y=np.array([0.0])),
        dict(x=np.array([far_code]), y=np.array([0.0])),
        dict(source=png_data_uri(strip)),
        dict(x=space.curve_codes, y=space.distances[:, 0]),
        dict(x=space.curve_codes, y=space.distances[:, 1]),
        dict(x=space.curve_codes, y=space.distances[:, 2]),
        dict(x=space.curve_codes, y=space.lit),
        dict(source=png_data_uri(pair),
             hovertemplate=f"left: midpoint decode ({mid_d[1]:.2f} from the 3/4 moon, lit "
                           f"{space.midpoint_lit:.2f}); right: the true 3/4 moon<extra></extra>"),
    ]


def code_space_figure(
    space: CodeSpace, *, title: str | None = None, height: int = 620
) -> go.Figure:
    """Code axis with noise bands (top), decoded strip (middle), distances and lit
    fraction along the axis (bottom), and the midpoint decode beside the 3/4 moon (right)."""
    fig = make_subplots(
        rows=3,
        cols=2,
        column_widths=[0.8, 0.2],
        row_heights=[0.36, 0.2, 0.44],
        specs=[[{}, {"rowspan": 3}], [{}, None], [{}, None]],
        vertical_spacing=0.07,
        horizontal_spacing=0.05,
        subplot_titles=(
            "code axis: each image's code and its noise band (density)",
            "midpoint | true 3/4",
            "decoded along the axis, in code order (smallest code on the left)",
            "each decode's distance (RMS per pixel) and lit fraction",
        ),
    )
    data = code_space_updates(space)
    traces = [
        go.Scatter(name=TRACE_NAMES[0], mode="lines", line=dict(color=BAND_COLOURS[0]),
                   fill="tozeroy", **data[0]),
        go.Scatter(name=TRACE_NAMES[1], mode="lines", line=dict(color=BAND_COLOURS[1]),
                   fill="tozeroy", **data[1]),
        go.Scatter(name=TRACE_NAMES[2], mode="lines", line=dict(color=BAND_COLOURS[2], width=1),
                   **data[2]),
        go.Scatter(name=TRACE_NAMES[3], mode="markers", hoverinfo="text",
                   marker=dict(color="black", size=9, symbol="line-ns-open", line=dict(width=2)),
                   **data[3]),
        go.Scatter(name=TRACE_NAMES[4], mode="markers",
                   marker=dict(color=MIDPOINT_COLOUR, size=13, symbol="diamond"), **data[4]),
        go.Scatter(name="far point (t = 2)", mode="markers",
                   marker=dict(color=FAR_COLOUR, size=13, symbol="star"), **data[5]),
        go.Image(name=TRACE_NAMES[6], hoverinfo="skip", **data[6]),
        *[go.Scatter(name=f"distance to {ref}", mode="lines", line=dict(color=c), **data[7 + i])
          for i, (ref, c) in enumerate(zip(REFERENCE_NAMES, DISTANCE_COLOURS))],
        go.Scatter(name=TRACE_NAMES[10], mode="lines", line=dict(color=LIT_COLOUR, dash="dot"),
                   **data[10]),
        go.Image(name=TRACE_NAMES[11], **data[11]),
    ]
    places = [(1, 1)] * 6 + [(2, 1)] + [(3, 1)] * 4 + [(1, 2)]
    for trace, (row, col) in zip(traces, places):
        fig.add_trace(trace, row=row, col=col)
    fig.update_xaxes(matches="x", row=3, col=1, title_text="code c")
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_yaxes(title_text="distance / lit", range=[0, 1.05], row=3, col=1)
    for row, col in ((2, 1), (1, 2)):
        # square pixels: the image's y axis is scaled to its x axis
        x_name = fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
        fig.update_xaxes(visible=False, row=row, col=col)
        fig.update_yaxes(visible=False, scaleanchor=x_name, row=row, col=col)
    fig.update_layout(
        title=dict(text=title or describe(space), font=dict(size=13)),
        height=height,
        template="plotly_white",
        margin=dict(l=50, r=20, t=80, b=70),
        legend=dict(orientation="h", y=-0.12, font=dict(size=10)),
        uirevision="code-space",
    )
    return fig


def strips_figure(spaces: dict[str, CodeSpace], *, title: str | None = None) -> go.Figure:
    """One decoded strip per row (labelled by the dict's keys), each followed by its
    midpoint decode; the true 3/4 moon in the last column for reference."""
    if not spaces:
        raise ValueError("spaces must hold at least one CodeSpace")
    rows = []
    three_quarter = reference_moons()[1].numpy()
    blank = np.ones_like(three_quarter)
    for space in spaces.values():
        rows.extend([*space.strip_images, blank, space.midpoint_image, three_quarter])
    n_cols = len(next(iter(spaces.values())).strip_images) + 3
    if any(len(s.strip_images) + 3 != n_cols for s in spaces.values()):
        raise ValueError("every CodeSpace must have the same number of strip images")
    canvas = tile_images(np.stack(rows), n_cols=n_cols, pad=2, pad_value=1.0)
    fig = go.Figure(go.Image(source=png_data_uri(canvas), hoverinfo="skip"))
    side = 28
    for r, label in enumerate(spaces):
        fig.add_annotation(x=-4, y=r * (side + 2) + side / 2, text=label, showarrow=False,
                           xanchor="right", font=dict(size=12))
    for c, text in ((n_cols - 2, "midpoint"), (n_cols - 1, "true 3/4")):
        fig.add_annotation(x=c * (side + 2) + side / 2, y=-2, text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=11))
    strip_t = next(iter(spaces.values())).strip_t
    for c, t in enumerate(strip_t):
        fig.add_annotation(x=c * (side + 2) + side / 2, y=-2, text=f"t={t:g}", showarrow=False,
                           yanchor="bottom", font=dict(size=9))
    fig.update_xaxes(visible=False, range=[-260, canvas.shape[1]])
    fig.update_yaxes(visible=False, scaleanchor="x", autorange="reversed")
    fig.update_layout(
        title=title,
        height=90 + 70 * len(spaces),
        template="plotly_white",
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
    )
    return fig


def sweep_figure(
    x: np.ndarray,
    curves: dict[str, np.ndarray],
    *,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Measured curves against one swept setting (lines with markers, one per dict key)."""
    fig = go.Figure()
    for name, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.shape != np.shape(x):
            raise ValueError(f"curve {name!r} has shape {y.shape}, x has {np.shape(x)}")
        fig.add_trace(
            go.Scatter(x=np.asarray(x, dtype=float), y=y, mode="lines+markers", name=name)
        )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear")
    fig.update_layout(title=title, height=360, template="plotly_white",
                      margin=dict(l=60, r=20, t=50 if title else 20, b=50))
    return fig
