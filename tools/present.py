"""Lecture mode: serve the notebooks as Voila apps (code hidden) on 127.0.0.1.

Usage: python tools/present.py [--port PORT] [--no-browser] [--no-preheat] [FOLDER]

Each page shows a notebook's text, equations and interactive figures, without code. With
preheating (the default) Voila runs every notebook in a kernel of its own when the server
starts, so a page opened during the lecture only has to draw itself; after a page takes its
kernel, Voila prepares the next one in the background. Without it, a notebook runs when its
page is requested. The template in lecture/ is Voila's lab template made to work offline
(see lecture/voila/templates/lecture/index.html.j2).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from explainer.renderers import LECTURE_MODE

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "lecture"


def voila_command(folder: Path, *, port: int, open_browser: bool = True,
                  preheat: bool = True) -> list[str]:
    """The Voila command line of lecture mode, serving ``folder`` on 127.0.0.1:``port``,
    with one preheated kernel per notebook unless ``preheat`` is False."""
    if not 1 <= port <= 65535:
        raise ValueError(f"port must be in [1, 65535], got {port}")
    # jupyterlab-plotly is left out: its renderer draws the static figures, which lecture
    # mode shows as figure widgets instead (explainer.renderers), and
    # loading it costs every page 4.8 MB of JavaScript
    cmd = [sys.executable, "-m", "voila", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--template=lecture", "--show_tracebacks=True",
           '--VoilaConfiguration.extension_denylist=["jupyterlab-plotly"]']
    if preheat:
        cmd += ["--preheat_kernel=True", "--pool_size=1"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd + [str(folder)]


def voila_environment() -> dict[str, str]:
    """Where Voila finds the lecture template (added to the Jupyter data path), and the
    lecture mode's flag for the kernels (explainer.renderers.LECTURE_MODE)."""
    paths = [str(TEMPLATES)]
    paths += [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    return {"JUPYTER_PATH": os.pathsep.join(paths), LECTURE_MODE: "1"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-preheat", action="store_true",
                        help="run a notebook only when its page is requested")
    args = parser.parse_args(argv)
    cmd = voila_command(args.folder, port=args.port, open_browser=not args.no_browser,
                        preheat=not args.no_preheat)
    print(f"Lecture mode: http://127.0.0.1:{args.port}/voila/render/00_index.ipynb (Ctrl-C stops)",
          flush=True)
    try:
        return subprocess.call(cmd, env={**os.environ, **voila_environment()})
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
