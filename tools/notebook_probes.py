"""A notebook run top to bottom on a fresh kernel with cells of our own put in ("probes")
that print one JSON reading each: what the memory benchmark and the class route's cache
check read from inside the kernel, without touching the notebook's file."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# the start of a probe's line of output
MARK = "notebook-probe:"


def probe(expression: str) -> str:
    """A probe cell's source that prints ``expression`` (a JSON-serialisable value)."""
    return f"import json as _json\nprint({MARK!r} + _json.dumps({expression}))"


def run_probed(path: Path, probes: list[tuple[int | None, str]], *,
               timeout: int = 1800) -> list:
    """Run ``path`` with each probe's source put before its code cell number (0-based;
    None: at the end), in order; the readings, in the order they were printed."""
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    places = [(len(nb.cells) if at is None else code[at], k, source)
              for k, (at, source) in enumerate(probes)]
    for place, _k, source in sorted(places, reverse=True):
        nb.cells.insert(place, nbformat.v4.new_code_cell(source))
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return [json.loads(line.removeprefix(MARK))
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("name") == "stdout"
            for line in out.get("text", "").splitlines() if line.startswith(MARK)]
