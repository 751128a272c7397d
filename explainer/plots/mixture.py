"""Figures of densities built from Gaussians: pure builders, arrays in, ``go.Figure`` out.

Every trace is named (the constants below); widgets and tests find traces by these names
(``explainer.plots.trace``), never by position. Each ``*_updates`` function gives the data
that follows a figure's controls, by trace name: the builder draws it, the widget applies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from explainer.mixture_views import FittedMixtureViews, LatentMixtureView, LatentMixtureViews

TARGET_STYLE = dict(color="rgba(120,120,120,0.9)", width=1)
TARGET_FILL = "rgba(160,160,160,0.35)"
COMPONENT_STYLE = dict(color="rgba(31,119,180,0.75)", width=1)
SUM_STYLE = dict(color="black", width=2.5)
MODEL_STYLE = dict(color="rgb(214,39,40)", width=2, dash="dash")

# the target density, in every density figure
TARGET = "target p(x)"
# mixture_figure
COMPONENTS = "P(m) N(x; μ_m, σ_m²)"
MIXTURE_SUM = "mixture P(x)"
# fitted_mixture_figure (and fitted_errors_name)
FIT_COMPONENTS = "components"
FITTED_SUM = "fitted P(x)"
GRID_ERRORS = "built from p(x) itself"
SHOWN_K = "shown K"
# sampling_figure
WEIGHTS = "P(m)"
SHARES = "share of draws"
HISTOGRAM = "histogram of x"
DENSITY = "P(x)"
LAST_X = "last x"
# latent_mixture_figure
BAND_UPPER = "μ(z) + σ(z)"
BAND = "μ(z) ± σ(z)"
DECODER_MEAN = "μ(z)"
DRAWN_Z = "drawn z_n"
TERMS = "terms / N"
N_SAMPLE_SUM = "N-sample sum"
MODEL_DENSITY = "∫ P(z) P(x|z) dz"
# loss_curve_figure
LOSS = "−log (1/S) Σ_s N(x; μ(z_s), σ(z_s)²) per x (batch)"
ENTROPY = "entropy of p(x)"


def fitted_errors_name(n_samples: int) -> str:
    """The name of the error curve of the mixtures fitted by EM to ``n_samples`` draws."""
    return f"EM fit to {n_samples} samples"


def _density_axes(fig: go.Figure, *, row: int | None = None, col: int | None = None) -> None:
    kw = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(title_text="x", **kw)
    fig.update_yaxes(title_text="density", rangemode="tozero", **kw)


def mixture_updates(
    component_xy: tuple[np.ndarray, np.ndarray], total: np.ndarray
) -> dict[str, dict]:
    """The data of :func:`mixture_figure` that follows the mixture, by trace name."""
    return {COMPONENTS: dict(x=component_xy[0], y=component_xy[1]), MIXTURE_SUM: dict(y=total)}


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

    Traces: TARGET, COMPONENTS, MIXTURE_SUM.
    """
    data = mixture_updates(component_xy, total)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=target, name=TARGET, line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL))
    fig.add_trace(go.Scatter(name=COMPONENTS, line=COMPONENT_STYLE, connectgaps=False,
                             **data[COMPONENTS]))
    fig.add_trace(go.Scatter(x=x, name=MIXTURE_SUM, line=SUM_STYLE, **data[MIXTURE_SUM]))
    _density_axes(fig)
    fig.update_layout(title=title, height=420, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(x=0.99, xanchor="right", y=0.99))
    fig.update_xaxes(range=[float(x[0]), float(x[-1])])
    return fig


def fitted_mixture_updates(
    component_xy: tuple[np.ndarray, np.ndarray], total: np.ndarray, *, k: int, error: float
) -> dict[str, dict]:
    """The data of :func:`fitted_mixture_figure` that follows the shown K, by trace name."""
    return {FIT_COMPONENTS: dict(x=component_xy[0], y=component_xy[1]),
            FITTED_SUM: dict(y=total), SHOWN_K: dict(x=[k], y=[error])}


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

    Traces: TARGET, FIT_COMPONENTS, FITTED_SUM, fitted_errors_name(n_samples), GRID_ERRORS,
    SHOWN_K.
    """
    i = list(ks).index(k)
    data = fitted_mixture_updates(component_xy, total, k=k, error=fitted_errors[i])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=("the fit and its components", "L1 error against K"))
    fig.add_trace(go.Scatter(x=x, y=target, name=TARGET, line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL), row=1, col=1)
    fig.add_trace(go.Scatter(name=FIT_COMPONENTS, line=COMPONENT_STYLE, connectgaps=False,
                             **data[FIT_COMPONENTS]), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, name=FITTED_SUM, line=SUM_STYLE, **data[FITTED_SUM]),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=ks, y=fitted_errors, mode="lines+markers",
                             name=fitted_errors_name(n_samples), line=dict(color="black")),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=ks, y=grid_errors, mode="lines+markers",
                             name=GRID_ERRORS, line=dict(color="rgb(44,160,44)")),
                  row=1, col=2)
    fig.add_trace(go.Scatter(mode="markers", name=SHOWN_K, **data[SHOWN_K],
                             marker=dict(size=14, color="rgba(214,39,40,0.8)")), row=1, col=2)
    _density_axes(fig, row=1, col=1)
    fig.update_xaxes(range=[float(x[0]), float(x[-1])], row=1, col=1)
    fig.update_xaxes(type="log", title_text="K (components)", row=1, col=2)
    fig.update_yaxes(type="log", title_text="∫|p − P| dx", row=1, col=2)
    fig.update_layout(title=title, height=440, margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def fitted_mixture_view_figure(views: FittedMixtureViews, *, k: int) -> go.Figure:
    """:func:`fitted_mixture_figure` of the K = k fit of ``views``, with its title."""
    view = views.view(k)
    return fitted_mixture_figure(
        views.x, views.target_pdf, view.components, view.total, ks=np.array(views.fits.ks),
        fitted_errors=views.fits.errors_, grid_errors=views.grid_errors, k=k,
        n_samples=views.fits.n_samples, title=views.title(k))


def sampling_updates(
    frequencies: np.ndarray, histogram: np.ndarray, *, last_x: float | None
) -> dict[str, dict]:
    """The data of :func:`sampling_figure` that follows the number of draws, by trace name."""
    lx = [] if last_x is None else [last_x]
    return {SHARES: dict(y=frequencies), HISTOGRAM: dict(y=histogram),
            LAST_X: dict(x=lx, y=[0.0] * len(lx))}


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

    Traces: WEIGHTS, SHARES, HISTOGRAM, DENSITY, LAST_X.
    """
    data = sampling_updates(frequencies, histogram, last_x=last_x)
    m = np.arange(1, len(weights) + 1)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.3, 0.7],
                        subplot_titles=("1. draw m ~ P(m)", "2. draw x ~ N(μ_m, σ_m²)"))
    fig.add_trace(go.Bar(x=m, y=weights, name=WEIGHTS, marker_color="rgba(31,119,180,0.6)"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=m, mode="markers", name=SHARES, **data[SHARES],
                             marker=dict(color="black", size=9, symbol="line-ew-open",
                                         line=dict(width=3))), row=1, col=1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    fig.add_trace(go.Bar(x=centres, width=float(edges[1] - edges[0]), name=HISTOGRAM,
                         marker_color="rgba(31,119,180,0.45)", **data[HISTOGRAM]),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=x, y=density, name=DENSITY, line=SUM_STYLE), row=1, col=2)
    fig.add_trace(go.Scatter(mode="markers", name=LAST_X, **data[LAST_X],
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




def latent_mixture_updates(
    mu: np.ndarray,
    sigma: np.ndarray,
    z_drawn: np.ndarray,
    mu_drawn: np.ndarray,
    terms_xy: tuple[np.ndarray, np.ndarray],
    estimate: np.ndarray,
    model: np.ndarray,
) -> dict[str, dict]:
    """The data of :func:`latent_mixture_figure` that follows the decoder and N, by trace
    name (the z grid and the x grid stay)."""
    return {
        BAND_UPPER: dict(y=mu + sigma),
        BAND: dict(y=mu - sigma),
        DECODER_MEAN: dict(y=mu),
        DRAWN_Z: dict(x=z_drawn, y=mu_drawn),
        TERMS: dict(x=terms_xy[0], y=terms_xy[1]),
        N_SAMPLE_SUM: dict(y=estimate),
        MODEL_DENSITY: dict(y=model),
    }


# the traces of latent_mixture_figure that follow the decoder only, not N
DECODER_TRACES = (BAND_UPPER, BAND, DECODER_MEAN, MODEL_DENSITY)


def latent_mixture_view_updates(views: LatentMixtureViews,
                                view: LatentMixtureView) -> dict[str, dict]:
    """:func:`latent_mixture_updates` of one view of ``views``."""
    d, n = view.decoder, view.n
    return latent_mixture_updates(d.mu_z, d.sigma_z, views.z_drawn[:n], d.mu_drawn[:n],
                                  view.terms, view.estimate, d.model)


def latent_mixture_view_figure(views: LatentMixtureViews, view: LatentMixtureView, *,
                               title: str = "") -> go.Figure:
    """:func:`latent_mixture_figure` of one view of ``views``."""
    d, n = view.decoder, view.n
    return latent_mixture_figure(views.z, d.mu_z, d.sigma_z, views.z_drawn[:n], d.mu_drawn[:n],
                                 views.x, view.terms, view.estimate, d.model, views.target_pdf,
                                 title=title)


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

    Traces: BAND_UPPER, BAND (filled down from the upper edge), DECODER_MEAN, DRAWN_Z,
    TARGET, TERMS, N_SAMPLE_SUM, MODEL_DENSITY.
    """
    data = latent_mixture_updates(mu, sigma, z_drawn, mu_drawn, terms_xy, estimate, model)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.38, 0.62],
                        subplot_titles=("decoder: z → μ(z) ± σ(z)",
                                        "P(x) ≈ (1/N) Σ N(x; μ(z_n), σ(z_n)²)"))
    band = dict(color="rgba(31,119,180,0)")
    # the band's lower edge fills up to the upper edge, the trace before it
    fig.add_trace(go.Scatter(x=z, name=BAND_UPPER, line=band, showlegend=False,
                             hoverinfo="skip", **data[BAND_UPPER]), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, name=BAND, line=band, fill="tonexty",
                             fillcolor="rgba(31,119,180,0.25)", **data[BAND]), row=1, col=1)
    fig.add_trace(go.Scatter(x=z, name=DECODER_MEAN, line=dict(color="rgb(31,119,180)"),
                             **data[DECODER_MEAN]), row=1, col=1)
    fig.add_trace(go.Scatter(mode="markers", name=DRAWN_Z, **data[DRAWN_Z],
                             marker=dict(color="black", size=5, opacity=0.6)), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=target, name=TARGET, line=TARGET_STYLE,
                             fill="tozeroy", fillcolor=TARGET_FILL), row=1, col=2)
    fig.add_trace(go.Scatter(name=TERMS, line=COMPONENT_STYLE, connectgaps=False,
                             **data[TERMS]), row=1, col=2)
    fig.add_trace(go.Scatter(x=x, name=N_SAMPLE_SUM, line=SUM_STYLE, **data[N_SAMPLE_SUM]),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=x, name=MODEL_DENSITY, line=MODEL_STYLE, **data[MODEL_DENSITY]),
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

    Traces: LOSS, ENTROPY.
    """
    steps = np.arange(1, len(losses) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=losses, name=LOSS, line=dict(color="black", width=1)))
    fig.add_trace(go.Scatter(x=[1, len(losses)], y=[entropy, entropy], name=ENTROPY,
                             line=dict(color="rgb(44,160,44)", dash="dash")))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="nats per x", range=[entropy - 0.2, entropy + 1.0])
    fig.update_layout(title=title, height=360, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(orientation="h", y=-0.3))
    return fig
