"""One executed notebook as a standalone HTML page that works offline: the markdown with
its equations as MathML, the code folded, the printed outputs, every figure (plotly.js
inlined once) and each Explainer's figures with sliders over its precomputed states, its
text readouts following the sliders, and its state in the page's address
(``#beta=3&noise=0.3``; ``page.js``).

The page's style and script are package data (``page.css``, ``page.js``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from explainer.publish.extras import require
from explainer.publish.kernel import FRAMES_MIMETYPE
from explainer.widgets.controls import address_key
from explainer.widgets.live import live_script

if TYPE_CHECKING:  # pragma: no cover
    from nbformat import NotebookNode

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
KERNEL_NOTE = "a running kernel (open the notebook in JupyterLab)"
# plotly's own configuration for every figure in a page
PLOT_CONFIG = {"displaylogo": False, "responsive": False}
_MARKDOWN_PLUGINS = ["math", "table", "strikethrough"]


def page_asset(name: str) -> str:
    """A file of the page (``page.css``, ``page.js``) from the package's data."""
    return resources.files("explainer.publish").joinpath(name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- markdown
def latex_to_mathml(latex: str, *, display: bool) -> str:
    """One equation, LaTeX to MathML (``latex2mathml``)."""
    converter = require("latex2mathml.converter")
    return converter.convert(latex, display="block" if display else "inline")


@dataclass
class MarkdownRenderer:
    """Markdown to HTML with ``$...$`` and ``$$...$$`` as MathML; failures collected."""

    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        mistune = require("mistune")
        self._md = mistune.create_markdown(escape=False, plugins=_MARKDOWN_PLUGINS)
        self._md.renderer.register("block_math", lambda _r, text: self.math(text, display=True))
        self._md.renderer.register("inline_math", lambda _r, text: self.math(text, display=False))
        # headings carry JupyterLab's anchor (their text, spaces as dashes), so that a
        # link such as 00_index.ipynb#References lands on its heading in the page too
        self._md.renderer.heading = heading_with_anchor

    def math(self, latex: str, *, display: bool) -> str:
        """One equation as MathML; on failure its source, visibly marked."""
        try:
            mathml = latex_to_mathml(latex.strip(), display=display)
        except ImportError:
            raise
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


def notebook_equations(nb: NotebookNode) -> list[tuple[str, bool]]:
    """Every equation in ``nb``'s markdown cells, as (LaTeX, display?)."""
    found: list[tuple[str, bool]] = []
    md = require("mistune").create_markdown(escape=False, plugins=_MARKDOWN_PLUGINS)
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
    keys: set[str] = field(default_factory=set)  # the controls' keys in the page's address
    # the packed models of the page's live figures, by id (each model once per page)
    models: dict[str, dict] = field(default_factory=dict)

    def figure(self, figure: dict, *, groups: Sequence[dict] = (),
               live: Sequence[dict] = ()) -> str:
        i = self.n_figures
        self.n_figures += 1
        spec = {"figure": figure, "groups": list(groups)}
        # run in the page by explainer/widgets/live*.js (page_live.js attaches them)
        specs = [{"kind": f["kind"], "spec": f["spec"]} for f in live]
        running = ("" if not live else
                   f'\n<script type="application/json" class="live-spec" data-target="plot-{i}">'
                   f"{script_json(specs)}</script>")
        return (f'<div class="plot" id="plot-{i}"></div>\n'
                f'<script type="application/json" class="plot-spec" data-target="plot-{i}">'
                f"{script_json(spec)}</script>{running}")

    def explainer(self, exported: dict) -> str:
        """An explainer's figures with their sliders, its readouts in their places, the
        notes, and the spec ``page.js`` drives them from (``script.explainer-spec``)."""
        number = self.n_explainers
        self.n_explainers += 1
        readouts = exported.get("readouts") or {"items": [], "strings": [], "tables": []}
        out = [f'<div class="explainer" id="explainer-{number}">']
        if "error" in exported:
            self.errors.append(f"{exported['type']}: {exported['error']}")
            out.append(f'<p class="note error">The states of this figure could not be '
                       f"precomputed ({html.escape(exported['error'])}); it is shown as it "
                       "first appears.</p>")
        live = exported.get("live", [])
        for figure in live:
            self.models.update(figure["models"])
        out.append(_readouts_html(readouts["items"], after=-1))
        figures = []
        for f, fig in enumerate(exported["figures"]):
            figures.append({"target": f"plot-{self.n_figures}", "sliders": fig.get("controls", [])})
            mine = [figure for figure in live if figure["figure"] == f]
            for figure in mine:
                without_computed(fig["figure"], figure["computed"])
            out.append(self.figure(fig["figure"], groups=fig["groups"], live=mine))
            out.append(_readouts_html(readouts["items"], after=f))
            for group in fig["groups"]:
                if not group["product"]:
                    names = [fig["figure"]["layout"]["sliders"][s]["name"].rstrip(" =:")
                             for s in group["sliders"]]
                    out.append(f'<p class="note">Here the sliders {html.escape(", ".join(names))} '
                               "move one at a time (the others go back to their starting "
                               "values); in JupyterLab they combine.</p>")
        controls = exported["controls"]
        for table in readouts["tables"]:
            if not table["product"]:
                names = ", ".join(controls[i]["label"].rstrip(" =:") for i in table["controls"])
                out.append(f'<p class="note">The text here follows {html.escape(names)} one at a '
                           "time (shown with the others at their starting values); in "
                           "JupyterLab it follows them all.</p>")
        kernel = exported["kernel_controls"]
        if kernel:
            listed = ", ".join(html.escape(k) for k in kernel)
            what = "this control needs" if len(kernel) == 1 else "these controls need"
            out.append(f'<p class="note kernel">Not live in this page: {listed}. '
                       f"{what.capitalize()} {KERNEL_NOTE}.</p>")
        spec = {"id": number, "figures": figures,
                "controls": [{"key": self.page_key(c.get("key") or address_key(c["label"])),
                              "label": c["label"], "labels": c["labels"], "default": c["default"]}
                             for c in controls],
                "groups": exported.get("groups", []),
                "readouts": {"strings": readouts["strings"], "tables": readouts["tables"]}}
        out.append(f'<script type="application/json" class="explainer-spec">'
                   f"{script_json(spec)}</script>")
        out.append("</div>")
        return "\n".join(filter(None, out))

    def page_key(self, key: str) -> str:
        """``key``, or ``key-2``, ``key-3``, ... if an earlier explainer of the page took it:
        every control has its own name in the page's address."""
        candidate, n = key, 1
        while candidate in self.keys:
            n += 1
            candidate = f"{key}-{n}"
        self.keys.add(candidate)
        return candidate

    def output(self, out: NotebookNode) -> str:
        kind = out.output_type
        if kind == "stream":
            return f'<pre class="stream {out.name}">{html.escape(out.text)}</pre>'
        if kind == "error":
            return f'<pre class="error">{html.escape(out.ename)}: {html.escape(out.evalue)}</pre>'
        data = out.get("data", {})
        if FRAMES_MIMETYPE in data:
            return self.explainer(data[FRAMES_MIMETYPE])
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

    def cell(self, cell: NotebookNode) -> None:
        if cell.cell_type == "markdown":
            self.parts.append(f'<section class="markdown">{self.markdown(cell.source)}</section>')
        elif cell.cell_type == "code" and cell.source.strip():
            outputs = "\n".join(filter(None, (self.output(o) for o in cell.get("outputs", []))))
            self.parts.append(
                '<section class="code-cell"><details class="source"><summary>code</summary>'
                f"<pre><code>{html.escape(cell.source)}</code></pre></details>"
                f'<div class="outputs">{outputs}</div></section>')


def _readouts_html(items: Sequence[dict], *, after: int) -> str:
    """The readouts placed after figure ``after`` (-1: above the first), at the defaults.
    Their HTML is our own widgets' values, kept inside ``div.readout``."""
    shown = [f'<div class="readout" data-readout="{r}">{item["html"]}</div>'
             for r, item in enumerate(items) if item["after"] == after]
    return f'<div class="readouts">{"".join(shown)}</div>' if shown else ""


def without_computed(figure: dict, computed: Sequence[Sequence[str]]) -> None:
    """Leave out of ``figure`` (its data and its frames) each (trace name, property) the
    page computes itself (a live figure's ``computed``): the page draws them at once."""
    names = [t.get("name") for t in figure["data"]]
    for name, prop in computed:
        if name not in names:
            raise ValueError(f"a live figure computes {prop!r} of a trace {name!r} that the "
                             "figure does not have")
        i = names.index(name)
        figure["data"][i].pop(prop, None)
        for frame in figure.get("frames", []):
            if i in frame["traces"]:
                frame["data"][frame["traces"].index(i)].pop(prop, None)


# --------------------------------------------------------------------------- the page
def notebook_title(nb: NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`$]", "", m.group(1)).strip()
    return fallback


def render_page(nb: NotebookNode, *, name: str,
                plotly_js: str | None = None) -> tuple[str, list[str]]:
    """One executed notebook as a standalone HTML page; also what failed: equations that
    did not convert and widgets whose states could not be precomputed."""
    builder = PageBuilder()
    for cell in nb.cells:
        builder.cell(cell)
    title = notebook_title(nb, name)
    plotly_js = get_plotlyjs() if plotly_js is None else plotly_js
    style = "\n" + page_asset("page.css")
    # draws every figure from its JSON, adds its frames, and drives the sliders of groups
    # of several controls (a group of one is plain plotly: each step animates its frame)
    script = "\n" + page_asset("page.js").replace("PLOT_CONFIG", json.dumps(PLOT_CONFIG))
    if builder.models:  # the models in the page and the scripts that run them
        script += ("\n</script>\n<script type=\"application/json\" id=\"vae-models\">"
                   f"{script_json(builder.models)}</script>\n<script>\n{live_script()}\n"
                   + page_asset("page_live.js"))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{style}</style>
<script>{plotly_js}</script>
</head><body>
<header class="export">{html.escape(name)}.ipynb, exported for reading without a kernel: the
figures' sliders work from precomputed states; controls that need Python say so.</header>
{chr(10).join(builder.parts)}
<script>{script}</script>
</body></html>
"""
    return page, [*builder.markdown.failures, *builder.errors]
