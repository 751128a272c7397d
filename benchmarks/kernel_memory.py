"""Peak kernel memory per notebook, with the model cache warm: what a student's server must
hold (a JupyterHub user has about 1 GB guaranteed; mybinder.org kills a user above 2 GB).

    python benchmarks/kernel_memory.py [--burst 20] [--cells] [NOTEBOOK ...]

Each notebook runs top to bottom on a fresh kernel (nbclient, as `make lab` runs it: the
fast numerical mode, one thread where the notebook sets it), with two cells of its own put
in: after the first cell (the imports) and at the end, each reading the kernel's resident
set now and its peak so far (``getrusage``'s ``ru_maxrss``: the high-water mark, exact, with
no sampling). In 04, a burst of live retrains follows: the KL-weight slider of the latent
maps set ``--burst`` times to values off the trained grid, each waited for, as a class of
learners dragging it would, and the peak read again.

Run the notebooks once first in the same mode (e.g. `python benchmarks/page_speed.py
--lab-only`, or this script twice) so that the cache is warm; a cold cache measures training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explainer.publish.export import lecture_notebooks  # noqa: E402
from tools.notebook_probes import probe, run_probed  # noqa: E402

NOTEBOOKS = lecture_notebooks(ROOT / "notebooks")

# the kernel's resident set now and its peak so far (ru_maxrss, in KiB on Linux), in MB
READ = "import resource as _resource, os as _os\n" + probe(
    '{"rss_mb": int(open("/proc/self/statm").read().split()[1])'
    ' * _os.sysconf("SC_PAGE_SIZE") / 1e6,'
    ' "peak_mb": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6}')

# 04's latent maps (the notebook's `maps`): the KL weight moved off the trained grid, each
# value retrained live from the nearest cached model and waited for
BURST = """import itertools as _it
for _value in _it.islice(_it.cycle((0.2, 0.5, 2.0, 5.0)), {n}):
    maps.live_models.pop(("vae", _value), None)  # retrain, never answer from memory
    maps.beta.value = _value
    maps.wait_for_training()
maps.beta.value = 1.0"""


def measured(path: Path, *, burst: int, cells: bool = False) -> dict:
    """Run ``path`` with the readings put in; the readings by stage (with ``cells``, also
    after every code cell: "after cell N", numbered from 1)."""
    n_code = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
    after = list(range(1, n_code)) if cells else [1]
    probes: list[tuple[int | None, str]] = [(k, READ) for k in after] + [(None, READ)]
    if path.name.startswith("04_") and burst:
        probes += [(None, BURST.format(n=burst)), (None, READ)]
    start = time.monotonic()
    readings = run_probed(path, probes)
    seconds = time.monotonic() - start
    stages = [f"after cell {k}" for k in after] + ["after the notebook", "after the burst"]
    stages[0] = "after imports"
    return {"seconds": seconds, **dict(zip(stages, readings))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="names such as 04_latent_maps.ipynb")
    parser.add_argument("--burst", type=int, default=20,
                        help="live retrains in 04's burst (0: none)")
    parser.add_argument("--json", type=Path, help="write every reading to this file")
    parser.add_argument("--cells", action="store_true",
                        help="also read after every code cell, and print each cell's step")
    args = parser.parse_args(argv)
    paths = [p for p in NOTEBOOKS if not args.notebooks or p.name in args.notebooks]
    report = {}
    print("| notebook | after imports (peak) | end of the notebook: now, peak | "
          "after the burst: now, peak | run |\n|---|---|---|---|---|", flush=True)
    for path in paths:
        r = report[path.name] = measured(path, burst=args.burst, cells=args.cells)
        imports = r["after imports"]
        end = r["after the notebook"]
        after = r.get("after the burst")
        burst = f"{after['rss_mb']:.0f}, {after['peak_mb']:.0f} MB" if after else "-"
        print(f"| {path.name[:2]} | {imports['rss_mb']:.0f} MB ({imports['peak_mb']:.0f}) | "
              f"{end['rss_mb']:.0f}, {end['peak_mb']:.0f} MB | {burst} | "
              f"{r['seconds']:.0f} s |", flush=True)
    for name, r in report.items() if args.cells else ():
        print(f"\n{name}: after each code cell, resident set and peak so far (MB)")
        for stage, reading in r.items():
            if stage != "seconds":
                print(f"  {stage:<22}{reading['rss_mb']:6.0f} {reading['peak_mb']:6.0f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
