"""Figures of the lower bound: q against the true posterior, log p(x) split into Lb and
the gap, the encoder and decoder climbing Lb, and one digit's importance weights on MNIST.

Pure builders: arrays and numbers in, ``go.Figure`` out. Every trace is named (the
constants below); each ``*_updates`` function gives the data that follows a figure's
controls by trace name, which the builder draws and the widget applies. The bar chart is a waterfall
drawn from a common zero line: each segment starts where the previous one ended, so the
segments of a column add up to its end, and the second segment of a column stands beside
the first, so a segment that turns back (the positive gap after a negative Lb) never
covers the one before it: every part shows at its true size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.elbo import BoundTerms

if TYPE_CHECKING:
    from explainer.lower_bound_views import BoundAscent, NonlinearGapView

BOUND_COLUMNS = ("log p(x)", "Lb<br>+ KL(q‖p(z|x))<br>= log p(x)",
                 "−Minimize2/2<br>− Minimize1<br>= Lb")
# the columns' places on the bar panel's x axis; a column's two parts stand side by side
# (the second starts where the first ends), so neither covers the other whatever their signs
COLUMN_X = (0.0, 1.0, 2.0)
BAR_WIDTH = 0.6
HALF = BAR_WIDTH / 2
# the waterfall segments' trace names (widgets and tests find the traces by these)
LOG_MARGINAL_BAR = "log p(x)"
LOWER_BOUND_BAR = "Lb"
GAP_BAR = "KL(q‖p(z|x)): the gap"
PRIOR_KL_BAR = "−Minimize2/2 = −KL(q‖p(z))"
LIKELIHOOD_BAR = "−Minimize1 = E_q log p(x|z)"
BAR_NAMES = (LOG_MARGINAL_BAR, LOWER_BOUND_BAR, GAP_BAR, PRIOR_KL_BAR, LIKELIHOOD_BAR)
# the dashed line at the height of Lb across the second and third columns
LOWER_BOUND_LEVEL = "Lb: both splits meet here"
# the dotted line at the height of log p(x) across the first and second columns
LOG_MARGINAL_LEVEL = "log p(x): Lb + KL ends here"
# the layout key of the bars' nats axis in each figure
BOUND_SPLIT_BAR_AXIS = "yaxis2"
ASCENT_BAR_AXIS = "yaxis"
POSTERIOR_TRACE = "p(z|x), exact"
# the ascent figure's curves
LOG_MARGINAL_CURVE = "log p(X), step by step"
LOWER_BOUND_CURVE = "Lb, step by step"
CEILING_LINE = "best log p(X) of any decoder"
Q_TRACE = "q(z)"
# the importance-weights figure's traces
WEIGHTS_HISTOGRAM = "normalised weights w_i / Σ w of draws 1..K"
EQUAL_WEIGHT_LINE = "1/K: every draw's weight if all were equal"
ESS_CURVE = "ESS = (Σ w)² / Σ w² of draws 1..K"
ESS_LIMIT = "ESS = K (every draw counting equally)"
ESS_MARKER = "ESS at the chosen K"
ESTIMATE_CURVE = "log (1/K) Σ w, mean over disjoint groups of K"
ELBO_LINE = "ELBO = mean log w"
BEST_ESTIMATE_LINE = "log (1/N) Σ w over every draw"
ESTIMATE_MARKER = "log (1/K) Σ w of draws 1..K"
# the non-linear decoder's figure (and fit_trace_name)
DECODER_CURVE = "g(z)"
OBSERVED_X = "observed x"
NUMERICAL_POSTERIOR = "p(z|x)"
POSTERIOR_COLOR = "#1f77b4"
Q_COLOR = "#ff7f0e"
LOG_MARGINAL_COLOR = "#2ca02c"
LOWER_BOUND_COLOR = "#9467bd"
GAP_COLOR = "#d62728"
PRIOR_KL_COLOR = "#8c564b"
LIKELIHOOD_COLOR = "#17becf"


def bound_bar_segments(terms: BoundTerms) -> list[dict]:
    """The five segments of the two splits, each a bar from ``base`` to ``base + height``
    drawn from the common zero line at its true size: name, x (the column's centre),
    offset and width (which half of the column), base, height, text (its value), color.

    Column 1: log p(x). Column 2: Lb from 0, then KL(q || p(z|x)) from Lb: it ends at
    log p(x) (image051, image047). Column 3: -Minimize2/2 = -KL(q || p(z)) from 0, then
    -Minimize1 = E_q log p(x|z) from there: it ends at Lb (image059-067). In a split the
    second part stands beside the first, so a part that turns back (the gap, positive,
    after a negative Lb) never covers the part before it.
    """
    t = terms
    x1, x2, x3 = COLUMN_X
    # (name, x, which half: None for the whole width, base, height, color)
    parts = [
        (LOG_MARGINAL_BAR, x1, None, 0.0, t.log_marginal, LOG_MARGINAL_COLOR),
        # Lb = log p(x) - KL(q || p(z|x)): the bound, from zero
        (LOWER_BOUND_BAR, x2, "left", 0.0, t.lower_bound, LOWER_BOUND_COLOR),
        # log p(x) = Lb + KL(q || p(z|x)): the gap, from Lb up to log p(x)
        (GAP_BAR, x2, "right", t.lower_bound, t.kl_posterior, GAP_COLOR),
        # -Minimize2/2 = -KL(q || p(z))
        (PRIOR_KL_BAR, x3, "left", 0.0, -0.5 * t.minimize2, PRIOR_KL_COLOR),
        # Lb = -Minimize2/2 + (-Minimize1)
        (LIKELIHOOD_BAR, x3, "right", -0.5 * t.minimize2, -t.minimize1, LIKELIHOOD_COLOR),
    ]
    segments = []
    for name, x, half, base, height, color in parts:
        offset, width = {None: (-HALF, BAR_WIDTH), "left": (-HALF, HALF),
                         "right": (0.0, HALF)}[half]
        segments.append(dict(name=name, x=x, offset=offset, width=width, base=base,
                             height=height, text=f"{height:+.2f}", color=color))
    return segments


def bound_summary(terms: BoundTerms) -> str:
    """Two lines of the numbers behind the bars: log p(x) = Lb + KL with the identity's
    residual, and Lb = -Minimize1 - Minimize2/2."""
    t = terms
    return (
        f"log p(x) = {t.log_marginal:.4f} = Lb ({t.lower_bound:.4f}) + KL(q‖p(z|x)) "
        f"({t.kl_posterior:.4f})  (residual {t.identity_residual:.1e})<br>"
        f"Lb = −Minimize1 − Minimize2/2,  Minimize1 = E_q[−log p(x|z)] = {t.minimize1:.4f},  "
        f"Minimize2 = 2 KL(q‖p(z)) = {t.minimize2:.4f}"
    )


def lower_bound_level(terms: BoundTerms) -> dict:
    """The dashed line at the height of Lb from the second column to the third: x, y."""
    return dict(x=[COLUMN_X[1] - HALF, COLUMN_X[2] + HALF], y=[terms.lower_bound] * 2)


def log_marginal_level(terms: BoundTerms) -> dict:
    """The dotted line at the height of log p(x) from the first column to the second: x, y."""
    return dict(x=[COLUMN_X[0] - HALF, COLUMN_X[1] + HALF], y=[terms.log_marginal] * 2)


def bound_bar_updates(terms: BoundTerms) -> dict[str, dict]:
    """The data of the waterfall bars (the BAR_NAMES) and of both level lines, by trace
    name. The bars' axis follows them too: :func:`bar_axis_range`."""
    updates = {s["name"]: dict(y=[s["height"]], base=[s["base"]], text=[s["text"]])
               for s in bound_bar_segments(terms)}
    updates[LOWER_BOUND_LEVEL] = dict(y=lower_bound_level(terms)["y"])
    updates[LOG_MARGINAL_LEVEL] = dict(y=log_marginal_level(terms)["y"])
    return updates


def _bar_traces(terms: BoundTerms, *, showlegend: bool = True) -> list[go.Scatter | go.Bar]:
    bars = [
        go.Bar(x=[s["x"]], y=[s["height"]], base=[s["base"]], offset=s["offset"],
               width=s["width"], name=s["name"], marker_color=s["color"], text=[s["text"]],
               textposition="auto", cliponaxis=False, textfont=dict(size=11),
               insidetextanchor="middle", textangle=0,
               showlegend=showlegend, hovertemplate=f"{s['name']}: %{{y:.4f}}<extra></extra>")
        for s in bound_bar_segments(terms)
    ]
    lines = [
        go.Scatter(**log_marginal_level(terms), name=LOG_MARGINAL_LEVEL, mode="lines",
                   line=dict(color=LOG_MARGINAL_COLOR, dash="dot", width=2), showlegend=False,
                   hovertemplate="log p(x): %{y:.4f}<extra></extra>"),
        go.Scatter(**lower_bound_level(terms), name=LOWER_BOUND_LEVEL, mode="lines",
                   line=dict(color=LOWER_BOUND_COLOR, dash="dash", width=2), showlegend=False,
                   hovertemplate="Lb: %{y:.4f}<extra></extra>"),
    ]
    return bars + lines


def bar_axis_range(terms: BoundTerms) -> list[float]:
    """The bar panel's nats axis: zero and every segment's ends, with room for the labels.
    Set explicitly (not autoranged) so that a page without a kernel, which swaps states
    without rescaling, shows every bar whole."""
    ends = [0.0]
    for seg in bound_bar_segments(terms):
        ends += [seg["base"], seg["base"] + seg["height"]]
    low, high = min(ends), max(ends)
    pad = 0.12 * max(high - low, 1e-6)
    return [low - pad, high + pad]


def _bar_axes(fig: go.Figure, terms: BoundTerms, *, row: int, col: int) -> None:
    """The bar panel's axes: one tick per column, room for the half bars, the nats axis
    fitted to the bars."""
    fig.update_xaxes(tickvals=list(COLUMN_X), ticktext=list(BOUND_COLUMNS), tickangle=0,
                     range=[COLUMN_X[0] - 0.5, COLUMN_X[-1] + 0.5], showgrid=False,
                     row=row, col=col)
    fig.update_yaxes(title_text="nats (bars from 0)", zeroline=True, zerolinewidth=2,
                     zerolinecolor="black", range=bar_axis_range(terms), row=row, col=col)


def bound_split_updates(
    *, posterior_density: np.ndarray, q_density: np.ndarray, terms: BoundTerms
) -> dict[str, dict]:
    """The data of :func:`bound_split_figure` that follows x and q, by trace name."""
    return {POSTERIOR_TRACE: dict(y=posterior_density), Q_TRACE: dict(y=q_density),
            **bound_bar_updates(terms)}


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

    Traces (by name): POSTERIOR_TRACE, Q_TRACE, the BAR_NAMES, LOG_MARGINAL_LEVEL,
    LOWER_BOUND_LEVEL. The bars' axis is ``layout.yaxis2`` (BOUND_SPLIT_BAR_AXIS).
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
    fig.update_xaxes(title_text="z", row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    _bar_axes(fig, terms, row=1, col=2)
    fig.update_layout(barmode="overlay", height=height, width=width, template="plotly_white",
                      title=dict(text=bound_summary(terms), font=dict(size=12), y=0.97),
                      legend=dict(orientation="h", y=-0.3), margin=dict(t=120, b=40))
    return fig


def ascent_updates(
    *, steps: Sequence[int], log_marginal: Sequence[float], lower_bound: Sequence[float]
) -> dict[str, dict]:
    """The step-by-step curves of :func:`ascent_figure`, by trace name (the bars follow
    :func:`bound_bar_updates`)."""
    return {LOG_MARGINAL_CURVE: dict(x=list(steps), y=list(log_marginal)),
            LOWER_BOUND_CURVE: dict(x=list(steps), y=list(lower_bound)),
            CEILING_LINE: dict(x=[0, max(1, max(steps, default=0))])}


def ascent_figure(
    terms: BoundTerms,
    *,
    steps: Sequence[int],
    log_marginal: Sequence[float],
    lower_bound: Sequence[float],
    ceiling: float,
    height: int = 480,
    width: int = 1000,
) -> go.Figure:
    """Left: the current split of log p(X) (bars). Right: log p(X) and Lb over the
    encoder and decoder steps, and the highest log p(X) any decoder reaches (dashed).

    Traces (by name): the BAR_NAMES, LOG_MARGINAL_LEVEL, LOWER_BOUND_LEVEL,
    LOG_MARGINAL_CURVE, LOWER_BOUND_CURVE, CEILING_LINE. The bars' axis is ``layout.yaxis``
    (ASCENT_BAR_AXIS).
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.12,
                        subplot_titles=("log p(X) split two ways (nats)",
                                        "log p(X) and Lb, step by step"))
    data = ascent_updates(steps=steps, log_marginal=log_marginal, lower_bound=lower_bound)
    for bar in _bar_traces(terms):
        fig.add_trace(bar, row=1, col=1)
    fig.add_trace(go.Scatter(name=LOG_MARGINAL_CURVE, mode="lines+markers",
                             line=dict(color=LOG_MARGINAL_COLOR), **data[LOG_MARGINAL_CURVE]),
                  row=1, col=2)
    fig.add_trace(go.Scatter(name=LOWER_BOUND_CURVE, mode="lines+markers",
                             line=dict(color=LOWER_BOUND_COLOR), **data[LOWER_BOUND_CURVE]),
                  row=1, col=2)
    fig.add_trace(go.Scatter(y=[ceiling, ceiling], name=CEILING_LINE, mode="lines",
                             line=dict(color="grey", dash="dash"), **data[CEILING_LINE]),
                  row=1, col=2)
    fig.update_xaxes(title_text="step (encoder and decoder steps counted separately)",
                     row=1, col=2)
    _bar_axes(fig, terms, row=1, col=1)
    fig.update_yaxes(title_text="nats", row=1, col=2)
    fig.update_layout(barmode="overlay", height=height, width=width, template="plotly_white",
                      title=dict(text=bound_summary(terms), font=dict(size=12), y=0.97),
                      legend=dict(orientation="h", y=-0.3), margin=dict(t=120, b=40))
    return fig


def climb_figure(climb: BoundAscent) -> go.Figure:
    """:func:`ascent_figure` of a climb as it stands: its current split and every step."""
    return ascent_figure(climb.terms(), steps=climb.steps, log_marginal=climb.log_marginal_trace,
                         lower_bound=climb.lower_bound_trace, ceiling=climb.ceiling)


def fit_trace_name(start: float) -> str:
    """The name of the best Gaussian q found from ``start``, e.g. 'best q from -0.5'."""
    return f"best q from {start:+.1f}"


def nonlinear_title(view: NonlinearGapView) -> str:
    """The figure's title: x, log p(x) by quadrature, and the gap each fitted q leaves."""
    gaps = ", ".join(f"from {fit.start:+.1f}: {fit.fit.gap:.3f}" for fit in view.fits)
    return (f"x = {view.x:g}: log p(x) = {view.log_marginal:.3f}; "
            f"gap KL(q‖p(z|x)) of the best q {gaps}")


def nonlinear_updates(view: NonlinearGapView) -> dict[str, dict]:
    """The data of :func:`nonlinear_posterior_figure` that follows x, by trace name."""
    z = view.z
    return {OBSERVED_X: dict(x=[float(z[0]), float(z[-1])], y=[view.x, view.x]),
            NUMERICAL_POSTERIOR: dict(y=view.posterior_density),
            **{fit_trace_name(fit.start): dict(y=fit.density) for fit in view.fits}}


def nonlinear_posterior_figure(view: NonlinearGapView, *, height: int = 420) -> go.Figure:
    """Left: the decoder's mean g(z) and the observed x. Right: the numerical posterior
    p(z|x) and each fitted Gaussian q; the title gives log p(x) and each q's gap.

    Traces (by name): DECODER_CURVE, OBSERVED_X, NUMERICAL_POSTERIOR, and
    fit_trace_name(start) for each fitted q.
    """
    data = nonlinear_updates(view)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("decoder mean g(z), observed x",
                                        "p(z|x) and the best Gaussian q's"))
    fig.add_trace(go.Scatter(x=view.z, y=view.decoder_mean, name=DECODER_CURVE,
                             line=dict(color="black")), row=1, col=1)
    fig.add_trace(go.Scatter(name=OBSERVED_X, mode="lines",
                             line=dict(color=GAP_COLOR, dash="dash"), **data[OBSERVED_X]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=view.z, name=NUMERICAL_POSTERIOR,
                             line=dict(color=POSTERIOR_COLOR, width=3),
                             **data[NUMERICAL_POSTERIOR]), row=1, col=2)
    for fit in view.fits:
        name = fit_trace_name(fit.start)
        fig.add_trace(go.Scatter(x=view.z, name=name, line=dict(width=2, dash="dot"), **data[name]),
                      row=1, col=2)
    fig.update_xaxes(title_text="z", range=[-4, 4])
    fig.update_yaxes(title_text="x", row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=2)
    fig.update_layout(height=height, template="plotly_white",
                      title=dict(text=nonlinear_title(view), font=dict(size=12), y=0.97),
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=90, b=40))
    return fig


def importance_weights_figure(
    bin_centres: np.ndarray,
    *,
    shares: np.ndarray,
    ks: Sequence[int],
    ess: Sequence[float],
    mean_estimates: Sequence[float],
    elbo: float,
    best_estimate: float,
    selected_k: int,
    selected_ess: float,
    selected_estimate: float,
    estimate_range: tuple[float, float] | None = None,
    height: int = 440,
    width: int = 1100,
) -> go.Figure:
    """One digit's importance weights as K grows, in three panels.

    Left: the histogram of the first K draws' normalised weights w_i / sum w, in log10
    (``shares``: the share of the K draws in each bin of ``bin_centres``; the axis is
    fixed to [0, 1], so pages that swap states without a kernel show every bar whole).
    Middle: the effective sample size (sum w)^2 / sum w^2 of the first K draws against K,
    beside ESS = K. Right: the K-sample estimate log (1/K) sum w of the first K draws (the
    marker), the same estimate averaged over disjoint groups of K draws (its expectation is
    the IWAE bound, Burda et al. 2016) against K, the ELBO and the estimate from every
    draw; ``estimate_range`` (low, high), if given, fixes that panel's axis to cover every
    state.

    Traces (by name): WEIGHTS_HISTOGRAM, EQUAL_WEIGHT_LINE, ESS_CURVE, ESS_LIMIT, ESS_MARKER,
    ESTIMATE_CURVE, ELBO_LINE, BEST_ESTIMATE_LINE, ESTIMATE_MARKER.
    """
    ks = [int(k) for k in ks]
    if selected_k not in ks:
        raise ValueError(f"selected_k must be one of {ks}, got {selected_k!r}")
    centres = np.asarray(bin_centres, dtype=float)
    data = importance_updates(selected_k, shares=shares, ess=selected_ess,
                              estimate=selected_estimate)
    fig = make_subplots(rows=1, cols=3, column_widths=[0.36, 0.3, 0.34], horizontal_spacing=0.09,
                        subplot_titles=("normalised weights of draws 1..K",
                                        "effective sample size",
                                        "estimate of log p(x) (nats)"))
    width_of_bin = float(centres[1] - centres[0]) if centres.size > 1 else 0.5
    fig.add_trace(go.Bar(x=centres, width=width_of_bin * 0.9,
                         name=WEIGHTS_HISTOGRAM, marker_color=LOWER_BOUND_COLOR,
                         hovertemplate="10^%{x:.2f}: %{y:.1%} of the draws<extra></extra>",
                         **data[WEIGHTS_HISTOGRAM]), row=1, col=1)
    fig.add_trace(go.Scatter(**data[EQUAL_WEIGHT_LINE], name=EQUAL_WEIGHT_LINE, mode="lines",
                             line=dict(color="grey", dash="dash")), row=1, col=1)
    fig.add_trace(go.Scatter(x=ks, y=list(ess), name=ESS_CURVE, mode="lines+markers",
                             line=dict(color=LOWER_BOUND_COLOR)), row=1, col=2)
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[ks[0], ks[-1]], name=ESS_LIMIT, mode="lines",
                             line=dict(color="grey", dash="dash")), row=1, col=2)
    fig.add_trace(go.Scatter(**data[ESS_MARKER], name=ESS_MARKER, mode="markers",
                             marker=dict(size=14, color=GAP_COLOR), showlegend=False),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=list(mean_estimates), name=ESTIMATE_CURVE,
                             mode="lines+markers", line=dict(color=LOG_MARGINAL_COLOR)),
                  row=1, col=3)
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[elbo, elbo], name=ELBO_LINE, mode="lines",
                             line=dict(color=LOWER_BOUND_COLOR, dash="dash")), row=1, col=3)
    fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[best_estimate, best_estimate],
                             name=BEST_ESTIMATE_LINE, mode="lines",
                             line=dict(color=LOG_MARGINAL_COLOR, dash="dot")), row=1, col=3)
    fig.add_trace(go.Scatter(**data[ESTIMATE_MARKER], name=ESTIMATE_MARKER,
                             mode="markers", marker=dict(size=14, color=GAP_COLOR)),
                  row=1, col=3)
    fig.update_xaxes(title_text="log10 (w_i / Σ w)", range=[centres[0] - width_of_bin, 0.5],
                     row=1, col=1)
    fig.update_yaxes(title_text="share of the K draws", range=[0, 1.02], row=1, col=1)
    fig.update_xaxes(type="log", title_text="K (draws)", row=1, col=2)
    fig.update_yaxes(type="log", title_text="ESS (draws)", row=1, col=2)
    fig.update_xaxes(type="log", title_text="K (draws)", row=1, col=3)
    if estimate_range is not None:
        low, high = estimate_range
        pad = 0.08 * max(high - low, 1e-3)
        fig.update_yaxes(range=[low - pad, high + pad], row=1, col=3)
    fig.update_layout(height=height, width=width, template="plotly_white", bargap=0,
                      title=dict(text=importance_title(selected_k, estimate=selected_estimate,
                                                       ess=selected_ess, elbo=elbo,
                                                       best_estimate=best_estimate),
                                 font=dict(size=12), y=0.97),
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=110, b=40))
    return fig


def importance_updates(k: int, *, shares: np.ndarray, ess: float,
                       estimate: float) -> dict[str, dict]:
    """The data of :func:`importance_weights_figure` that follows the selected K, by trace
    name: the first K draws' histogram, the 1/K line, and the markers at K."""
    return {WEIGHTS_HISTOGRAM: dict(y=np.asarray(shares)),
            EQUAL_WEIGHT_LINE: equal_weight_line(k),
            ESS_MARKER: dict(x=[k], y=[ess]),
            ESTIMATE_MARKER: dict(x=[k], y=[estimate])}


def equal_weight_line(k: int) -> dict:
    """The vertical line at log10(1/K), across the histogram's whole height: x, y."""
    # every normalised weight is 1/K when the draws count equally
    x = -float(np.log10(k))
    return dict(x=[x, x], y=[0.0, 1.0])


def importance_title(k: int, *, estimate: float, ess: float, elbo: float,
                     best_estimate: float) -> str:
    """The numbers for the selected K: the estimate, the ELBO, the ESS."""
    return (f"draws 1..{k}: log (1/K) Σ w = {estimate:.2f} nats,  ESS = {ess:.1f} of K = {k}<br>"
            f"ELBO (mean log w) = {elbo:.2f},  estimate from every draw = {best_estimate:.2f}")
