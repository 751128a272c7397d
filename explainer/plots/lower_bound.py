"""Figures of the lower bound: q against the true posterior, log p(x) split into Lb and
the gap, the encoder and decoder climbing Lb, and importance sampling on MNIST.

Pure builders: arrays and numbers in, ``go.Figure`` out. The bar chart is a waterfall:
each segment starts where the previous one ended, so the segments of a column add up
to its top, also when the terms are negative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.elbo import BoundTerms

BOUND_COLUMNS = ("log p(x)", "Lb +<br>KL(q‖p(z|x))", "Lb = −Minimize1<br>− Minimize2/2")
# the waterfall segments' trace names (widgets and tests find the traces by these)
LOG_MARGINAL_BAR = "log p(x)"
LOWER_BOUND_BAR = "Lb"
GAP_BAR = "KL(q‖p(z|x)): the gap"
PRIOR_KL_BAR = "−Minimize2/2 = −KL(q‖p(z))"
LIKELIHOOD_BAR = "−Minimize1 = E_q log p(x|z)"
BAR_NAMES = (LOG_MARGINAL_BAR, LOWER_BOUND_BAR, GAP_BAR, PRIOR_KL_BAR, LIKELIHOOD_BAR)
# the dashed line at the height of Lb across the second and third columns
LOWER_BOUND_LEVEL = "Lb: both splits meet here"
POSTERIOR_TRACE = "p(z|x), exact"
# the ascent figure's curves
LOG_MARGINAL_CURVE = "log p(X), step by step"
LOWER_BOUND_CURVE = "Lb, step by step"
CEILING_LINE = "best log p(X) of any decoder"
Q_TRACE = "q(z)"
POSTERIOR_COLOR = "#1f77b4"
Q_COLOR = "#ff7f0e"
LOG_MARGINAL_COLOR = "#2ca02c"
LOWER_BOUND_COLOR = "#9467bd"
GAP_COLOR = "#d62728"
PRIOR_KL_COLOR = "#8c564b"
LIKELIHOOD_COLOR = "#17becf"


def bound_bar_segments(terms: BoundTerms) -> list[dict]:
    """The five waterfall segments (name, column, base, height, color; width if not the
    usual 0.6) of the two splits.

    Column 1: log p(x). Column 2: Lb, then KL(q || p(z|x)) on top of it: ends at log p(x).
    Column 3: -Minimize2/2 = -KL(q || p(z)), then -Minimize1 = E_q log p(x|z) from there:
    ends at Lb (the tutorial's two losses, image061-067).
    """
    t = terms
    return [
        dict(name=LOG_MARGINAL_BAR, column=BOUND_COLUMNS[0], base=0.0, height=t.log_marginal,
             color=LOG_MARGINAL_COLOR),
        dict(name=LOWER_BOUND_BAR, column=BOUND_COLUMNS[1], base=0.0, height=t.lower_bound,
             color=LOWER_BOUND_COLOR),
        # narrower: with negative terms the gap lies over the Lb bar, which stays visible
        dict(name=GAP_BAR, column=BOUND_COLUMNS[1], base=t.lower_bound,
             height=t.kl_posterior, color=GAP_COLOR, width=0.3),
        dict(name=PRIOR_KL_BAR, column=BOUND_COLUMNS[2], base=0.0, height=-0.5 * t.minimize2,
             color=PRIOR_KL_COLOR),
        dict(name=LIKELIHOOD_BAR, column=BOUND_COLUMNS[2], base=-0.5 * t.minimize2,
             height=-t.minimize1, color=LIKELIHOOD_COLOR),
    ]


def bound_summary(terms: BoundTerms) -> str:
    """Two lines of the numbers behind the bars: log p(x) = Lb + KL with the identity's
    residual, and Lb = -Minimize1 - Minimize2/2."""
    t = terms
    return (
        f"log p(x) = {t.log_marginal:.4f} = Lb {t.lower_bound:.4f} + KL(q‖p(z|x)) "
        f"{t.kl_posterior:.4f}  (residual {t.identity_residual:.1e})<br>"
        f"Lb = −Minimize1 − Minimize2/2,  Minimize1 = E_q[−log p(x|z)] = {t.minimize1:.4f},  "
        f"Minimize2 = 2 KL(q‖p(z)) = {t.minimize2:.4f}"
    )


def lower_bound_level(terms: BoundTerms) -> dict:
    """The dashed line at the height of Lb from the second column to the third: x, y."""
    return dict(x=[BOUND_COLUMNS[1], BOUND_COLUMNS[2]], y=[terms.lower_bound] * 2)


def _bar_traces(terms: BoundTerms, *, showlegend: bool = True) -> list[go.Bar]:
    return [
        go.Bar(x=[s["column"]], y=[s["height"]], base=[s["base"]], name=s["name"],
               marker_color=s["color"], width=s.get("width", 0.6), showlegend=showlegend,
               hovertemplate=f"{s['name']}: %{{y:.4f}}<extra></extra>")
        for s in bound_bar_segments(terms)
    ]


def bound_split_figure(
    z: np.ndarray,
    *,
    posterior_density: np.ndarray,
    q_density: np.ndarray,
    terms: BoundTerms,
    height: int = 500,
    width: int = 960,
) -> go.Figure:
    """Left: the true posterior p(z|x) and q(z). Right: log p(x) = Lb + KL(q || p(z|x)),
    and Lb = -Minimize1 - Minimize2/2 = E_q log p(x|z) - KL(q || p(z)), as waterfall bars
    (image051, image059, image061-067), with a dashed line at Lb across the two splits.

    Traces (by name): POSTERIOR_TRACE, Q_TRACE, the BAR_NAMES, LOWER_BOUND_LEVEL.
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.1,
                        subplot_titles=("q(z) against the true posterior p(z|x)",
                                        "log p(x) split two ways (nats)"))
    fig.add_trace(go.Scatter(x=z, y=posterior_density, name=POSTERIOR_TRACE,
                             line=dict(color=POSTERIOR_COLOR, width=3)), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, y=q_density, name=Q_TRACE, line=dict(color=Q_COLOR, width=2),
                             fill="tozeroy", opacity=0.6), row=1, col=1)
    for bar in _bar_traces(terms):
        fig.add_trace(bar, row=1, col=2)
    fig.add_trace(go.Scatter(**lower_bound_level(terms), name=LOWER_BOUND_LEVEL, mode="lines",
                             line=dict(color=LOWER_BOUND_COLOR, dash="dash", width=2),
                             hovertemplate="Lb: %{y:.4f}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text="z", row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_xaxes(tickangle=0, row=1, col=2)
    fig.update_yaxes(title_text="nats", zeroline=True, row=1, col=2)
    fig.update_layout(barmode="overlay", height=height, width=width, template="plotly_white",
                      title=dict(text=bound_summary(terms), font=dict(size=12), y=0.97),
                      legend=dict(orientation="h", y=-0.22), margin=dict(t=120, b=40))
    return fig


def ascent_figure(
    terms: BoundTerms,
    *,
    steps: Sequence[int],
    log_marginal: Sequence[float],
    lower_bound: Sequence[float],
    ceiling: float,
    height: int = 420,
) -> go.Figure:
    """Left: the current split of log p(X) (bars). Right: log p(X) and Lb over the
    encoder and decoder steps, and the highest log p(X) any decoder reaches (dashed).

    Traces (by name): the BAR_NAMES, LOG_MARGINAL_CURVE, LOWER_BOUND_CURVE, CEILING_LINE.
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.16,
                        subplot_titles=("log p(X) split two ways (nats)",
                                        "log p(X) and Lb, step by step"))
    for bar in _bar_traces(terms):
        fig.add_trace(bar, row=1, col=1)
    fig.add_trace(go.Scatter(x=list(steps), y=list(log_marginal), name=LOG_MARGINAL_CURVE,
                             mode="lines+markers", line=dict(color=LOG_MARGINAL_COLOR)),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=list(steps), y=list(lower_bound), name=LOWER_BOUND_CURVE,
                             mode="lines+markers", line=dict(color=LOWER_BOUND_COLOR)),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=[0, max(1, max(steps, default=0))], y=[ceiling, ceiling],
                             name=CEILING_LINE, mode="lines",
                             line=dict(color="grey", dash="dash")), row=1, col=2)
    fig.update_xaxes(title_text="step (encoder and decoder steps counted separately)",
                     row=1, col=2)
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_layout(barmode="overlay", height=height, template="plotly_white",
                      title=dict(text=bound_summary(terms), font=dict(size=12)),
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=100, b=40))
    return fig


def nonlinear_posterior_figure(
    z: np.ndarray,
    *,
    decoder_mean: np.ndarray,
    posterior_density: np.ndarray,
    fits: Sequence[tuple[str, np.ndarray, float]],
    x: float,
    log_marginal: float,
    height: int = 400,
) -> go.Figure:
    """Left: the decoder's mean g(z) and the observed x. Right: the numerical posterior
    p(z|x) and each fitted Gaussian q (label, density, gap) with its gap in the legend.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("decoder mean g(z) and the observed x",
                                        nonlinear_title(log_marginal)))
    fig.add_trace(go.Scatter(x=z, y=decoder_mean, name="g(z)", line=dict(color="black")),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=[z[0], z[-1]], y=[x, x], name=f"x = {x:g}", mode="lines",
                             line=dict(color=GAP_COLOR, dash="dash")), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, y=posterior_density, name="p(z|x)",
                             line=dict(color=POSTERIOR_COLOR, width=3)), row=1, col=2)
    for label, density, gap in fits:
        fig.add_trace(go.Scatter(x=z, y=density, name=f"{label}: gap KL = {gap:.3f}",
                                 line=dict(width=2, dash="dot")), row=1, col=2)
    fig.update_xaxes(title_text="z", range=[-4, 4])
    fig.update_yaxes(title_text="x", row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=2)
    fig.update_layout(height=height, template="plotly_white",
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=60, b=40))
    return fig


def nonlinear_title(log_marginal: float) -> str:
    """The right panel's title: log p(x) by quadrature."""
    return f"p(z|x) by quadrature, log p(x) = {log_marginal:.3f}"


def importance_sampling_figure(
    ks: Sequence[int],
    *,
    estimates: Sequence[float],
    elbo: float,
    selected_k: int,
    height: int = 380,
) -> go.Figure:
    """The K-sample estimate of log p(x) (mean over digits) against K, the ELBO as a
    dashed line, and the selected K marked.

    Traces: 0 the estimate over K, 1 the ELBO, 2 the selected K.
    """
    ks = list(ks)
    estimates = list(estimates)
    if selected_k not in ks:
        raise ValueError(f"selected_k must be one of {ks}, got {selected_k!r}")
    i = ks.index(selected_k)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ks, y=estimates, name="importance-sampled log p(x), K samples",
                             mode="lines+markers", line=dict(color=LOG_MARGINAL_COLOR)))
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[elbo, elbo], name="ELBO", mode="lines",
                             line=dict(color=LOWER_BOUND_COLOR, dash="dash")))
    fig.add_trace(go.Scatter(x=[selected_k], y=[estimates[i]], name=f"K = {selected_k}",
                             mode="markers", marker=dict(size=14, color=GAP_COLOR)))
    fig.update_xaxes(type="log", title_text="K (samples per digit)")
    fig.update_yaxes(title_text="nats per digit (mean over the digits)")
    fig.update_layout(height=height, template="plotly_white",
                      title=importance_title(selected_k, estimate=estimates[i], elbo=elbo),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def importance_title(k: int, *, estimate: float, elbo: float) -> str:
    """The numbers for the selected K; the estimate minus the ELBO bounds the gap from below."""
    return (f"K = {k}: log p(x) ≈ {estimate:.2f},  ELBO = {elbo:.2f},  "
            f"gap ≥ {estimate - elbo:.2f} nats")
