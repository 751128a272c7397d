"""Figures of 2-D latent maps: test codes by digit, the prior, posterior ellipses, decoded grids.

The main figure has two rows (the AE-side model on top, the VAE below) and three columns:
the map, the digits decoded on a grid over the same square, and a detail column (the
digit decoded at a clicked point, a drawn digit and its reconstruction). Every trace is
named (:func:`trace_name`), each row's map title too (:func:`title_name`), and
:func:`row_layout` gives the layout a row's model sets, so a widget updates all of them
by name, never by position or axis.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import BaseFigure
from plotly.subplots import make_subplots

from explainer.aggregate_posterior import DensityPicture
from explainer.hole_meter import HoleReading
from explainer.map_views import MapView, ellipse_outlines, prior_circles
from explainer.plots.images import png_data_uri, tile_images

DIGIT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
SLOTS = ("click", *[f"digit{d}" for d in range(10)], "prior", "ellipses", "point",
         "drawn_ellipse", "drawn_code", "manifold", "detail")
# Each slot's name in the legend (or for the eye), and the row whose trace the legend shows:
# that trace keeps the plain name, the other row's says which map it is in.
LEGEND_NAMES = {"click": "click anywhere", **{f"digit{d}": str(d) for d in range(10)},
                "prior": "prior N(0, I): 1, 2, 3 σ", "ellipses": "posterior 1 σ (true scale)",
                "point": "clicked point", "drawn_ellipse": "the digit at right: posterior 1 σ",
                "drawn_code": "the digit at right: its code", "manifold": "decoded grid",
                "detail": "detail"}
LEGEND_ROW = {**{f"digit{d}": 0 for d in range(10)}, "prior": 0, "ellipses": 1, "point": 0,
              "drawn_ellipse": 1, "drawn_code": 0}
ROW_NAMES = ("top map", "bottom map")
CLICK_CELLS = 80
# ellipses drawn for at most this many test digits (evenly spaced), to keep the map readable
MAX_ELLIPSES = 200
# the detail column's three tiles, top to bottom (28 pixels each, 2 between)
DETAIL_LABELS = ("at the click", "your digit", "reconstructed")
DETAIL_CENTRES = (14, 44, 74)


def trace_name(row: int, slot: str) -> str:
    """The name of trace ``slot`` (one of :data:`SLOTS`) of ``row`` (0: AE side, 1: VAE)."""
    base = LEGEND_NAMES[slot]
    return base if LEGEND_ROW.get(slot) == row else f"{base} · {ROW_NAMES[row]}"


def title_name(row: int) -> str:
    """The name of ``row``'s map title in ``fig.layout.annotations``."""
    return f"title: {ROW_NAMES[row]}"


def annotation(fig: BaseFigure, name: str):
    """The one annotation of ``fig``'s layout called ``name``."""
    found = [a for a in fig.layout.annotations if a.name == name]
    if len(found) != 1:
        raise KeyError(f"the figure must hold one annotation named {name!r}, found {len(found)}")
    return found[0]


def _axes(row: int, n_cols: int) -> tuple[str, str, str]:
    """The layout keys of ``row``'s map x and y axes and its detail column's y axis."""
    first = row * n_cols + 1
    suffix = "" if first == 1 else str(first)
    return f"xaxis{suffix}", f"yaxis{suffix}", f"yaxis{first + n_cols - 1}"


def map_axes(row: int) -> tuple[str, str, str]:
    """``row``'s map axes as plotly names them in a trace ("x", "y"; "x4", "y4") and the
    layout key of its detail column's y axis, in the interactive figure."""
    x, y, detail = _axes(row, 3)
    return x.replace("axis", ""), y.replace("axis", ""), detail


def row_layout(row: int, view: MapView, *,
               drawn_label: str = DETAIL_LABELS[1]) -> dict[str, object]:
    """The layout ``row`` of the interactive figure takes from its ``view`` and its detail
    column's middle tile label, as {property path: value} for ``fig.layout[path] = value``."""
    x, y, detail = _axes(row, 3)
    rng = axis_range(view)
    return {f"{x}.range": rng, f"{y}.range": rng,
            f"{detail}.ticktext": (DETAIL_LABELS[0], drawn_label, DETAIL_LABELS[2])}


def map_title(view: MapView, note: str = "") -> str:
    return f"<b>{view.label}</b>" + (f" · {note}" if note else "")


def detail_image(point: np.ndarray | None, drawn: np.ndarray | None,
                 reconstruction: np.ndarray | None) -> np.ndarray:
    """Three 28 x 28 tiles stacked vertically; a missing one is left mid-grey."""
    tiles = [np.full(784, 0.5, np.float32) if a is None else np.asarray(a, np.float32).reshape(784)
             for a in (point, drawn, reconstruction)]
    return tile_images(np.stack(tiles), n_cols=1, pad=2, pad_value=1.0)


def row_updates(view: MapView, *, show_ellipses: bool) -> dict[str, dict]:
    """The data of one row's traces for ``view`` (the click layer, scatters, ellipses, grid)."""
    h = view.half_width
    t = np.linspace(-h, h, CLICK_CELLS)
    out: dict[str, dict] = {"click": dict(x=t, y=t)}
    for d in range(10):
        idx = view.labels == d
        out[f"digit{d}"] = dict(x=view.codes[idx, 0], y=view.codes[idx, 1])
    ex, ey = ellipses_xy(view) if show_ellipses else (np.array([]), np.array([]))
    out["ellipses"] = dict(x=ex, y=ey)
    out["manifold"] = dict(source=png_data_uri(view.manifold))
    return out


def ellipses_xy(view: MapView) -> tuple[np.ndarray, np.ndarray]:
    """1-sigma posterior ellipses (true scale) of evenly spaced test digits; empty for the AE."""
    if view.sigmas is None:
        return np.array([]), np.array([])
    idx = np.linspace(0, len(view.codes) - 1, min(MAX_ELLIPSES, len(view.codes))).astype(int)
    ex, ey = ellipse_outlines(view.codes[idx], view.sigmas[idx])
    # float32: half the bytes in a stored figure, far finer than a pixel
    return ex.astype(np.float32), ey.astype(np.float32)


def axis_range(view: MapView) -> list[float]:
    return [-view.half_width, view.half_width]


def latent_maps_figure(top: MapView, bottom: MapView, *, show_ellipses: bool = False,
                       static: bool = False) -> go.Figure:
    """Two latent maps (AE side on top, VAE below), each with its decoded grid and detail column.

    ``static``: the figure for reading without a kernel: the maps and decoded grids only, no
    click layer, no clicked point or drawn digit and no detail column (nothing left empty).
    """
    n_cols = 2 if static else 3
    fig = make_subplots(
        rows=2, cols=n_cols, column_widths=[0.52, 0.48] if static else [0.42, 0.40, 0.18],
        horizontal_spacing=0.04, vertical_spacing=0.08,
        subplot_titles=(map_title(top), "decoded over the same square", *[""] * (n_cols - 2),
                        map_title(bottom), "decoded over the same square", *[""] * (n_cols - 2)),
    )
    for row in (0, 1):  # each row has two titles (map, decoded grid); none for the detail column
        fig.layout.annotations[2 * row].name = title_name(row)
    interactive = not static
    px, py = prior_circles()
    transparent = [[0.0, "rgba(0,0,0,0)"], [1.0, "rgba(0,0,0,0)"]]
    for row, view in enumerate((top, bottom)):
        data = row_updates(view, show_ellipses=show_ellipses)
        r = row + 1
        # uint8 zeros: the invisible layer costs 6 kB in a stored figure, not 50 kB
        if interactive:
            fig.add_trace(go.Heatmap(**data["click"],
                                     z=np.zeros((CLICK_CELLS, CLICK_CELLS), dtype=np.uint8),
                                     colorscale=transparent, showscale=False, hoverinfo="none",
                                     name=trace_name(row, "click")), row=r, col=1)
        for d in range(10):
            fig.add_trace(go.Scattergl(**data[f"digit{d}"], mode="markers",
                                       name=trace_name(row, f"digit{d}"),
                                       legendgroup=f"digit{d}", showlegend=row == 0,
                                       marker=dict(size=4, color=DIGIT_COLOURS[d], opacity=0.7),
                                       hovertemplate=(f"a {d}<br>(%{{x:.2f}}, %{{y:.2f}})"
                                                      "<extra></extra>")),
                          row=r, col=1)
        fig.add_trace(go.Scatter(x=px, y=py, mode="lines", name=trace_name(row, "prior"),
                                 legendgroup="prior", showlegend=row == 0, hoverinfo="skip",
                                 line=dict(color="black", width=1, dash="dot")), row=r, col=1)
        fig.add_trace(go.Scattergl(**data["ellipses"], mode="lines",
                                   name=trace_name(row, "ellipses"),
                                   legendgroup="ellipses", showlegend=row == 1, hoverinfo="skip",
                                   line=dict(color="rgba(60,60,60,0.35)", width=1)), row=r, col=1)
        if interactive:
            fig.add_trace(go.Scatter(x=[], y=[], mode="markers", name=trace_name(row, "point"),
                                     legendgroup="point", showlegend=row == 0, hoverinfo="skip",
                                     marker=dict(symbol="x", size=14, color="black")), row=r, col=1)
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines",
                                     name=trace_name(row, "drawn_ellipse"),
                                     legendgroup="drawn_e", showlegend=row == 1, hoverinfo="skip",
                                     line=dict(color="crimson", width=2)), row=r, col=1)
            fig.add_trace(go.Scatter(x=[], y=[], mode="markers", name=trace_name(row, "drawn_code"),
                                     legendgroup="drawn", showlegend=row == 0, hoverinfo="skip",
                                     marker=dict(symbol="star", size=16, color="crimson",
                                                 line=dict(color="white", width=1))), row=r, col=1)
        fig.add_trace(go.Image(**data["manifold"], hoverinfo="skip",
                               name=trace_name(row, "manifold")), row=r, col=2)
        if interactive:
            fig.add_trace(go.Image(source=png_data_uri(detail_image(None, None, None)),
                                   hoverinfo="skip", name=trace_name(row, "detail")), row=r, col=3)
        rng = axis_range(view)
        fig.update_xaxes(range=rng, constrain="domain", zeroline=False, row=r, col=1)
        fig.update_yaxes(range=rng, scaleanchor=f"x{1 + n_cols * row if row else ''}",
                         zeroline=False, row=r, col=1)
        fig.update_xaxes(visible=False, row=r, col=2)
        fig.update_yaxes(visible=False, row=r, col=2)
        if interactive:
            fig.update_xaxes(visible=False, row=r, col=3)
            fig.update_yaxes(tickvals=list(DETAIL_CENTRES), ticktext=list(DETAIL_LABELS),
                             showgrid=False, zeroline=False, showline=False, ticks="", side="right",
                             tickfont=dict(size=10), row=r, col=3)
    fig.update_layout(height=820, width=920 if static else 1100, template="plotly_white",
                      margin=dict(l=40, r=20 if static else 70, t=40, b=60),
                      legend=dict(itemsizing="constant", orientation="h", x=0, y=-0.04,
                                  yanchor="top"),
                      clickmode="event", hovermode="closest", dragmode="pan")
    return fig


def hole_meter_figure(vae: list[HoleReading], betas: list[float], others: list[HoleReading],
                      real: HoleReading) -> go.Figure:
    """The hole meter over the beta grid (VAE), with the AE-side models (sampled from the prior
    or from a Gaussian fitted to their codes) and real test digits as lines."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        f"samples named with confidence ≥ {real.threshold:g}",
        "mean distance to the nearest training digit"))
    styles = ("dash", "dot", "dashdot", "longdash")
    # one colour per baseline (real test digits: green), so no two lines differ by dash alone
    colours = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b")
    for col, attr in ((1, "confident"), (2, "nearest")):
        # the legend shows the first panel's traces; the second's names say which panel
        suffix = "" if col == 1 else " · distance"
        fig.add_trace(go.Scatter(x=betas, y=[getattr(r, attr) for r in vae], mode="lines+markers",
                                 name="VAE over β" + suffix, legendgroup="vae", showlegend=col == 1,
                                 line=dict(color="#1f77b4")), row=1, col=col)
        for i, other in enumerate([*others, real]):
            is_real = other is real
            fig.add_trace(go.Scatter(
                x=[min(betas), max(betas)], y=[getattr(other, attr)] * 2, mode="lines",
                name=other.label + suffix, legendgroup=other.label, showlegend=col == 1,
                line=dict(color="green" if is_real else colours[i % len(colours)],
                          dash="solid" if is_real else styles[i % len(styles)])), row=1, col=col)
        fig.update_xaxes(type="log", title_text="KL weight β", row=1, col=col)
    fig.update_yaxes(title_text="fraction", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="pixel distance (L2)", row=1, col=2)
    fig.update_layout(height=380, width=1000, template="plotly_white",
                      margin=dict(l=50, r=10, t=40, b=40))
    return fig


# pixels of white between a source digit and the decoded path, and between decoded tiles
SOURCE_GAP, STRIP_PAD = 10, 2


def interpolation_strip(image_a: np.ndarray, path: np.ndarray, image_b: np.ndarray) -> np.ndarray:
    """One strip read left to right: the real digit a, the decoded path (n_steps, 784)
    from a's code to b's, the real digit b; a wider white gap sets the real digits apart."""
    tiles = tile_images(path, n_cols=len(path), pad=STRIP_PAD)
    a, b = (np.asarray(x, np.float32).reshape(28, 28) for x in (image_a, image_b))
    gap = np.ones((28, SOURCE_GAP), np.float32)
    return np.hstack([a, gap, tiles, gap, b])


def interpolation_ticks(n_steps: int) -> tuple[list[float], list[str]]:
    """Tick positions (pixel columns) and labels under a strip: the two real digits and
    the decoded path between them, from t = 0 to t = 1."""
    first = 28 + SOURCE_GAP
    last = first + (n_steps - 1) * (28 + STRIP_PAD)
    end = last + 28 + SOURCE_GAP
    return ([13.5, (first + last) / 2 + 13.5, end + 13.5],
            ["real a", f"decoded along c(t), t = 0 → 1 ({n_steps} steps)", "real b"])


def strip_name(i: int) -> str:
    """The name of strip ``i``'s image trace in :func:`interpolation_figure`."""
    return f"strip {i}"


def strip_title_name(i: int) -> str:
    """The name of the annotation that titles strip ``i`` of :func:`interpolation_figure`."""
    return f"strip {i} title"


def interpolation_figure(strips: list[np.ndarray], labels: list[str], *,
                         ends: tuple[np.ndarray, np.ndarray]) -> go.Figure:
    """One strip per model, read left to right: the real digit a, the codes' straight line
    c(t) = (1 - t) m(a) + t m(b) decoded (each strip (n_steps, 784)), the real digit b."""
    fig = make_subplots(rows=len(strips), cols=1, vertical_spacing=0.2, subplot_titles=labels)
    # the subplot titles, in order, one per strip with a label
    for i, note in zip([i for i, label in enumerate(labels) if label], fig.layout.annotations):
        note.name = strip_title_name(i)
    for i, strip in enumerate(strips):
        fig.add_trace(go.Image(source=png_data_uri(interpolation_strip(ends[0], strip, ends[1])),
                               hoverinfo="skip", name=strip_name(i)), row=i + 1, col=1)
        ticks, text = interpolation_ticks(len(strip))
        fig.update_xaxes(tickvals=ticks, ticktext=text, showgrid=False, zeroline=False, ticks="",
                         tickfont=dict(size=10), row=i + 1, col=1)
        fig.update_yaxes(visible=False, row=i + 1, col=1)
    fig.update_layout(height=150 * len(strips) + 40, width=760, template="plotly_white",
                      margin=dict(l=10, r=10, t=40, b=25))
    return fig


# log10 densities shown on the aggregate posterior's maps: [LOG10_FLOOR, LOG10_CEILING]
LOG10_FLOOR, LOG10_CEILING = -4.0, 0.0
RADIAL_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
# the prior's circles: light enough to see on the dark density maps, dark enough for the legend
PRIOR_CIRCLE_COLOUR = "#b0b0b0"


def aggregate_posterior_figure(pictures: list[DensityPicture], *, fraction: float,
                               radius: float = 3.0) -> go.Figure:
    """The prior's density and each aggregate posterior q(z)'s beside it (log10 of the
    density averaged over each cell, one colour scale, the prior's 1, 2, 3 sigma circles),
    the line where q(z) = ``fraction`` p(z), and in the last panel the mass of each within
    a radius (a dotted line at ``radius``)."""
    if not pictures:
        raise ValueError("pictures must hold at least one DensityPicture")
    n = len(pictures)
    first = pictures[0]
    fig = make_subplots(rows=1, cols=n + 2, horizontal_spacing=0.065,
                        column_widths=[1.0] * (n + 1) + [1.3],
                        subplot_titles=("prior p(z) = N(0, I)",
                                        *[f"q(z), {p.label}" for p in pictures],
                                        "mass within radius r"))
    px, py = prior_circles()
    scale = dict(zmin=LOG10_FLOOR, zmax=LOG10_CEILING, colorscale="Viridis")
    ln10 = np.log(10.0)
    panels = [("prior p(z)", first.log_p, None),
              *[(f"q(z), {p.label}", p.log_q, p) for p in pictures]]
    for col, (name, log_density, picture) in enumerate(panels, start=1):
        # log10 density, floored (an empty cell is -inf); float32: the stored figure stays small
        z = np.clip(log_density / ln10, LOG10_FLOOR - 1, None).astype(np.float32)
        fig.add_trace(go.Heatmap(
            x=first.centres, y=first.centres, z=z, name=f"log10 density: {name}",
            showscale=col == 1,
            colorbar=dict(title="log10<br>density", x=-0.09, len=0.9), **scale,
            hovertemplate="(%{x:.2f}, %{y:.2f})<br>log10 density %{z:.2f}<extra></extra>"),
            row=1, col=col)
        if picture is not None:
            with np.errstate(invalid="ignore"):  # -inf - (-inf) where both cells are empty
                ratio = np.nan_to_num((picture.log_q - picture.log_p) / ln10, nan=0.0)
            fig.add_trace(go.Contour(
                x=picture.centres, y=picture.centres,
                z=np.clip(ratio, -9.0, 9.0).astype(np.float32),
                contours=dict(start=np.log10(fraction), end=np.log10(fraction), size=1.0,
                              coloring="none"),
                line=dict(color="#ff6f00", width=2), showscale=False, hoverinfo="skip",
                # one legend entry (the first q panel's) for the hole edge of every panel
                name=f"q(z) = {fraction:g} p(z): hole edge" + ("" if col == 2 else f" · {name}"),
                legendgroup="hole edge", showlegend=col == 2), row=1, col=col)
        circles = "prior N(0, I): 1, 2, 3 σ" + ("" if col == 1 else f" · {name}")
        fig.add_trace(go.Scatter(x=px, y=py, mode="lines", name=circles,
                                 legendgroup="prior circles", showlegend=col == 1, hoverinfo="skip",
                                 line=dict(color=PRIOR_CIRCLE_COLOUR, width=1.5, dash="dot")),
                      row=1, col=col)
        rng = [float(first.centres[0]), float(first.centres[-1])]
        fig.update_xaxes(range=rng, constrain="domain", title_text="z₁", row=1, col=col)
        fig.update_yaxes(range=rng, scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
    col = n + 2
    fig.add_trace(go.Scatter(x=first.radii, y=first.inside_p, mode="lines",
                             name="within r: prior p(z)",
                             line=dict(color="black", width=2)), row=1, col=col)
    for i, picture in enumerate(pictures):
        fig.add_trace(go.Scatter(x=picture.radii, y=picture.inside_q, mode="lines",
                                 name=f"within r: q(z), {picture.label}",
                                 line=dict(color=RADIAL_COLOURS[i % len(RADIAL_COLOURS)], width=2,
                                           dash=("dash", "dot", "dashdot", "solid")[i % 4])),
                      row=1, col=col)
    fig.add_vline(x=radius, line=dict(color="grey", width=1, dash="dot"), row=1, col=col)
    fig.update_xaxes(title_text="radius r = |z|", row=1, col=col)
    fig.update_yaxes(title_text="mass with |z| ≤ r", title_standoff=4, range=[0, 1.02],
                     row=1, col=col)
    fig.update_layout(height=370, width=1100, template="plotly_white",
                      margin=dict(l=80, r=10, t=40, b=50),
                      legend=dict(orientation="h", x=0, y=-0.2, yanchor="top"))
    return fig
