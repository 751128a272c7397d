"""Lecture mode: serve the notebooks as Voila apps (code hidden) on 127.0.0.1.

Usage: python tools/present.py [--port PORT] [--no-browser] [FOLDER]   (default: notebooks/)

Each notebook runs in its own kernel when its page is opened; the page shows the text, the
equations and the interactive figures. The template in lecture/ is Voila's lab template
made to work offline (see lecture/voila/templates/lecture/index.html.j2).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "lecture"


def voila_command(folder: Path, *, port: int, open_browser: bool = True) -> list[str]:
    """The Voila command line of lecture mode, serving ``folder`` on 127.0.0.1:``port``."""
    if not 1 <= port <= 65535:
        raise ValueError(f"port must be in [1, 65535], got {port}")
    cmd = [sys.executable, "-m", "voila", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--template=lecture", "--show_tracebacks=True", str(folder)]
    if not open_browser:
        cmd.insert(3, "--no-browser")
    return cmd


def voila_environment() -> dict[str, str]:
    """Where Voila finds the lecture template (added to the Jupyter data path)."""
    paths = [str(TEMPLATES)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    return {"JUPYTER_PATH": os.pathsep.join(paths)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    cmd = voila_command(args.folder, port=args.port, open_browser=not args.no_browser)
    print(f"Lecture mode: http://127.0.0.1:{args.port}/voila/render/00_index.ipynb (Ctrl-C stops)",
          flush=True)
    try:
        return subprocess.call(cmd, env={**os.environ, **voila_environment()})
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
