"""The publish layer inside a running kernel.

``activate(png=..., frames=...)`` changes what displays carry from then on, and nothing
else: with ``png``, every plotly figure shown through plotly's mimetype renderer and every
:class:`~explainer.widgets.base.Explainer` also carry a compact PNG (for GitHub and
nbviewer); with ``frames``, every Explainer also carries its precomputed states under
:data:`FRAMES_MIMETYPE` (for the pages of ``explainer.publish.export``).

Nobody calls it in a notebook: :func:`explainer.publish.execute.run_notebook` runs
:func:`activation_code` in the fresh kernel before the first cell, unrecorded, so the
stored notebook and its execution counts are those of a plain run.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

import plotly.io as pio
from plotly.io.base_renderers import PlotlyRenderer
from plotly.utils import PlotlyJSONEncoder

from explainer.publish.png import figure_png, figures_png, use_browser
from explainer.publish.snapshot import exported_states
from explainer.widgets.base import Explainer

FRAMES_MIMETYPE = "application/vnd.vae-explainer.frames+json"
# the renderer that explainer.renderers.use_notebook_renderer makes the default
MIMETYPE_RENDERER = "plotly_mimetype"


class MimetypeAndPngRenderer(PlotlyRenderer):
    """plotly's mimetype renderer (the figure's JSON, for JupyterLab and Voila) plus a
    compact PNG of the figure (for GitHub and nbviewer)."""

    def to_mimebundle(self, fig_dict: dict) -> dict:
        bundle = super().to_mimebundle(fig_dict)
        bundle["image/png"] = base64.b64encode(figure_png(fig_dict)).decode()
        return bundle


def activation_code(*, png: bool, frames: bool) -> str:
    """The code a kernel runs to :func:`activate` the publish layer."""
    return (f"from explainer.publish.kernel import activate\n"
            f"activate(png={bool(png)!r}, frames={bool(frames)!r})")


def activate(*, png: bool = False, frames: bool = False, shell: Any = None) -> None:
    """From now on, displays in ``shell`` (the running IPython) carry a PNG (``png``)
    and, for Explainers, their precomputed states (``frames``)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        raise RuntimeError("activate needs a running IPython kernel")
    if png:
        use_browser()
        config = pio.renderers[MIMETYPE_RENDERER].config
        pio.renderers[MIMETYPE_RENDERER] = MimetypeAndPngRenderer(config=config)
        pio.renderers.default = pio.renderers.default  # a default naming it picks up the new one
    # a printer registered for a type comes before the type's own _ipython_display_
    shell.display_formatter.ipython_display_formatter.for_type(
        Explainer, functools.partial(display_explainer, png=png, frames=frames))


def explainer_bundle(explainer: Explainer, *, png: bool, frames: bool) -> dict[str, Any]:
    """What ``explainer`` displays (its widget view and text stand-in), plus a PNG of its
    figures (``png``) and its precomputed states (``frames``)."""
    bundle = dict(explainer._repr_mimebundle_())
    if png:  # drawn first: measuring the states moves every control and puts it back
        bundle["image/png"] = base64.b64encode(figures_png(explainer.figures())).decode()
    if frames:
        # through plotly's encoder: numpy scalars and arrays become plain JSON
        bundle[FRAMES_MIMETYPE] = json.loads(json.dumps(page_states(explainer),
                                                        cls=PlotlyJSONEncoder))
    return bundle


def page_states(explainer: Explainer) -> dict[str, Any]:
    """:func:`~explainer.publish.snapshot.exported_states` plus the figures the page runs
    itself (``"live"``: ``Explainer.live_figures``, models inlined); the controls those make
    work leave the list of controls that need a kernel. A failure to pack the models is
    reported as the states' ``"error"`` (the page shows it, the export reports it)."""
    states = exported_states(explainer)
    try:
        live = [figure.to_dict() for figure in explainer.live_figures()]
    except Exception as err:  # reported, never hidden: see above
        live = []
        states["error"] = "; ".join(filter(None, [states.get("error"), "the models in the page: "
                                                  f"{type(err).__name__}: {err}"]))
    served = {name for figure in live for name in figure["controls"]}
    states["kernel_controls"] = [k for k in states["kernel_controls"] if k not in served]
    states["live"] = live
    return states


def display_explainer(explainer: Explainer, *, png: bool, frames: bool) -> None:
    """Show ``explainer`` with :func:`explainer_bundle` (as display data, as it shows itself)."""
    from IPython.display import display

    display(explainer_bundle(explainer, png=png, frames=frames), raw=True)
