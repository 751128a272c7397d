"""Fill the model cache for every notebook, so that no learner's kernel ever trains: Binder's
``postBuild`` runs it once when the image is built, a hub's administrator once for a shared,
read-only cache (README, "Teaching a class").

Usage: python tools/fill_cache.py [--check] [NOTEBOOK ...]   (default: every notebook)

Each notebook runs top to bottom on a fresh kernel that inherits this process's environment,
so run it in the environment the learners' kernels will have: the numerics mode is part of
every cache key (``explainer.numerics``), and ``VAE_EXPLAINER_CACHE`` names the folder.
Prints, per notebook, its run time and the cache files its kernel wrote
(``explainer.cache.computed``). With ``--check`` nothing may be computed: it exits with
status 1, naming the files, if any notebook computed one (a cache that is not full, or one
filled in another mode).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explainer.publish.export import lecture_notebooks  # noqa: E402
from tools.notebook_probes import probe, run_probed  # noqa: E402

NOTEBOOKS = lecture_notebooks(ROOT / "notebooks")
COMPUTED = "from explainer import cache as _cache\n" + probe("_cache.computed()")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="names such as 04_latent_maps.ipynb")
    parser.add_argument("--check", action="store_true",
                        help="fail if any notebook computes what the cache should hold")
    args = parser.parse_args(argv)
    unknown = set(args.notebooks) - {p.name for p in NOTEBOOKS}
    if unknown:
        parser.error(f"no such notebook: {', '.join(sorted(unknown))} "
                     f"(choose from {', '.join(p.name for p in NOTEBOOKS)})")
    missed = {}
    for path in NOTEBOOKS:
        if args.notebooks and path.name not in args.notebooks:
            continue
        start = time.monotonic()
        [computed] = run_probed(path, [(None, COMPUTED)])
        print(f"{path.name}: {time.monotonic() - start:.0f} s, "
              f"{len(computed)} cache files computed", flush=True)
        if computed:
            missed[path.name] = computed
    if args.check and missed:
        for name, files in missed.items():
            print(f"{name} computed {', '.join(files)}: the cache did not hold them",
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
