"""Figures of latent traversals: rows = code dimensions, columns = the value that dimension
takes, each cell the decoded digit; every row marked with its KL and active or inactive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explainer.plots.images import png_data_uri, tile_images
from explainer.traversals import Traversal

SIDE = 28
PAD = 2
STEP = SIDE + PAD
# trace names of traversal_figure (widgets and tests find the traces by them)
TRAVERSAL = "traversal"
THIS_DIGIT = "this digit"


def grid_source(t: Traversal) -> str:
    """The traversal as one PNG (rows = dimensions, columns = values)."""
    k, n, _ = t.images.shape
    # white ink on black, white lines between the tiles (as the notebook's other digit tiles)
    return png_data_uri(tile_images(t.images.reshape(k * n, -1), n_cols=n, pad=PAD))


def row_centres(t: Traversal) -> np.ndarray:
    """The y pixel of each row's centre in :func:`grid_source`'s picture."""
    return np.arange(t.latent_dim) * STEP + SIDE / 2


def column_centres(t: Traversal) -> np.ndarray:
    """The x pixel of each column's centre in :func:`grid_source`'s picture."""
    return np.arange(len(t.values)) * STEP + SIDE / 2


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def row_labels(t: Traversal) -> list[str]:
    """One label per dimension: its number, its KL (nats), active or not, and this digit's
    own mean m_j; inactive rows in grey."""
    labels = []
    for j in range(t.latent_dim):
        state = "active" if t.stats.active[j] else "inactive"
        text = (f"dim {j + 1}: KL {_one_decimal(t.stats.kl_per_dim[j])}, {state}"
                f"<br>this digit's m = {_one_decimal(t.mean[j])}")
        colour = "#222" if t.stats.active[j] else "#999"
        labels.append(f'<span style="color:{colour}">{text}</span>')
    return labels


def traversal_title(t: Traversal) -> str:
    digit = f"test digit {t.digit}" + (f" (a {t.label})" if t.label >= 0 else "")
    return (f"beta = {t.beta:g}, {digit}: {t.stats.n_active} of {t.latent_dim} dimensions "
            f"active<br>row j: m_j set to each value from {t.values[0]:g} to {t.values[-1]:g}, "
            "the other dimensions kept at the digit's m")


def traversal_updates(t: Traversal) -> dict[str, dict]:
    """Trace data of :func:`traversal_figure`, by trace name."""
    return {
        TRAVERSAL: dict(source=grid_source(t)),
        THIS_DIGIT: dict(source=png_data_uri(tile_images(t.image[None], n_cols=1, pad=0))),
    }


def traversal_layout(t: Traversal) -> dict:
    """The layout entries of :func:`traversal_figure` that change with the traversal."""
    return {"title.text": traversal_title(t), "yaxis.ticktext": row_labels(t)}


def traversal_figure(t: Traversal) -> go.Figure:
    """The traversal grid (left; each row labelled with its dimension's KL to the prior,
    active or not, and the digit's own m_j) and the digit itself (right)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.84, 0.16], horizontal_spacing=0.04,
                        subplot_titles=("decoded, one dimension at a time (KL in nats)",
                                        "this digit"))
    data = traversal_updates(t)
    fig.add_trace(go.Image(name=TRAVERSAL, hoverinfo="skip", **data[TRAVERSAL]), row=1, col=1)
    fig.add_trace(go.Image(name=THIS_DIGIT, hoverinfo="skip", **data[THIS_DIGIT]), row=1, col=2)
    height, width = t.latent_dim * STEP - PAD, len(t.values) * STEP - PAD
    fig.update_xaxes(tickvals=column_centres(t), ticktext=[f"{v:g}" for v in t.values],
                     range=[-0.5, width - 0.5], title_text="value of m_j", showgrid=False,
                     zeroline=False, row=1, col=1)
    fig.update_yaxes(tickvals=row_centres(t), ticktext=row_labels(t), showgrid=False,
                     zeroline=False, range=[height - 0.5, -0.5], row=1, col=1)
    fig.update_xaxes(visible=False, row=1, col=2)
    fig.update_yaxes(visible=False, row=1, col=2)
    fig.update_layout(template="plotly_white", height=520, showlegend=False,
                      title=dict(text=traversal_title(t), font=dict(size=13)),
                      margin=dict(l=20, r=20, t=100, b=50))
    return fig


def comparison_figure(traversals: Sequence[Traversal]) -> go.Figure:
    """One digit's traversal grid under several VAEs side by side (e.g. beta = 0, 1, 10);
    beside each row, that model's KL for the dimension (nats), grey if inactive."""
    ts = list(traversals)
    if not ts:
        raise ValueError("traversals must hold at least one Traversal")
    fig = make_subplots(rows=1, cols=len(ts), horizontal_spacing=0.09,
                        subplot_titles=[f"beta = {t.beta:g}: {t.stats.n_active} of "
                                        f"{t.latent_dim} dimensions active" for t in ts])
    for i, t in enumerate(ts, start=1):
        fig.add_trace(go.Image(name=f"traversal, beta = {t.beta:g}", hoverinfo="skip",
                               source=grid_source(t)), row=1, col=i)
        height, width = t.latent_dim * STEP - PAD, len(t.values) * STEP - PAD
        fig.update_xaxes(tickvals=column_centres(t)[::2],
                         ticktext=[f"{v:g}" for v in t.values[::2]],
                         range=[-0.5, width - 0.5], title_text="value of m_j", showgrid=False,
                         zeroline=False, row=1, col=i)
        fig.update_yaxes(tickvals=row_centres(t),
                         ticktext=[f"dim {j + 1}" for j in range(t.latent_dim)],
                         showticklabels=i == 1, showgrid=False, zeroline=False,
                         range=[height - 0.5, -0.5], row=1, col=i)
        axes = fig.get_subplot(1, i)
        xref = axes.xaxis.plotly_name.replace("axis", "")
        yref = axes.yaxis.plotly_name.replace("axis", "")
        # beside each row (x in the panel's own width: 1 is its right edge), y in pixels
        for j, y in enumerate(row_centres(t)):
            active = bool(t.stats.active[j])
            fig.add_annotation(x=1.01, y=y, xref=f"{xref} domain", yref=yref, showarrow=False,
                               xanchor="left",
                               font=dict(size=11, color="#222" if active else "#999"),
                               text=_one_decimal(t.stats.kl_per_dim[j])
                               + ("" if active else " inactive"))
    t0 = ts[0]
    digit = f"test digit {t0.digit}" + (f" (a {t0.label})" if t0.label >= 0 else "")
    title = (f"{digit}: row j moves m_j from {t0.values[0]:g} to {t0.values[-1]:g} with the "
             "others fixed; beside each row its KL to the prior (nats, grey: an inactive unit)")
    fig.update_layout(template="plotly_white", width=1050, height=380, showlegend=False,
                      title=dict(text=title, font=dict(size=13)),
                      margin=dict(l=20, r=90, t=80, b=40))
    return fig
