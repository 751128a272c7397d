"""The estimate of log p(x) against the number of samples K, for two proposals (the
prior and the encoder) at several code dimensions: one panel per dimension.

Pure builder: arrays in, ``go.Figure`` out. Traces are named by :func:`trace_name`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ESTIMATOR_LABELS = {"prior": "z from the prior", "encoder": "z from the encoder (importance)"}
ESTIMATOR_COLORS = {"prior": "#d62728", "encoder": "#2ca02c"}


def trace_name(estimator: str, latent_dim: int) -> str:
    """The name of one curve, e.g. 'z from the prior, 8-D code'."""
    return f"{ESTIMATOR_LABELS[estimator]}, {latent_dim}-D code"


def estimates_against_k_figure(
    ks: Sequence[int],
    *,
    latent_dims: Sequence[int],
    means: Mapping[str, np.ndarray],
    spreads: Mapping[str, np.ndarray],
    height: int = 420,
) -> go.Figure:
    """One panel per code dimension: each estimator's mean estimate (over digits and
    seeds) against K on a log axis, with error bars of one standard deviation over seeds.

    ``means[estimator]`` and ``spreads[estimator]`` have shape (len(latent_dims), len(ks)).
    """
    ks = [int(k) for k in ks]
    latent_dims = [int(d) for d in latent_dims]
    for name, table in (*means.items(), *spreads.items()):
        if name not in ESTIMATOR_LABELS:
            raise ValueError(f"estimator must be one of {list(ESTIMATOR_LABELS)}, got {name!r}")
        if np.shape(table) != (len(latent_dims), len(ks)):
            raise ValueError(f"the {name} table must have shape ({len(latent_dims)}, {len(ks)}), "
                             f"got {np.shape(table)}")
    fig = make_subplots(rows=1, cols=len(latent_dims), horizontal_spacing=0.1,
                        subplot_titles=[f"{d}-D code" for d in latent_dims])
    for col, dim in enumerate(latent_dims, start=1):
        for name in means:
            fig.add_trace(go.Scatter(
                x=ks, y=np.asarray(means[name])[col - 1].tolist(), name=trace_name(name, dim),
                mode="lines+markers", line=dict(color=ESTIMATOR_COLORS[name]),
                error_y=dict(type="data", array=np.asarray(spreads[name])[col - 1].tolist(),
                             visible=True),
                legendgroup=name, showlegend=True,
            ), row=1, col=col)
        fig.update_xaxes(type="log", title_text="K (samples per digit)", row=1, col=col)
    fig.update_yaxes(title_text="estimate of log p(x), nats (mean over digits)", row=1, col=1)
    fig.update_layout(height=height, template="plotly_white",
                      title=("log p(x) ≈ log (1/K) Σ_k w_k, "
                             "with z from the prior or from the encoder"),
                      legend=dict(orientation="h", y=-0.3))
    return fig
