"""Standalone HTML pages of the lecture notebooks, for reading with no kernel and offline.

Usage: ``python -m explainer.publish.export [--notebooks DIR] [--out DIR] [--jobs N]
[NOTEBOOK ...]`` (default: every ``NN_*.ipynb`` in ``--notebooks``, ``notebooks`` in the
current folder, into ``build/html``; ``make html`` runs it). Needs the ``[export]`` extra.

Each notebook is executed on a fresh kernel with the publish layer's frames turned on
(``explainer.publish.kernel``): every Explainer it displays then measures its exported
controls over their grids and adds the states to its output. The page
(``explainer.publish.page``) holds:

- the markdown text, its equations converted from LaTeX to MathML here (Chromium and
  Firefox draw MathML natively: no MathJax, no network); an equation that fails to
  convert is shown as its LaTeX source, marked, and reported, never dropped;
- the code cells, folded under "code", and their printed output;
- every figure as a plotly figure, plotly.js inlined once per page;
- each Explainer's figure with one plotly slider per exported control (precomputed
  frames) and a note naming the controls that need a running kernel.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from explainer.publish.execute import run_notebook
from explainer.publish.extras import require
from explainer.publish.page import render_page

PROG = "python -m explainer.publish.export"
DEFAULT_NOTEBOOKS = Path("notebooks")
DEFAULT_OUT = Path("build") / "html"
# the packages a page needs, checked before any notebook runs
EXPORT_MODULES = ("mistune", "latex2mathml", "nbformat", "nbclient")


@dataclass(frozen=True)
class ExportedPage:
    notebook: str
    path: Path
    size_bytes: int
    seconds: float
    n_figures: int
    failures: tuple[str, ...]  # equations not converted, widgets not precomputed


def export_notebook(path: Path, out_dir: Path, *,
                    env: Mapping[str, str] | None = None) -> ExportedPage:
    """Execute ``path`` (its kernel's environment: this process's plus ``env``) and write
    ``out_dir/<name>.html``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be a notebook file, got {str(path)!r}")
    start = time.perf_counter()
    nb = run_notebook(path, frames=True, env={**os.environ, **(env or {})})
    page, failures = render_page(nb, name=path.stem)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.html"
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return ExportedPage(path.stem, target, target.stat().st_size, time.perf_counter() - start,
                        page.count('class="plot-spec"'), tuple(failures))


def export_notebooks(paths: Sequence[Path], out_dir: Path, *, jobs: int = 2,
                     env: Mapping[str, str] | None = None) -> list[ExportedPage]:
    """Every notebook in ``paths`` as a page in ``out_dir``, ``jobs`` kernels at a time."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    run = functools.partial(export_notebook, out_dir=Path(out_dir), env=dict(env or {}))
    if jobs == 1 or len(paths) <= 1:
        return [run(p) for p in paths]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run, paths))


def lecture_notebooks(folder: Path) -> list[Path]:
    """The lecture notebooks in ``folder`` (``NN_*.ipynb``), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be exported (one line), or None if it is a readable notebook."""
    if not path.exists():
        return f"notebook {path} does not exist"
    if path.is_dir():
        return f"notebook {path} is a folder, not a notebook file"
    if path.suffix != ".ipynb":
        return f"notebook {path} is not a .ipynb file"
    nbformat = require("nbformat")
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # nbformat raises many kinds (JSON, schema, conversion, OS)
        reason = (str(err).strip().splitlines() or [""])[0][:120]
        return f"notebook {path} does not parse as a notebook ({type(err).__name__}: {reason})"
    return None


def out_dir_problem(out: Path) -> str | None:
    """Why the pages cannot be written into ``out`` (one line), or None."""
    if out.exists():
        if not out.is_dir():
            return f"--out {out} is a file, not a folder"
        if not os.access(out, os.W_OK | os.X_OK):
            return f"--out {out} is a folder you cannot write to"
        return None
    # the nearest folder that exists must let us create the rest
    ancestor = next(p for p in out.absolute().parents if p.exists())
    if not ancestor.is_dir():
        return f"--out {out} cannot be created: {ancestor} is a file"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"--out {out} cannot be created: {ancestor} is a folder you cannot write to"
    return None


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[Path]:
    """Every argument checked before any notebook runs; a bad one ends the program with a
    one-line message and exit code 2, as argparse does."""
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    for module in EXPORT_MODULES:
        try:
            require(module)
        except ImportError as err:
            parser.error(str(err))
    paths = list(args.notebooks)
    if paths and args.notebooks_dir is not None:
        parser.error("give notebooks or --notebooks DIR, not both")
    if not paths:
        folder = DEFAULT_NOTEBOOKS if args.notebooks_dir is None else args.notebooks_dir
        if not folder.is_dir():
            parser.error(f"--notebooks {folder} is not a folder (run from the project's root, "
                         "or name the folder or the notebooks)")
        paths = lecture_notebooks(folder)
        if not paths:
            parser.error(f"no notebooks given, and no NN_*.ipynb in --notebooks {folder}")
    written: dict[str, Path] = {}
    for path in paths:
        problem = notebook_problem(path)
        if problem:
            parser.error(problem)
        if path.stem in written:
            parser.error(f"notebooks {written[path.stem]} and {path} would both be written to "
                         f"{path.stem}.html")
        written[path.stem] = path
    problem = out_dir_problem(args.out)
    if problem:
        parser.error(problem)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to export (default: NN_*.ipynb in --notebooks)")
    parser.add_argument("--notebooks", dest="notebooks_dir", type=Path, default=None,
                        metavar="DIR",
                        help=f"folder of the notebooks (default: {DEFAULT_NOTEBOOKS})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for the pages (default: {DEFAULT_OUT})")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once")
    args = parser.parse_args(argv)
    paths = check_arguments(parser, args)
    start = time.perf_counter()
    pages = export_notebooks(paths, args.out, jobs=args.jobs)
    failed = False
    for page in pages:
        print(f"{page.path}: {page.size_bytes / 1e6:.1f} MB, {page.n_figures} figures, "
              f"{page.seconds:.0f} s")
        for failure in page.failures:
            failed = True
            print(f"  not converted (shown as it is, marked): {failure}", file=sys.stderr)
    total = sum(p.size_bytes for p in pages)
    print(f"{len(pages)} pages, {total / 1e6:.1f} MB in all, "
          f"in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
