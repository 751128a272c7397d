"""The rate-distortion plane (Alemi et al. 2018): each VAE of a grid a point (R, D).

Two panels, traces named (a widget finds them with :func:`explainer.plots.trace`):

- left, the whole plane from the origin: the region below the entropy floor shaded as
  unreachable, the floor itself, and the models;
- right, a close-up of the models with the lines of equal ELBO, D + R = const, dashed and
  labelled with their -ELBO.

Each panel also holds a "chosen" trace (a ring around the model the maps show).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.rate_distortion import RatePlane, iso_elbo_levels

POINTS = "VAEs (whole plane)"
POINTS_CLOSE = "VAEs"
CHOSEN = "chosen (whole plane)"
CHOSEN_CLOSE = "chosen"
UNREACHABLE = "unreachable: D below the entropy floor"
FLOOR = "entropy floor of the grey pixels"
POINT_TRACES = (POINTS, POINTS_CLOSE)
CHOSEN_TRACES = (CHOSEN, CHOSEN_CLOSE)
COLOUR = "#1f77b4"


def iso_name(level: float) -> str:
    return f"−ELBO = {level:g} nats"


def _padded(values: np.ndarray, fraction: float) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = fraction * ((high - low) or 1.0)
    return low - pad, high + pad


def chosen_xy(plane: RatePlane, beta: float | None) -> tuple[list[float], list[float]]:
    """The chosen model's (rate, distortion) as one-point lists; empty when none is chosen."""
    point = None if beta is None else plane.point_for(beta)
    return ([], []) if point is None else ([point.rate], [point.distortion])


def rate_distortion_plane_figure(plane: RatePlane, *, chosen_beta: float | None = None,
                                 iso_step: float = 5.0, width: int = 1000,
                                 height: int = 360) -> go.Figure:
    """The plane: the whole of it with the unreachable region (left), a close-up of the
    models with lines of equal -ELBO every ``iso_step`` nats (right)."""
    if not isinstance(plane, RatePlane):
        raise TypeError(f"plane must be a RatePlane, got {type(plane).__name__}")
    rates, distortions = plane.rates, plane.distortions
    labels = [f"β={b:g}" for b in plane.betas]
    hover = ("β=%{customdata[0]:~g}<br>rate R %{x:.1f} nats<br>distortion D %{y:.1f} nats"
             "<br>−ELBO = D + R %{customdata[1]:.1f} nats<br>click: show it in the maps"
             "<extra></extra>")
    custom = np.column_stack([plane.betas, plane.neg_elbos])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.1,
                        subplot_titles=("the whole plane",
                                        "close-up, with lines of equal ELBO (D + R = const)"))

    # ---- left: the whole plane
    x_max = 1.15 * float(rates.max())
    y_max = 1.1 * float(distortions.max())
    fig.add_trace(go.Scatter(x=[0, x_max, x_max, 0, 0], y=[0, 0, plane.floor, plane.floor, 0],
                             mode="lines", fill="toself", fillcolor="rgba(120,120,120,0.3)",
                             line=dict(width=0), name=UNREACHABLE, hoverinfo="skip",
                             showlegend=False),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, x_max], y=[plane.floor, plane.floor], mode="lines+text",
                             text=[f"  entropy floor ≈ {plane.floor:.1f} nats", ""],
                             textposition="top right", line=dict(color="black", width=2),
                             name=FLOOR, hoverinfo="skip", showlegend=False), row=1, col=1)
    fig.add_annotation(x=x_max / 2, y=plane.floor / 2, text="unreachable:<br>D below the floor",
                       showarrow=False, font=dict(size=11, color="#444"), row=1, col=1)
    fig.add_trace(go.Scatter(x=rates, y=distortions, mode="markers", name=POINTS, customdata=custom,
                             marker=dict(size=10, color=COLOUR), hovertemplate=hover,
                             showlegend=False), row=1, col=1)
    cx, cy = chosen_xy(plane, chosen_beta)
    fig.add_trace(go.Scatter(x=cx, y=cy, mode="markers", name=CHOSEN, hoverinfo="skip",
                             showlegend=False, marker=dict(size=20, color="rgba(0,0,0,0)",
                                                           line=dict(color="crimson", width=3))),
                  row=1, col=1)
    fig.update_xaxes(range=[0, x_max], title_text="rate R, nats per digit", row=1, col=1)
    fig.update_yaxes(range=[0, y_max], title_text="distortion D, nats per digit", row=1, col=1)

    # ---- right: close-up with the iso-ELBO lines
    x0, x1 = _padded(rates, 0.12)
    y0, y1 = _padded(distortions, 0.15)
    for level in iso_elbo_levels(plane, step=iso_step):
        # D = level - R, clipped to the close-up's box
        a, b = max(x0, level - y1), min(x1, level - y0)
        if a >= b:
            continue
        # the label sits above the line near its upper-left end, away from the models
        xs = [a, a + 0.15 * (b - a), b]
        fig.add_trace(go.Scatter(x=xs, y=[level - x for x in xs], mode="lines+text",
                                 text=["", f"−ELBO = {level:g}", ""], textposition="top right",
                                 textfont=dict(size=10, color="grey"), name=iso_name(level),
                                 line=dict(color="grey", width=1, dash="dash"), hoverinfo="skip",
                                 showlegend=False), row=1, col=2)
    fig.add_trace(go.Scatter(x=rates, y=distortions, mode="lines+markers+text", name=POINTS_CLOSE,
                             text=labels, textposition="top right", customdata=custom,
                             hovertemplate=hover, marker=dict(size=11, color=COLOUR),
                             showlegend=False,
                             line=dict(color=COLOUR, width=1), cliponaxis=False), row=1, col=2)
    fig.add_trace(go.Scatter(x=cx, y=cy, mode="markers", name=CHOSEN_CLOSE, hoverinfo="skip",
                             showlegend=False, marker=dict(size=22, color="rgba(0,0,0,0)",
                                                           line=dict(color="crimson", width=3))),
                  row=1, col=2)
    fig.update_xaxes(range=[x0, x1], title_text="rate R, nats per digit", row=1, col=2)
    fig.update_yaxes(range=[y0, y1], title_text="distortion D, nats per digit", row=1, col=2)
    fig.update_layout(width=width, height=height, template="plotly_white",
                      margin=dict(l=60, r=20, t=40, b=50), clickmode="event", hovermode="closest",
                      showlegend=False)
    return fig
