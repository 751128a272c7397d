"""Figures of the VAE's insides: the diagram for one digit, Minimize2, and the KL weight."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.anatomy import ACTIVE_KL, BetaSummary, Diagram, minimize2_terms
from explainer.plots.images import png_data_uri, tile_images

BAR_NAMES = ("m (code mean)", "s (log-variance)", "sigma = exp(s/2)", "e (noise)",
             "c = m + sigma e")
BAR_COLOURS = ("#1f77b4", "#9467bd", "#ff7f0e", "#7f7f7f", "#2ca02c")

# trace names (widgets and tests find the traces by them); BAR_NAMES name the diagram's bars
INPUT_IMAGE = "input"
DECODED_IMAGE = "decoded"
LOGVAR_HISTOGRAM = "log-variance s"
KL_BARS = "KL per dimension"
RECONSTRUCTIONS = "reconstructions"
PRIOR_SAMPLES = "prior samples"
GRID_MODELS = "grid models"
SAME_PRODUCT = "same sigma^2 beta"
SELECTED_MODEL = "selected model"


def _image_source(image: np.ndarray) -> str:
    return png_data_uri(tile_images(image[None], n_cols=1, pad=0))


def diagram_updates(d: Diagram) -> dict[str, dict]:
    """Trace data of :func:`diagram_figure` by trace name: the input image, the five bar
    groups (``BAR_NAMES``), the decoded image."""
    dims = [f"dim {j + 1}" for j in range(len(d.mean))]
    bars = {name: dict(x=dims, y=v)
            for name, v in zip(BAR_NAMES, (d.mean, d.logvar, d.sigma, d.noise, d.code),
                               strict=True)}
    return {INPUT_IMAGE: dict(source=_image_source(d.image)), **bars,
            DECODED_IMAGE: dict(source=_image_source(d.decoded))}


def diagram_figure(d: Diagram, *, title: str | None = None) -> go.Figure:
    """x -> encoder -> (m, s) -> c = m + exp(s/2) e -> decoder -> x_hat, for one digit."""
    fig = make_subplots(rows=1, cols=3, column_widths=[0.18, 0.64, 0.18], horizontal_spacing=0.06,
                        subplot_titles=("input x", "encoder outputs, noise and code",
                                        "decoded from c"))
    data = diagram_updates(d)
    fig.add_trace(go.Image(name=INPUT_IMAGE, hoverinfo="skip", **data[INPUT_IMAGE]), row=1, col=1)
    for name, colour in zip(BAR_NAMES, BAR_COLOURS, strict=True):
        fig.add_trace(go.Bar(name=name, marker_color=colour, **data[name]), row=1, col=2)
    fig.add_trace(go.Image(name=DECODED_IMAGE, hoverinfo="skip", **data[DECODED_IMAGE]),
                  row=1, col=3)
    for col in (1, 3):
        fig.update_xaxes(visible=False, row=1, col=col)
        fig.update_yaxes(visible=False, row=1, col=col)
    fig.update_layout(barmode="group", template="plotly_white", height=380,
                      title=title or "c = m + exp(s/2) e, dimension by dimension",
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=20, r=45, t=80, b=40))
    return fig


def minimize2_figure(mean: np.ndarray, logvar: np.ndarray) -> go.Figure:
    """The two parts of Minimize2 as curves, with this digit's dimensions marked on them."""
    s_grid = np.linspace(-8.0, 3.0, 221)
    m_grid = np.linspace(-4.0, 4.0, 161)
    curve, _ = minimize2_terms(np.zeros_like(s_grid), s_grid)
    noise_part, mean_part = minimize2_terms(mean, logvar)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("exp(s) - (1 + s): smallest at s = 0",
                                                        "m^2: smallest at m = 0"))
    fig.add_trace(go.Scatter(x=s_grid, y=curve, name="exp(s) - (1 + s)", mode="lines",
                             line=dict(color="#444")), row=1, col=1)
    fig.add_trace(go.Scatter(x=logvar, y=noise_part, name="this digit's s_j", mode="markers",
                             marker=dict(size=10, color="#ff7f0e")), row=1, col=1)
    fig.add_trace(go.Scatter(x=m_grid, y=m_grid**2, name="m^2", mode="lines",
                             line=dict(color="#444", dash="dot")), row=1, col=2)
    fig.add_trace(go.Scatter(x=mean, y=mean_part, name="this digit's m_j", mode="markers",
                             marker=dict(size=10, color="#1f77b4")), row=1, col=2)
    fig.update_xaxes(title_text="s (log-variance)", row=1, col=1)
    fig.update_xaxes(title_text="m (code mean)", row=1, col=2)
    fig.update_layout(template="plotly_white", height=360, legend=dict(orientation="h", y=-0.25),
                      margin=dict(l=40, r=20, t=60, b=40))
    return fig


def beta_updates(summary: BetaSummary) -> dict[str, dict]:
    """Trace data of :func:`beta_figure` for one KL weight, by trace name."""
    dims = [f"dim {j + 1}" for j in range(len(summary.kl_per_dim))]
    n = len(summary.reconstructions)
    return {
        LOGVAR_HISTOGRAM: dict(x=summary.logvars.ravel()),
        KL_BARS: dict(x=dims, y=summary.kl_per_dim,
                      marker_color=["#2ca02c" if v > ACTIVE_KL else "#bbbbbb"
                                    for v in summary.kl_per_dim]),
        RECONSTRUCTIONS: dict(source=png_data_uri(tile_images(summary.reconstructions, n_cols=n,
                                                              pad=1))),
        PRIOR_SAMPLES: dict(source=png_data_uri(tile_images(summary.samples,
                                                            n_cols=len(summary.samples), pad=1))),
    }


def beta_title(summary: BetaSummary) -> str:
    return (f"beta = {summary.beta:g}: mean s {summary.mean_logvar:.1f}, "
            f"{summary.active} of {len(summary.kl_per_dim)} dimensions active;<br>"
            f"reconstruction {summary.reconstruction_nats:.0f} nats (pixel entropy floor "
            f"{summary.entropy_floor:.0f}), KL {summary.kl_nats:.1f}")


def beta_figure(summary: BetaSummary) -> go.Figure:
    """Log-variances (histogram), KL per dimension, reconstructions and prior samples."""
    fig = make_subplots(
        rows=3, cols=2, row_heights=[0.56, 0.22, 0.22], vertical_spacing=0.13,
        specs=[[{}, {}], [{"colspan": 2}, None], [{"colspan": 2}, None]],
        subplot_titles=("log-variances s (all test digits, all dims)",
                        f"KL per dimension (nats; grey: below {ACTIVE_KL:g})",
                        "evenly spaced test digits, reconstructed (decoded from m)",
                        "samples: codes drawn from N(0, I), decoded"))
    data = beta_updates(summary)
    fig.add_trace(go.Histogram(name=LOGVAR_HISTOGRAM, marker_color="#ff7f0e",
                               xbins=dict(start=-20, end=2, size=0.5), **data[LOGVAR_HISTOGRAM]),
                  row=1, col=1)
    fig.add_trace(go.Bar(name=KL_BARS, **data[KL_BARS]), row=1, col=2)
    fig.add_trace(go.Image(name=RECONSTRUCTIONS, hoverinfo="skip", **data[RECONSTRUCTIONS]),
                  row=2, col=1)
    fig.add_trace(go.Image(name=PRIOR_SAMPLES, hoverinfo="skip", **data[PRIOR_SAMPLES]),
                  row=3, col=1)
    fig.update_xaxes(range=[-20, 2], title_text="s", row=1, col=1)
    # a fixed log range, so that bars of different weights compare at a glance
    fig.update_yaxes(type="log", range=[-3, 1.7], row=1, col=2)
    fig.add_hline(y=ACTIVE_KL, line=dict(color="#888", dash="dot"), row=1, col=2)
    for row in (2, 3):
        # square pixels: the image's y axis is scaled to its own x axis
        x_name = fig.get_subplot(row, 1).xaxis.plotly_name.replace("axis", "")
        fig.update_xaxes(visible=False, row=row, col=1)
        fig.update_yaxes(visible=False, scaleanchor=x_name, row=row, col=1)
    fig.update_layout(template="plotly_white", height=620, showlegend=False,
                      title=dict(text=beta_title(summary), font=dict(size=13)),
                      margin=dict(l=40, r=20, t=90, b=20))
    return fig


def variance_updates(point, equivalents, points) -> dict[str, dict]:
    """Trace data of :func:`variance_figure` by trace name: every grid model, the selected
    model's equivalents (same sigma^2 beta), the selected model, its reconstructions."""
    eq = list(equivalents)
    return {
        GRID_MODELS: dict(x=[p.rate for p in points], y=[p.distortion for p in points],
                          text=[f"sigma^2={p.variance:g}, beta={p.beta:g}" for p in points]),
        SAME_PRODUCT: dict(x=[p.rate for p in eq], y=[p.distortion for p in eq],
                           text=[f"sigma^2={p.variance:g}, beta={p.beta:g}" for p in eq]),
        SELECTED_MODEL: dict(x=[point.rate], y=[point.distortion],
                             text=[f"sigma^2={point.variance:g}, beta={point.beta:g}"]),
        RECONSTRUCTIONS: dict(source=png_data_uri(tile_images(
            point.reconstructions, n_cols=len(point.reconstructions), pad=1))),
    }


def variance_title(point, equivalents) -> str:
    same = "".join(f"<br>same sigma^2 beta: sigma^2={p.variance:g}, beta={p.beta:g}: rate "
                   f"{p.rate:.1f}, distortion {p.distortion:.1f}" for p in equivalents)
    return (f"sigma^2={point.variance:g}, beta={point.beta:g} (sigma^2 beta = {point.product:g}): "
            f"rate {point.rate:.1f} nats, distortion {point.distortion:.1f}"
            + (same or "<br>no other model with this sigma^2 beta"))


def variance_figure(point, equivalents, points) -> go.Figure:
    """Rate (KL) against distortion (squared error) for the grid of Gaussian-decoder VAEs,
    the selected model and those with the same sigma^2 beta marked; its reconstructions."""
    fig = make_subplots(rows=2, cols=1, row_heights=[0.75, 0.25], vertical_spacing=0.2,
                        subplot_titles=("rate against distortion, test digits",
                                        "test digits reconstructed by the selected model (from m)"))
    data = variance_updates(point, equivalents, points)
    fig.add_trace(go.Scatter(name=GRID_MODELS, mode="markers", hoverinfo="text+x+y",
                             marker=dict(size=9, color="#bbbbbb"), **data[GRID_MODELS]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(name=SAME_PRODUCT, mode="markers", hoverinfo="text+x+y",
                             marker=dict(size=18, color="rgba(0,0,0,0)",
                                         line=dict(color="#d62728", width=2)),
                             **data[SAME_PRODUCT]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(name=SELECTED_MODEL, mode="markers", hoverinfo="text+x+y",
                             marker=dict(size=11, color="#1f77b4"), **data[SELECTED_MODEL]),
                  row=1, col=1)
    fig.add_trace(go.Image(name=RECONSTRUCTIONS, hoverinfo="skip", **data[RECONSTRUCTIONS]),
                  row=2, col=1)
    rates = [p.rate for p in points]
    fig.update_xaxes(title_text="rate: KL to the prior (nats per digit)",
                     range=[-0.05 * max(rates) - 1, 1.05 * max(rates) + 1], row=1, col=1)
    fig.update_yaxes(title_text="distortion: squared error per digit", row=1, col=1)
    x_name = fig.get_subplot(2, 1).xaxis.plotly_name.replace("axis", "")
    fig.update_xaxes(visible=False, row=2, col=1)
    fig.update_yaxes(visible=False, scaleanchor=x_name, row=2, col=1)
    fig.update_layout(template="plotly_white", height=580,
                      legend=dict(x=0.99, y=0.99, xanchor="right", yanchor="top",
                                  bgcolor="rgba(255,255,255,0.8)"),
                      title=dict(text=variance_title(point, equivalents), font=dict(size=12)),
                      margin=dict(l=50, r=20, t=110, b=20))
    return fig


def estimator_figure(pathwise, score, reference, *, dimension: int = 0) -> go.Figure:
    """Pathwise against score-function gradient estimates (``GradientEstimate``s from the
    same draws): left, the running estimate of d/dm_j E_q[log p(x|c)] as draws accumulate,
    against the ``reference`` value; right, each estimator's spread (standard deviation of
    one draw's term) per dimension, for d/dm and d/ds, on a log axis."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        f"estimate of d/dm_{dimension + 1} against draws",
        "spread of one draw's term (log axis)"))
    n = np.arange(1, pathwise.n_draws + 1)
    fig.add_trace(go.Scatter(x=n, y=score.running_mean(dimension), name="score function",
                             mode="lines", line=dict(color="#d62728")), row=1, col=1)
    fig.add_trace(go.Scatter(x=n, y=pathwise.running_mean(dimension), name="pathwise",
                             mode="lines", line=dict(color="#1f77b4")), row=1, col=1)
    fig.add_trace(go.Scatter(x=[1, pathwise.n_draws], y=[reference, reference], name="reference",
                             mode="lines", line=dict(color="#444", dash="dot")), row=1, col=1)
    dims = [f"dim {j + 1}" for j in range(pathwise.grad_mean.shape[1])]
    for est, colour in ((pathwise, "#1f77b4"), (score, "#d62728")):
        sd_m, sd_s = (np.sqrt(v) for v in est.variance())
        fig.add_trace(go.Bar(x=dims, y=sd_m, name=f"{est.estimator}, d/dm", marker_color=colour),
                      row=1, col=2)
        fig.add_trace(go.Bar(x=dims, y=sd_s, name=f"{est.estimator}, d/ds", marker_color=colour,
                             opacity=0.45), row=1, col=2)
    # the score function's first draws swing far: show +-3 of its standard errors at 30 draws
    half = 3.0 * float(np.sqrt(score.variance()[0][dimension] / 30.0))
    fig.update_xaxes(type="log", title_text="number of draws", row=1, col=1)
    fig.update_yaxes(title_text="gradient estimate", range=[reference - half, reference + half],
                     row=1, col=1)
    fig.update_yaxes(type="log", title_text="standard deviation of one draw", row=1, col=2)
    fig.update_layout(template="plotly_white", height=420, barmode="group",
                      legend=dict(orientation="h", y=-0.2), margin=dict(l=50, r=20, t=60, b=40))
    return fig


def training_curves_figure(curves: dict) -> go.Figure:
    """Minimize1 (left) and the KL = Minimize2 / 2 (right) per epoch, one line per KL weight
    (``anatomy.TrainingCurve``s by beta), both on log axes (the untrained start is far above)."""
    if not curves:
        raise ValueError("curves must hold at least one TrainingCurve")
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "Minimize1: reconstruction", "KL = Minimize2 / 2"))
    betas = sorted(curves)
    # one hue per weight, from orange (beta = 0) to violet (the largest)
    colours = [f"hsl({int(h)}, 75%, 45%)" for h in np.linspace(40, 260, len(betas))]
    for beta, colour in zip(betas, colours):
        c = curves[beta]
        terms = (("Minimize1", c.reconstruction), ("KL", c.kl))
        for col, (term, values) in enumerate(terms, start=1):
            # the legend shows the left panel's traces only, so it names the weight alone
            # (the colour means the same weight in both panels)
            name = f"beta = {beta:g}" if col == 1 else f"beta = {beta:g}, {term}"
            fig.add_trace(go.Scatter(x=c.epoch, y=values, name=name,
                                     legendgroup=f"{beta:g}", showlegend=col == 1,
                                     mode="lines+markers",
                                     marker=dict(size=5), line=dict(color=colour, width=2),
                                     hovertemplate=f"beta = {beta:g}, {term}<br>epoch %{{x}}: "
                                                   "%{y:.1f} nats<extra></extra>"),
                          row=1, col=col)
    fig.update_xaxes(title_text="epoch (0: untrained)", dtick=2)
    fig.update_yaxes(type="log", title_text="nats per test digit (log axis)",
                     tickvals=[100, 150, 200, 300, 400, 550], row=1, col=1)
    fig.update_yaxes(type="log", title_text="nats per test digit (log axis)",
                     tickvals=[0.03, 0.1, 0.3, 1, 3, 10, 30, 100], row=1, col=2)
    fig.update_layout(template="plotly_white", height=460,
                      legend=dict(title=dict(text="colour: the KL weight (the same in both panels)",
                                             side="top"), orientation="h",
                                  x=0, y=-0.22, yanchor="top"),
                      margin=dict(l=60, r=20, t=50, b=40))
    return fig
