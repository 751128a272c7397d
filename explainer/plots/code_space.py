"""Figures of a 1-D code axis: the codes and their noise bands, the decoded strip, the
distances of each decode to the full, 3/4 and half moon, and the midpoint's decode.

Pure: a :class:`explainer.code_space.CodeSpace` (arrays) in, ``go.Figure`` out.
``code_space_updates`` gives the data of every trace by name and ``code_space_layout``
the layout that follows the model (title, axis direction), so a widget can refresh a
``FigureWidget`` without rebuilding it.

One direction for every strip and every axis: the full moon's side on the left, the half
moon's on the right. A strip runs in ``t`` (t = 0 the full moon's code, t = 1 the half
moon's); the code axis is drawn reversed when the encoder gave the full moon the larger
code, so the axis, the strip and the distances below it line up.
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
POINTER_COLOUR = "#9467bd"  # the code under the pointer (drawn by live_code_axis.js)
PAIR_GAP = 9  # pixels between the midpoint decode and the 3/4 moon: room for a label

# the traces of code_space_figure, in drawing order (widgets and tests find them by name)
TRACE_NAMES = (
    "full moon's band",
    "half moon's band",
    "other phases' bands",
    "codes",
    "midpoint",
    "far point (t = 2)",
    "decoded strip",
    "distance to full moon",
    "distance to 3/4 moon",
    "distance to half moon",
    "lit fraction",
    "midpoint vs 3/4 moon",
)
# the pair's label above its top image (the midpoint's decode, or the pointer's in a page)
PAIR_LABEL = "pair label"
MIDPOINT_LABEL = "midpoint decode"
# the one trace of strips_figure
STRIPS = "decoded strips"


def describe(space: CodeSpace) -> str:
    """A two-line title: the model and its codes; the noise widths and the midpoint."""
    model = KIND_NAMES[space.kind]
    widths = ""
    if space.kind == "noisy_ae":
        model += f", noise scale σ = {space.noise_scale:g}, KL pull β = {space.beta:g}"
    elif space.kind == "vae":
        model += f", KL weight β = {space.beta:g}"
        widths = f"learned σ {space.sigmas[0]:.2g} (full), {space.sigmas[-1]:.2g} (half); "
    apart = "" if not np.isfinite(space.separation) else f", {space.separation:.0f} σ apart"
    return (
        f"{model}: codes {space.means[0]:.2f} (full) and {space.means[-1]:.2f} (half){apart}"
        f"<br>{widths}midpoint decode {space.midpoint_distances[1]:.2f} from the 3/4 moon, "
        f"lit fraction {space.midpoint_lit:.2f}"
    )


def axis_reversed(space: CodeSpace) -> bool:
    """Whether the code axis is drawn reversed: the encoder gave the full moon the larger
    code, and the full moon's side is always drawn on the left."""
    return bool(space.means[0] > space.means[-1])


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


def code_space_updates(space: CodeSpace) -> dict[str, dict]:
    """The data of every trace of :func:`code_space_figure`, by trace name."""
    bands = _bands(space.curve_codes, space.densities)
    n = len(space.means)
    # markers at height 0 on the axis; phases run from full (0) to half (n - 1)
    phase_text = [f"image {i + 1} of {n}: code {m:.2f}, sigma {s:.2g}"
                  for i, (m, s) in enumerate(zip(space.means, space.sigmas))]
    far_code = space.strip_codes[-1]
    # the strip runs in t, from beyond the full moon (left) to beyond the half moon (right)
    strip = tile_images(space.strip_images, n_cols=len(space.strip_images), pad=2,
                        pad_value=1.0)
    # the midpoint decode above the true 3/4 moon, room for a label between them
    pair = tile_images(np.stack([space.midpoint_image, reference_moons()[1].numpy()]), n_cols=1,
                       pad=PAIR_GAP, pad_value=1.0)
    mid_d = space.midpoint_distances
    data = [
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
             hovertemplate=f"top: midpoint decode ({mid_d[1]:.2f} from the 3/4 moon, lit "
                           f"{space.midpoint_lit:.2f}); bottom: the true 3/4 moon<extra></extra>"),
    ]
    return dict(zip(TRACE_NAMES, data, strict=True))


def code_space_layout(space: CodeSpace) -> dict:
    """The layout that follows the model: its title and the direction of the two code axes
    (the axis panel and the distance panel), full moon's side on the left."""
    direction = "reversed" if axis_reversed(space) else True
    # the plain AE has no noise, so no bands: the density axis says so instead of an empty scale
    banded = space.densities is not None
    return {"title.text": describe(space), "xaxis.autorange": direction,
            "xaxis4.autorange": direction,
            "yaxis.title.text": "density" if banded else "no noise:<br>no bands",
            "yaxis.showticklabels": banded}


def code_space_figure(
    space: CodeSpace, *, title: str | None = None, height: int = 680
) -> go.Figure:
    """Code axis with noise bands (top), decoded strip (middle), distances and lit
    fraction along the axis (bottom), and the midpoint decode beside the 3/4 moon (right).
    The full moon's side is on the left in every panel."""
    fig = make_subplots(
        rows=3,
        cols=2,
        column_widths=[0.8, 0.2],
        row_heights=[0.36, 0.16, 0.48],
        specs=[[{}, {"rowspan": 3}], [{}, None], [{}, None]],
        vertical_spacing=0.1,
        horizontal_spacing=0.04,
        subplot_titles=(
            "code axis: each image's code and its noise band",
            "",
            "decoded along the axis, t = -1 to 2 (full moon's side on the left)",
            "each decode's distance to the three moons, and its lit fraction",
        ),
    )
    for annotation in fig.layout.annotations:
        annotation.font.size = 13
    data = code_space_updates(space)
    styles = {
        "full moon's band": dict(mode="lines", line=dict(color=BAND_COLOURS[0]), fill="tozeroy"),
        "half moon's band": dict(mode="lines", line=dict(color=BAND_COLOURS[1]), fill="tozeroy"),
        "other phases' bands": dict(mode="lines", line=dict(color=BAND_COLOURS[2], width=1)),
        "codes": dict(mode="markers", hoverinfo="text",
                      marker=dict(color="black", size=9, symbol="line-ns-open",
                                  line=dict(width=2))),
        "midpoint": dict(mode="markers",
                         marker=dict(color=MIDPOINT_COLOUR, size=13, symbol="diamond")),
        "far point (t = 2)": dict(mode="markers",
                                  marker=dict(color=FAR_COLOUR, size=13, symbol="star")),
        **{f"distance to {ref}": dict(mode="lines", line=dict(color=c))
           for ref, c in zip(REFERENCE_NAMES, DISTANCE_COLOURS)},
        "lit fraction": dict(mode="lines", line=dict(color=LIT_COLOUR, dash="dot")),
    }
    # (row, col) of each trace: the axis panel unless named here
    places = {"decoded strip": (2, 1), "midpoint vs 3/4 moon": (1, 2), "lit fraction": (3, 1),
              **{f"distance to {ref}": (3, 1) for ref in REFERENCE_NAMES}}
    for name in TRACE_NAMES:
        if name == "decoded strip":
            trace = go.Image(name=name, hoverinfo="skip", **data[name])
        elif name == "midpoint vs 3/4 moon":
            trace = go.Image(name=name, **data[name])
        else:
            trace = go.Scatter(name=name, **styles[name], **data[name])
        row, col = places.get(name, (1, 1))
        fig.add_trace(trace, row=row, col=col)
    fig.update_xaxes(matches="x", row=3, col=1, title_text="code c")
    fig.update_yaxes(title_text="RMS distance / lit", range=[0, 1.05], row=3, col=1)
    for row, col in ((2, 1), (1, 2)):
        # square pixels: the image's y axis is scaled to its x axis
        x_name = fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
        fig.update_xaxes(visible=False, row=row, col=col)
        fig.update_yaxes(visible=False, scaleanchor=x_name, row=row, col=col)
    # the pair's two images labelled above each (image coordinates: 28 px tiles)
    for y, text, name in ((-1, MIDPOINT_LABEL, PAIR_LABEL),
                          (28 + PAIR_GAP - 1, "true 3/4 moon", None)):
        fig.add_annotation(x=14, y=y, xref="x2", yref="y2", text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=12), name=name)
    layout = code_space_layout(space)
    if title is not None:
        layout["title.text"] = title
    fig.update_layout(
        title=dict(font=dict(size=13), x=0.02, xanchor="left"),
        height=height,
        template="plotly_white",
        margin=dict(l=60, r=20, t=100, b=60),
        legend=dict(orientation="h", y=-0.1, font=dict(size=10)),
        uirevision="code-space",
    )
    fig.update_layout(layout)
    return fig


# the strips' columns that carry a t label (more would overlap): both ends, both codes,
# the midpoint
STRIP_LABELS = {-1.0: "t = -1", 0.0: "t = 0<br>full", 0.5: "0.5<br>mid", 1.0: "t = 1<br>half",
                2.0: "t = 2"}


def strips_figure(spaces: dict[str, CodeSpace], *, title: str | None = None) -> go.Figure:
    """One decoded strip per row (labelled by the dict's keys), each running in t from
    beyond the full moon (left) to beyond the half moon (right) and followed by its
    midpoint decode; the true 3/4 moon in the last column for reference."""
    if not spaces:
        raise ValueError("spaces must hold at least one CodeSpace")
    rows = []
    three_quarter = reference_moons()[1].numpy()
    blank = np.ones_like(three_quarter)
    for space in spaces.values():
        # one direction for every strip: in t, full moon's side first
        order = np.argsort(space.strip_t)
        rows.extend([*space.strip_images[order], blank, space.midpoint_image, three_quarter])
    n_cols = len(next(iter(spaces.values())).strip_images) + 3
    if any(len(s.strip_images) + 3 != n_cols for s in spaces.values()):
        raise ValueError("every CodeSpace must have the same number of strip images")
    side, pad = 28, 2
    step = side + pad
    canvas = tile_images(np.stack(rows), n_cols=n_cols, pad=pad, pad_value=1.0)
    fig = go.Figure(go.Image(name=STRIPS, source=png_data_uri(canvas),
                             hoverinfo="skip"))
    for r, label in enumerate(spaces):
        fig.add_annotation(x=-6, y=r * step + side / 2, text=label, showarrow=False,
                           xanchor="right", font=dict(size=12))
    strip_t = np.sort(next(iter(spaces.values())).strip_t)
    columns = [(c, STRIP_LABELS[float(t)]) for c, t in enumerate(strip_t)
               if float(t) in STRIP_LABELS]
    columns += [(n_cols - 2, "mid-<br>point"), (n_cols - 1, "true<br>3/4")]
    for c, text in columns:
        fig.add_annotation(x=c * step + side / 2, y=-3, text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=10))
    # one canvas pixel per screen pixel: the width fixes the scale and the height follows
    label_room, header = 250, 34
    width_units = label_room + canvas.shape[1]
    top = 50 if title else 10
    fig.update_xaxes(visible=False, range=[-label_room, canvas.shape[1]])
    fig.update_yaxes(visible=False, scaleanchor="x", range=[canvas.shape[0], -header])
    fig.update_layout(
        title=dict(text=title, x=0.02, xanchor="left") if title else None,
        width=width_units + 20,
        height=canvas.shape[0] + header + top + 10,
        template="plotly_white",
        margin=dict(l=10, r=10, t=top, b=10),
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
    # log axes labelled 10, 100 or 1e-05, never 100μ
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear",
                     exponentformat="power" if log_y else "B")
    fig.update_layout(title=dict(text=title, x=0.02, xanchor="left") if title else None,
                      height=360, template="plotly_white",
                      margin=dict(l=70, r=20, t=50 if title else 20, b=50))
    return fig
