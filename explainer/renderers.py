"""How a notebook shows its static figures (``fig.show()``).

In JupyterLab, and in the stored notebooks, as plotly's JSON mimetype, drawn by JupyterLab's
plotly extension: the ``notebook`` renderer would inline ~4.8 MB of plotly.js, with a random
div id, into every output, where the mimetype stores only the figure's data.

In lecture mode (``VAE_EXPLAINER_LECTURE=1``, set by ``tools/present.py`` for Voila and so
for its kernels) as a :class:`~explainer.widgets.figure.SharedFigureWidget`, drawn by the one
plotly.js the page loads for its interactive figures; Voila then does not load the plotly
extension at all, which cost every page 4.8 MB of JavaScript to run and a PNG snapshot of
each static figure.
"""

from __future__ import annotations

import os

import plotly.io as pio

# "1" in lecture mode
LECTURE_MODE = "VAE_EXPLAINER_LECTURE"


def lecture_mode() -> bool:
    """Whether this kernel runs in lecture mode (``VAE_EXPLAINER_LECTURE``: 1, 0 or unset)."""
    value = os.environ.get(LECTURE_MODE, "")
    if value not in ("", "0", "1"):
        raise ValueError(f"the environment variable {LECTURE_MODE} must be 1 (lecture mode), "
                         f"0 or unset, got {value!r}")
    return value == "1"


def use_notebook_renderer() -> None:
    """Show static figures as plotly's JSON mimetype, or in lecture mode as figure widgets."""
    if lecture_mode():
        from explainer.widgets.figure import use_shared_figures  # widgets only where shown

        use_shared_figures()
    else:
        pio.renderers.default = "plotly_mimetype"
