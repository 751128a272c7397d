"""Re-execute notebooks top to bottom on a fresh kernel and store their outputs.

Usage: python tools/execute_notebooks.py [NOTEBOOK ...]   (default: notebooks/*.ipynb)

Outputs are kept (nbval compares them); the widget state that nbclient stores in the
notebook's metadata is dropped: each plotly FigureWidget would otherwise embed ~5 MB
of JavaScript in the file. The kernel runs with the publish layer's PNGs turned on
(``explainer.publish.kernel``): every figure and every Explainer's output also carries a
PNG (drawn by kaleido with Chromium), so the stored notebooks read on GitHub and
nbviewer. The kernels run in the reproducible numerics mode (``explainer.numerics``), as
nbval's do, so the stored outputs hold on any x86-64 machine. Prints each notebook's run
time and file size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat

from explainer.numerics import use_reproducible_mode
from explainer.publish.execute import run_notebook

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, *, timeout: int = 900) -> float:
    start = time.perf_counter()
    nb = run_notebook(path, png=True, timeout=timeout)
    seconds = time.perf_counter() - start
    strip_widget_state(nb)
    nbformat.write(nb, path)
    return seconds


def strip_widget_state(nb: nbformat.NotebookNode) -> None:
    """Drop the stored widget state (the views' outputs stay: nbval skips them)."""
    nb.metadata.pop("widgets", None)


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    use_reproducible_mode()  # for the kernels started below
    for path in paths:
        seconds = execute(path)
        size_kb = path.stat().st_size / 1024
        print(f"{path.name}: executed in {seconds:.1f} s, {size_kb:.0f} KB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
