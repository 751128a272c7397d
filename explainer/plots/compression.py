"""Figures for PCA against autoencoders: components, explained variance, the linear AE's
training, and reconstructions against code size. Pure: arrays in, ``go.Figure`` out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.compression import CodeSizeComparison, LinearAEState, nearest_code_size
from explainer.pca import PCA
from explainer.plots.images import image_trace, png_data_uri, tile_images
from explainer.validation import check_int

SIDE = 28
PAD = 8  # white space between component images, room for their captions
ROW_NAMES = ("test digit", "PCA", "linear AE", "deep AE")
COLOURS = {"PCA": "#1f77b4", "linear AE": "#2ca02c", "deep AE": "#d62728"}

# trace names (widgets and tests find the traces by them)
COMPONENTS = "components"
PCA_LEVEL = "PCA (the optimum)"
LINEAR_CURVE = "linear AE"
LARGEST_ANGLE = "largest angle"
ALL_ANGLES = "all k angles"
RECONSTRUCTIONS = "reconstructions"
PCA_CURVE = "PCA"
LINEAR_MARKERS = "linear AE"
DEEP_CURVE = "deep AE (784-256-k)"
K_MARKER = "k"


def components_figure(reference: PCA, *, n: int = 16, n_cols: int = 8) -> go.Figure:
    """The top ``n`` principal components as images: grey is 0, light +, dark -."""
    n = check_int("n", n, low=1, high=reference.n_components_)
    comps = reference.components_[:n].numpy()
    # each component scaled to [-1, 1] by its largest |entry|, then 0 -> grey 0.5
    scaled = 0.5 + 0.5 * comps / np.abs(comps).max(axis=1, keepdims=True)
    canvas = tile_images(scaled, n_cols=n_cols, pad=PAD, pad_value=1.0)
    fig = go.Figure(image_trace(canvas, name=COMPONENTS, hoverinfo="skip"))
    ratio = reference.explained_variance_ratio_[:n].numpy()
    for i in range(n):
        row, col = divmod(i, n_cols)
        fig.add_annotation(x=col * (SIDE + PAD) + SIDE / 2, y=row * (SIDE + PAD) - 1,
                           text=f"w{i + 1}: {ratio[i]:.1%}", showarrow=False,
                           yanchor="bottom", font=dict(size=10))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    rows = -(-n // n_cols)
    fig.update_layout(template="plotly_white", height=90 + 135 * rows,
                      margin=dict(l=10, r=10, t=60, b=10),
                      title="Top components (rows of W^T) and the share of variance each explains")
    return fig


def explained_variance_figure(reference: PCA) -> go.Figure:
    """Explained variance against k: each component's share and the running total."""
    ratio = reference.explained_variance_ratio_.numpy()
    k = np.arange(1, len(ratio) + 1)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=k, y=ratio, name="share of component k", marker_color="#9ecae1")
    # cumulative share: sum_{j<=k} lambda_j / sum_j lambda_j
    fig.add_scatter(x=k, y=np.cumsum(ratio), mode="lines+markers", marker_size=4,
                    name="share of the top k together", line_color="#08519c", secondary_y=True)
    fig.update_xaxes(title_text="code size k (number of components)")
    fig.update_yaxes(title_text="share of one component", tickformat=".0%", rangemode="tozero",
                     secondary_y=False)
    fig.update_yaxes(title_text="share of the top k", tickformat=".0%", range=[0, 1], dtick=0.2,
                     showgrid=False, secondary_y=True)
    fig.update_layout(template="plotly_white", height=360, title="Explained variance against k",
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=50, b=80))
    return fig


def linear_training_figure(states: list[LinearAEState], *, pca_error: float, k: int,
                           n_steps: int | None = None) -> go.Figure:
    """The linear AE's training error against PCA's, and its principal angles to PCA's
    top-k subspace, against gradient step (the axis runs to ``n_steps``, or the last state's)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(
        "squared error per training digit", f"angles between D and PCA's top {k}"))
    # PCA's error as a level line (fixed); the other traces follow linear_training_updates
    last = n_steps if n_steps is not None else (states[-1].step if states else 1)
    data = linear_training_updates(states)
    fig.add_scatter(x=[0, last], y=[pca_error, pca_error], mode="lines", name=PCA_LEVEL,
                    line=dict(color=COLOURS["PCA"], dash="dash"), row=1, col=1)
    fig.add_scatter(mode="lines+markers", name=LINEAR_CURVE, marker_size=4,
                    line_color=COLOURS["linear AE"], **data[LINEAR_CURVE], row=1, col=1)
    fig.add_scatter(mode="lines+markers", name=LARGEST_ANGLE, marker_size=4,
                    line_color="#ff7f0e", **data[LARGEST_ANGLE], row=1, col=2)
    fig.add_scatter(mode="lines", name=ALL_ANGLES, line=dict(color="#bbbbbb", width=1),
                    connectgaps=False, **data[ALL_ANGLES], row=1, col=2)
    fig.update_xaxes(title_text="gradient step", range=[0, last])
    top = max((s.train_error for s in states), default=pca_error)
    fig.update_yaxes(type="log", range=log_range(pca_error, top), title_text="error (log scale)",
                     row=1, col=1)
    fig.update_yaxes(title_text="degrees", range=[0, 92], row=1, col=2)
    fig.update_layout(template="plotly_white", height=380, legend=dict(orientation="h", y=-0.25),
                      margin=dict(t=60, b=90))
    return fig


def log_range(floor: float, top: float) -> list[float]:
    """A log axis range from under ``floor`` (so that a level line there stays clear of the
    axis) to just over ``top`` (log10 units)."""
    return [float(np.log10(floor * 0.8)), float(np.log10(max(top, floor) * 1.05))]


def linear_training_updates(states: list[LinearAEState]) -> dict[str, dict]:
    """Data of the three moving traces of :func:`linear_training_figure`, by trace name."""
    steps = [s.step for s in states]
    # every angle's curve, separated by gaps (None) so that one trace draws them all
    xs, ys = [], []
    n_angles = len(states[0].angles) if states else 0
    for j in range(n_angles):
        xs += steps + [None]
        ys += [float(s.angles[j]) for s in states] + [None]
    return {
        LINEAR_CURVE: dict(x=steps, y=[s.train_error for s in states]),
        LARGEST_ANGLE: dict(x=steps, y=[float(s.angles.max()) for s in states]),
        ALL_ANGLES: dict(x=xs, y=ys),
    }


def reconstruction_canvas(comparison: CodeSizeComparison, k: int) -> np.ndarray:
    """Rows: the test digits, then PCA at k, the linear and the deep AE at the nearest
    trained size, tiled into one image in [0, 1]."""
    g = nearest_code_size(k, comparison.grid)
    rows = [comparison.digits.numpy(), comparison.pca_images(k), comparison.linear_images[g],
            comparison.deep_images[g]]
    n = len(rows[0])
    return tile_images(np.concatenate(rows), n_cols=n, pad=2, pad_value=0.0)


def code_size_figure(comparison: CodeSizeComparison, *, k: int) -> go.Figure:
    """Reconstructions at code size ``k`` (left) and test error against k (right)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                        subplot_titles=("", "squared test error per digit"))
    top = float(max(comparison.pca_error.max(), comparison.deep_error.max()))
    data = code_size_updates(comparison, k, top=top)
    fig.add_trace(go.Image(name=RECONSTRUCTIONS, hoverinfo="skip", **data[RECONSTRUCTIONS]),
                  row=1, col=1)
    ks = np.arange(1, len(comparison.pca_error) + 1)
    fig.add_scatter(x=ks, y=comparison.pca_error, mode="lines", name=PCA_CURVE,
                    line_color=COLOURS["PCA"], row=1, col=2)
    fig.add_scatter(x=list(comparison.grid), y=comparison.linear_error, mode="markers",
                    name=LINEAR_MARKERS, marker=dict(color=COLOURS["linear AE"], size=11,
                                                     symbol="circle-open", line_width=2),
                    row=1, col=2)
    fig.add_scatter(x=list(comparison.grid), y=comparison.deep_error, mode="lines+markers",
                    name=DEEP_CURVE, line_color=COLOURS["deep AE"], row=1, col=2)
    fig.add_scatter(mode="lines", name=K_MARKER, line=dict(color="black", dash="dot", width=1),
                    showlegend=False, hoverinfo="skip", **data[K_MARKER], row=1, col=2)
    step = SIDE + 2
    for i, name in enumerate(ROW_NAMES):
        fig.add_annotation(x=-4, y=i * step + SIDE / 2, text=name, showarrow=False,
                           xanchor="right", font=dict(size=11), xref="x", yref="y")
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, scaleanchor="x", row=1, col=1)
    # room right of the largest k for its open marker
    fig.update_xaxes(title_text="code size k", range=[0, len(ks) + 3], row=1, col=2)
    fig.update_yaxes(range=[0, top * 1.05], row=1, col=2)
    fig.update_layout(template="plotly_white", height=420, title=code_size_title(comparison, k),
                      margin=dict(l=80, r=10, t=70, b=40),
                      legend=dict(x=1.0, xanchor="right", y=0.98, bgcolor="rgba(255,255,255,0.8)"))
    return fig


def code_size_title(comparison: CodeSizeComparison, k: int) -> str:
    g = nearest_code_size(k, comparison.grid)
    trained = f"k = {g}" + ("" if g == k else f", the trained size nearest to {k}")
    return f"PCA at k = {k}; linear and deep AE at {trained}"


def code_size_updates(comparison: CodeSizeComparison, k: int, *, top: float) -> dict[str, dict]:
    """Data of the traces of :func:`code_size_figure` that follow k (the reconstructions and
    the k marker), by trace name."""
    canvas = reconstruction_canvas(comparison, k)
    return {RECONSTRUCTIONS: dict(source=png_data_uri(canvas, invert=True)),
            K_MARKER: dict(x=[k, k], y=[0, top * 1.05])}
