"""Figures of densities built from Gaussians: pure builders, arrays in, ``go.Figure`` out.

Trace order is part of each builder's contract (the widgets update traces by index):
it is written in each docstring.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TARGET_STYLE = dict(color="rgba(120,120,120,0.9)", width=1)
TARGET_FILL = "rgba(160,160,160,0.35)"
COMPONENT_STYLE = dict(color="rgba(31,119,180,0.75)", width=1)
SUM_STYLE = dict(color="black", width=2.5)
MODEL_STYLE = dict(color="rgb(214,39,40)", width=2, dash="dash")


def _density_axes(fig: go.Figure, *, row: int | None = None, col: int | None = None) -> None:
    kw = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(title_text="x", **kw)
    fig.update_yaxes(title_text="density", rangemode="tozero", **kw)


def mixture_figure(
    x: np.ndarray,
    target: np.ndarray,
    component_xy: tuple[np.ndarray, np.ndarray],
    total: np.ndarray,
    *,
    title: str = "",
) -> go.Figure:
    """The target density (grey, filled), the weighted components P(m) N(x; mu_m, sigma_m^2)
    (blue, one polyline with gaps) and their sum P(x) (black), as in the tutorial's
    picture of a density split into Gaussians.

    Traces: 0 target, 1 components, 2 sum.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=target, name="target p(x)", line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL))
    fig.add_trace(go.Scatter(x=component_xy[0], y=component_xy[1], name="P(m) N(x; μ_m, σ_m²)",
                             line=COMPONENT_STYLE, connectgaps=False))
    fig.add_trace(go.Scatter(x=x, y=total, name="mixture P(x)", line=SUM_STYLE))
    _density_axes(fig)
    fig.update_layout(title=title, height=420, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(x=0.99, xanchor="right", y=0.99))
    fig.update_xaxes(range=[float(x[0]), float(x[-1])])
    return fig


def fitted_mixture_figure(
    x: np.ndarray,
    target: np.ndarray,
    component_xy: tuple[np.ndarray, np.ndarray],
    total: np.ndarray,
    *,
    ks: np.ndarray,
    fitted_errors: np.ndarray,
    grid_errors: np.ndarray,
    k: int,
    n_samples: int,
    title: str = "",
) -> go.Figure:
    """Left: the K-component fit over the target (as ``mixture_figure``). Right: the L1
    error against K on log axes, for mixtures fitted to ``n_samples`` draws and for the
    grid mixtures built from the density itself, with the shown K marked.

    Traces: 0 target, 1 components, 2 fitted sum, 3 fitted error curve, 4 grid-mixture error
    curve, 5 marker of the shown K.
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=("the fit and its components", "L1 error against K"))
    fig.add_trace(go.Scatter(x=x, y=target, name="target p(x)", line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL), row=1, col=1)
    fig.add_trace(go.Scatter(x=component_xy[0], y=component_xy[1], name="components",
                             line=COMPONENT_STYLE, connectgaps=False), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=total, name="fitted P(x)", line=SUM_STYLE), row=1, col=1)
    fig.add_trace(go.Scatter(x=ks, y=fitted_errors, mode="lines+markers",
                             name=f"EM fit to {n_samples} samples", line=dict(color="black")),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=grid_errors, mode="lines+markers",
                             name="built from p(x) itself", line=dict(color="rgb(44,160,44)")),
                  row=1, col=2)
    i = list(ks).index(k)
    fig.add_trace(go.Scatter(x=[k], y=[fitted_errors[i]], mode="markers", name="shown K",
                             marker=dict(size=14, color="rgba(214,39,40,0.8)")), row=1, col=2)
    _density_axes(fig, row=1, col=1)
    fig.update_xaxes(range=[float(x[0]), float(x[-1])], row=1, col=1)
    fig.update_xaxes(type="log", title_text="K (components)", row=1, col=2)
    fig.update_yaxes(type="log", title_text="∫|p − P| dx", row=1, col=2)
    fig.update_layout(title=title, height=440, margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def sampling_figure(
    weights: np.ndarray,
    frequencies: np.ndarray,
    edges: np.ndarray,
    histogram: np.ndarray,
    x: np.ndarray,
    density: np.ndarray,
    *,
    last_x: float | None,
    title: str = "",
) -> go.Figure:
    """Ancestral sampling. Left: P(m) (bars) and the frequency of each m drawn so far
    (markers). Right: the histogram of the x drawn so far on the density scale, P(x)
    (black) and the last x drawn (red marker).

    Traces: 0 P(m), 1 m frequencies, 2 histogram, 3 P(x), 4 last x.
    """
    m = np.arange(1, len(weights) + 1)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.3, 0.7],
                        subplot_titles=("1. draw m ~ P(m)", "2. draw x ~ N(μ_m, σ_m²)"))
    fig.add_trace(go.Bar(x=m, y=weights, name="P(m)", marker_color="rgba(31,119,180,0.6)"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=m, y=frequencies, mode="markers", name="share of draws",
                             marker=dict(color="black", size=9, symbol="line-ew-open",
                                         line=dict(width=3))), row=1, col=1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    fig.add_trace(go.Bar(x=centres, y=histogram, width=float(edges[1] - edges[0]),
                         name="histogram of x", marker_color="rgba(31,119,180,0.45)"),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=density, name="P(x)", line=SUM_STYLE), row=1, col=2)
    lx = [] if last_x is None else [last_x]
    fig.add_trace(go.Scatter(x=lx, y=[0.0] * len(lx), mode="markers", name="last x",
                             marker=dict(color="rgb(214,39,40)", size=12, symbol="triangle-up")),
                  row=1, col=2)
    fig.update_xaxes(title_text="m", dtick=1, row=1, col=1)
    fig.update_yaxes(title_text="probability", rangemode="tozero", row=1, col=1)
    _density_axes(fig, row=1, col=2)
    fig.update_xaxes(range=[float(x[0]), float(x[-1])], row=1, col=2)
    fig.update_yaxes(range=[0, 1.6 * float(np.max(density))], row=1, col=2)
    fig.update_layout(title=title, height=400, bargap=0, showlegend=True,
                      margin=dict(l=60, r=20, t=80, b=50), legend=dict(orientation="h", y=-0.2))
    return fig


def latent_mixture_figure(
    z: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    z_drawn: np.ndarray,
    mu_drawn: np.ndarray,
    x: np.ndarray,
    terms_xy: tuple[np.ndarray, np.ndarray],
    estimate: np.ndarray,
    model: np.ndarray,
    target: np.ndarray,
    *,
    title: str = "",
) -> go.Figure:
    """The continuous latent. Left: the decoder's mu(z) with a band mu(z) +- sigma(z), and
    the drawn z (markers at (z_n, mu(z_n))). Right: the drawn terms N(x; mu(z_n),
    sigma(z_n)^2) / N (blue), their sum P_N(x) (black), the infinite mixture
    int P(z) P(x|z) dz (red, dashed) and the target (grey).

    Traces: 0 band upper, 1 band lower (filled), 2 mu(z), 3 drawn z, 4 target, 5 terms,
    6 N-sample sum, 7 model density.
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.38, 0.62],
                        subplot_titles=("decoder: z → μ(z) ± σ(z)",
                                        "P(x) ≈ (1/N) Σ N(x; μ(z_n), σ(z_n)²)"))
    band = dict(color="rgba(31,119,180,0)")
    fig.add_trace(go.Scatter(x=z, y=mu + sigma, line=band, showlegend=False,
                             hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, y=mu - sigma, line=band, fill="tonexty",
                             fillcolor="rgba(31,119,180,0.25)", name="μ(z) ± σ(z)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, y=mu, name="μ(z)", line=dict(color="rgb(31,119,180)")),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=z_drawn, y=mu_drawn, mode="markers", name="drawn z_n",
                             marker=dict(color="black", size=5, opacity=0.6)), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=target, name="target p(x)", line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL), row=1, col=2)
    fig.add_trace(go.Scatter(x=terms_xy[0], y=terms_xy[1], name="terms / N",
                             line=COMPONENT_STYLE, connectgaps=False), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=estimate, name="N-sample sum", line=SUM_STYLE), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=model, name="∫ P(z) P(x|z) dz", line=MODEL_STYLE),
                  row=1, col=2)
    fig.update_xaxes(title_text="z", range=[float(z[0]), float(z[-1])], row=1, col=1)
    fig.update_yaxes(title_text="x", range=[float(x[0]), float(x[-1])], row=1, col=1)
    _density_axes(fig, row=1, col=2)
    fig.update_xaxes(range=[float(x[0]), float(x[-1])], row=1, col=2)
    fig.update_yaxes(range=[0, 1.5 * float(np.max(model))], row=1, col=2)
    fig.update_layout(title=title, height=440, margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def loss_curve_figure(losses: np.ndarray, *, entropy: float, title: str = "") -> go.Figure:
    """The training loss per x against step: minus the S-sample estimate
    log (1/S) sum_s N(x; mu(z_s), sigma(z_s)^2), which on average lies above -log P(x)
    (Jensen). The target's entropy (the lowest -log P(x) any model can reach on average
    over fresh draws) is the dashed line.

    Traces: 0 loss, 1 entropy.
    """
    steps = np.arange(1, len(losses) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=losses, name="−log (1/S) Σ_s N(x; μ(z_s), σ(z_s)²) per x (batch)",
                             line=dict(color="black", width=1)))
    fig.add_trace(go.Scatter(x=[1, len(losses)], y=[entropy, entropy], name="entropy of p(x)",
                             line=dict(color="rgb(44,160,44)", dash="dash")))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="nats per x", range=[entropy - 0.2, entropy + 1.0])
    fig.update_layout(title=title, height=360, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(orientation="h", y=-0.3))
    return fig
