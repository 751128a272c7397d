"""Standalone HTML pages of the lecture notebooks, for reading with no kernel and offline.

Usage: ``python -m explainer.export [--out DIR] [--jobs N] [NOTEBOOK ...]``
(default: every ``notebooks/NN_*.ipynb`` into ``build/html/``; ``make html`` runs it).

Each notebook is executed on a fresh kernel with ``VAE_EXPLAINER_EXPORT_FRAMES=1``: every
Explainer it displays then measures its exported controls over their grids and adds the
states to its output (``explainer.frames``). The page holds:

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
import html
import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import mistune
import nbformat
from latex2mathml.converter import convert as latex_to_mathml
from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from explainer.plots import static
from explainer.widgets.base import EXPORT_ENV_VAR, EXPORT_MIMETYPE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "html"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
KERNEL_NOTE = "a running kernel (open the notebook in JupyterLab)"
# plotly's own configuration for every figure in a page
PLOT_CONFIG = {"displaylogo": False, "responsive": False}


# --------------------------------------------------------------------------- markdown
@dataclass
class MarkdownRenderer:
    """Markdown to HTML with ``$...$`` and ``$$...$$`` as MathML; failures collected."""

    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._md = mistune.create_markdown(escape=False, plugins=["math", "table", "strikethrough"])
        self._md.renderer.register("block_math", lambda _r, text: self.math(text, display=True))
        self._md.renderer.register("inline_math", lambda _r, text: self.math(text, display=False))
        # headings carry JupyterLab's anchor (their text, spaces as dashes), so that a
        # link such as 00_index.ipynb#References lands on its heading in the page too
        self._md.renderer.heading = heading_with_anchor

    def math(self, latex: str, *, display: bool) -> str:
        """One equation as MathML; on failure its source, visibly marked."""
        try:
            mathml = latex_to_mathml(latex.strip(), display="block" if display else "inline")
        except Exception as err:  # latex2mathml raises many kinds; each is reported
            self.failures.append(f"{latex!r}: {type(err).__name__}: {err}")
            delim = "$$" if display else "$"
            return (f'<code class="math-failed" title="equation not converted">'
                    f"{html.escape(delim + latex + delim)}</code>")
        return f'<div class="math">{mathml}</div>' if display else mathml

    def __call__(self, text: str) -> str:
        return link_pages(self._md(text))


def heading_with_anchor(text: str, level: int, **_attrs: object) -> str:
    """``<hN id=...>``: the id JupyterLab gives a heading (its text, spaces as dashes)."""
    anchor = re.sub(r"\s+", "-", html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
    return f'<h{level} id="{html.escape(anchor, quote=True)}">{text}</h{level}>\n'


def link_pages(fragment: str) -> str:
    """Relative links to ``*.ipynb`` point at the exported ``*.html`` pages instead."""
    return re.sub(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:)([^"#]*?)\.ipynb(#[^"]*)?"',
                  lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', fragment)


def notebook_equations(nb: nbformat.NotebookNode) -> list[tuple[str, bool]]:
    """Every equation in ``nb``'s markdown cells, as (LaTeX, display?)."""
    found: list[tuple[str, bool]] = []
    md = mistune.create_markdown(escape=False, plugins=["math", "table", "strikethrough"])
    md.renderer.register("block_math", lambda _r, t: found.append((t, True)) or "")
    md.renderer.register("inline_math", lambda _r, t: found.append((t, False)) or "")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            md(cell.source)
    return found


# --------------------------------------------------------------------------- outputs
def script_json(obj: object) -> str:
    """JSON safe inside a ``<script>`` element (no ``</`` can close it early)."""
    return json.dumps(obj, cls=PlotlyJSONEncoder, separators=(",", ":")).replace("</", "<\\/")


@dataclass
class PageBuilder:
    """Collects one page's body; figures become numbered ``div``s with their JSON."""

    markdown: MarkdownRenderer = field(default_factory=MarkdownRenderer)
    parts: list[str] = field(default_factory=list)
    n_figures: int = 0
    n_explainers: int = 0
    errors: list[str] = field(default_factory=list)

    def figure(self, figure: dict, *, groups: Sequence[dict] = ()) -> str:
        i = self.n_figures
        self.n_figures += 1
        spec = {"figure": figure, "groups": list(groups)}
        return (f'<div class="plot" id="plot-{i}"></div>\n'
                f'<script type="application/json" class="plot-spec" data-target="plot-{i}">'
                f"{script_json(spec)}</script>")

    def explainer(self, exported: dict) -> str:
        self.n_explainers += 1
        out = []
        if "error" in exported:
            self.errors.append(f"{exported['type']}: {exported['error']}")
            out.append(f'<p class="note error">The states of this figure could not be '
                       f"precomputed ({html.escape(exported['error'])}); it is shown as it "
                       "first appears.</p>")
        for fig in exported["figures"]:
            out.append(self.figure(fig["figure"], groups=fig["groups"]))
            for group in fig["groups"]:
                if not group["product"]:
                    names = [fig["figure"]["layout"]["sliders"][s]["name"].rstrip(" =:")
                             for s in group["sliders"]]
                    out.append(f'<p class="note">Here the sliders {html.escape(", ".join(names))} '
                               "move one at a time (the others go back to their starting "
                               "values); in JupyterLab they combine.</p>")
        kernel = exported["kernel_controls"]
        if kernel:
            listed = ", ".join(html.escape(k) for k in kernel)
            what = "this control needs" if len(kernel) == 1 else "these controls need"
            out.append(f'<p class="note kernel">Not live in this page: {listed}. '
                       f"{what.capitalize()} {KERNEL_NOTE}.</p>")
        return "\n".join(out)

    def output(self, out: nbformat.NotebookNode) -> str:
        kind = out.output_type
        if kind == "stream":
            return f'<pre class="stream {out.name}">{html.escape(out.text)}</pre>'
        if kind == "error":
            return f'<pre class="error">{html.escape(out.ename)}: {html.escape(out.evalue)}</pre>'
        data = out.get("data", {})
        if EXPORT_MIMETYPE in data:
            return self.explainer(data[EXPORT_MIMETYPE])
        if PLOTLY_MIMETYPE in data:
            return self.figure(dict(data[PLOTLY_MIMETYPE]))
        if WIDGET_MIMETYPE in data:
            return ""  # a widget that is no Explainer (a progress bar): nothing to show
        if "text/html" in data:
            return f'<div class="html-output">{data["text/html"]}</div>'
        if "text/markdown" in data:  # a folded answer (explainer.questions.Answer)
            return f'<div class="markdown-output">{self.markdown(data["text/markdown"])}</div>'
        if "image/png" in data:
            return f'<img class="png" src="data:image/png;base64,{data["image/png"]}">'
        if "text/plain" in data:
            return f'<pre class="result">{html.escape(data["text/plain"])}</pre>'
        return ""

    def cell(self, cell: nbformat.NotebookNode) -> None:
        if cell.cell_type == "markdown":
            self.parts.append(f'<section class="markdown">{self.markdown(cell.source)}</section>')
        elif cell.cell_type == "code" and cell.source.strip():
            outputs = "\n".join(filter(None, (self.output(o) for o in cell.get("outputs", []))))
            self.parts.append(
                '<section class="code-cell"><details class="source"><summary>code</summary>'
                f"<pre><code>{html.escape(cell.source)}</code></pre></details>"
                f'<div class="outputs">{outputs}</div></section>')


# --------------------------------------------------------------------------- the page
PAGE_STYLE = """
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1240px; margin: 0 auto; padding: 1.5em 2em 4em; }
section.markdown { max-width: 52em; }
section.markdown img { max-width: 100%; }
div.markdown-output { max-width: 52em; }
div.markdown-output details { border-left: 3px solid #4c78a8; padding: 0.2em 0.8em; background: #f4f7fb; }
div.markdown-output summary { cursor: pointer; font-weight: 600; color: #2f5d8a; }
h1, h2, h3 { line-height: 1.25; }
div.math { overflow-x: auto; overflow-y: hidden; padding: 0.3em 0; margin: 0.5em 0; }
math { font-size: 1.1em; }
code.math-failed { background: #fde7e7; color: #a00; border: 1px solid #d88; }
details.source summary { cursor: pointer; color: #777; font-size: 13px; }
details.source pre { background: #f6f8fa; padding: 0.6em 0.8em; overflow-x: auto; font-size: 13px; }
pre.stream, pre.result { font-size: 13px; background: #fafafa; border-left: 3px solid #ddd;
       padding: 0.4em 0.8em; overflow-x: auto; white-space: pre-wrap; }
pre.stderr, pre.error { border-left-color: #d88; }
div.plot { margin: 0.5em 0; }
p.note { font-size: 14px; color: #555; background: #f4f6fb; border-left: 3px solid #8aa4d6;
       padding: 0.4em 0.8em; }
p.note.kernel { background: #fff8e6; border-left-color: #e0b040; }
p.note.error { background: #fde7e7; border-left-color: #d88; }
header.export { font-size: 13px; color: #777; border-bottom: 1px solid #eee; margin-bottom: 1em; }
"""

# Draws every figure from its JSON, adds its frames, and drives the sliders of groups of
# several controls (a group of one is plain plotly: each step animates its own frame).
PAGE_SCRIPT = """
(function () {
  var OPTS = {mode: "immediate", frame: {duration: 0, redraw: true}, transition: {duration: 0}};
  function activeOf(gd, s, fallback) {
    var a = gd.layout.sliders[s].active;
    return a === undefined ? fallback : a;
  }
  function drive(gd, groups) {
    if (!groups.length) return;
    var resetting = false;
    gd.on("plotly_sliderchange", function (ev) {
      if (resetting) return;
      var moved = gd._fullLayout.sliders.indexOf(ev.slider);
      if (moved < 0 && ev.slider) moved = ev.slider._index;
      groups.forEach(function (g) {
        var pos = g.sliders.indexOf(moved);
        if (pos < 0) return;
        var reset = {}, combo = g.sliders.map(function (s, k) {
          if (k === pos) return activeOf(gd, s, g.defaults[k]);
          if (g.product) return activeOf(gd, s, g.defaults[k]);
          if (activeOf(gd, s, g.defaults[k]) !== g.defaults[k]) reset["sliders[" + s + "].active"] = g.defaults[k];
          return g.defaults[k];
        });
        var name = "g" + g.id + ":" + combo.join("-");
        var go = function () { return Plotly.animate(gd, [name], OPTS); };
        if (Object.keys(reset).length) {
          resetting = true;
          Plotly.relayout(gd, reset).then(function () { resetting = false; return go(); });
        } else { go(); }
      });
    });
  }
  document.querySelectorAll("script.plot-spec").forEach(function (el) {
    var spec = JSON.parse(el.textContent);
    var gd = document.getElementById(el.dataset.target);
    var fig = spec.figure;
    Plotly.newPlot(gd, fig.data, fig.layout, PLOT_CONFIG).then(function () {
      return fig.frames && fig.frames.length ? Plotly.addFrames(gd, fig.frames) : null;
    }).then(function () { drive(gd, spec.groups || []); gd.dataset.ready = "1"; });
  });
})();
"""


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`$]", "", m.group(1)).strip()
    return fallback


def render_page(nb: nbformat.NotebookNode, *, name: str,
                plotly_js: str | None = None) -> tuple[str, list[str]]:
    """One executed notebook as a standalone HTML page; also what failed: equations that
    did not convert and widgets whose states could not be precomputed."""
    builder = PageBuilder()
    for cell in nb.cells:
        builder.cell(cell)
    title = notebook_title(nb, name)
    plotly_js = get_plotlyjs() if plotly_js is None else plotly_js
    script = PAGE_SCRIPT.replace("PLOT_CONFIG", json.dumps(PLOT_CONFIG))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{PAGE_STYLE}</style>
<script>{plotly_js}</script>
</head><body>
<header class="export">{html.escape(name)}.ipynb, exported for reading without a kernel: the
figures' sliders work from precomputed states; controls that need Python say so.</header>
{chr(10).join(builder.parts)}
<script>{script}</script>
</body></html>
"""
    return page, [*builder.markdown.failures, *builder.errors]


# --------------------------------------------------------------------------- running
def run_notebook(path: Path, *, env: Mapping[str, str], timeout: int = 900) -> nbformat.NotebookNode:
    """``path`` executed top to bottom on a fresh kernel whose environment is ``env`` (the
    file itself is not touched); shared by ``make html`` and ``tools/execute_notebooks.py``."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=dict(env))
    return nb


def execute_notebook(path: Path, *, timeout: int = 900,
                     env: Mapping[str, str] | None = None) -> nbformat.NotebookNode:
    """``path`` executed on a fresh kernel with the exported states turned on and no PNGs.
    ``env``: extra environment variables for the kernel."""
    base = {k: v for k, v in os.environ.items() if k != static.ENV_VAR}
    return run_notebook(path, env={**base, **(env or {}), EXPORT_ENV_VAR: "1"}, timeout=timeout)


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
    """Execute ``path`` and write ``out_dir/<name>.html``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be a notebook file, got {str(path)!r}")
    start = time.perf_counter()
    nb = execute_notebook(path, env=env)
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


def default_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be exported (one line), or None if it is a readable notebook."""
    if not path.exists():
        return f"notebook {path} does not exist"
    if path.is_dir():
        return f"notebook {path} is a folder, not a notebook file"
    if path.suffix != ".ipynb":
        return f"notebook {path} is not a .ipynb file"
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
    paths = list(args.notebooks) or default_notebooks()
    if not paths:
        parser.error(f"no notebooks given, and none found in {NOTEBOOKS}")
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
    parser = argparse.ArgumentParser(prog="python -m explainer.export", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pages")
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
    print(f"{len(pages)} pages, {total / 1e6:.1f} MB in all, in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
