"""The HTML pages' pure parts: markdown with MathML, links, outputs, the page itself;
the exporter's command line.

Executing notebooks and opening the pages in Chromium is in tests/browser/test_html_export.py.
"""

import importlib
import json
import re
import sys
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest
import torch
from plotly.utils import PlotlyJSONEncoder

from explainer.publish import export, page, png
from explainer.publish.kernel import FRAMES_MIMETYPE
from explainer.publish.snapshot import exported_states, snapshot_explainer
from explainer.questions import reveal
from explainer.widgets.lower_bound import ImportanceSamplingExplorer

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = export.lecture_notebooks(ROOT / "notebooks")
FAKE_PLOTLY_JS = "/* plotly.js */"


def test_equations_become_mathml():
    render = page.MarkdownRenderer()
    html = render(r"Inline $\mathcal{N}(\mu, \sigma^2)$ and display "
                  r"$$\log p(x) = L_b + \mathrm{KL}$$")
    assert html.count("<math") == 2
    assert 'display="block"' in html and "$" not in html
    assert render.failures == []


def test_an_equation_that_fails_is_shown_and_reported(monkeypatch):
    def broken(latex, display):
        raise ValueError("no such macro")

    monkeypatch.setattr(page, "latex_to_mathml", broken)
    render = page.MarkdownRenderer()
    html = render(r"see $\foo$")
    assert 'class="math-failed"' in html and r"$\foo$" in html
    assert len(render.failures) == 1 and "no such macro" in render.failures[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_equation_of_every_notebook_converts(path):
    nb = nbformat.read(path, as_version=4)
    equations = page.notebook_equations(nb)
    render = page.MarkdownRenderer()
    for latex, display in equations:
        render.math(latex, display=display)
    assert render.failures == []
    if path.stem != "00_index":
        assert equations, f"{path.name} has no equations: is the math plugin parsing?"


def test_links_to_notebooks_point_at_pages():
    html = page.link_pages('<a href="01_pca.ipynb">a</a> <a href="02_x.ipynb#top">b</a> '
                             '<a href="https://github.com/x/y.ipynb">c</a>')
    assert 'href="01_pca.html"' in html and 'href="02_x.html#top"' in html
    assert 'href="https://github.com/x/y.ipynb"' in html


def test_headings_carry_jupyterlabs_anchor_so_citations_land():
    html = page.MarkdownRenderer()("## The *lower* bound\n\nSee [K](00_index.ipynb#References).")
    assert '<h2 id="The-lower-bound">' in html and 'href="00_index.html#References"' in html


def test_a_folded_answer_is_folded_in_the_page_with_its_equations():
    answer = reveal("The gap is about $0.3$ nats.")
    out = nbformat.v4.new_output("display_data", data={"text/markdown": answer._repr_markdown_(),
                                                       "text/plain": repr(answer)})
    html, failures = page.render_page(_notebook([out]), name="nb", plotly_js=FAKE_PLOTLY_JS)
    assert failures == []
    body = html.split('class="markdown-output"')[1]
    order = [body.index(tag) for tag in ("<details>", "<summary>", "<math", "</details>")]
    assert order == sorted(order)


def test_script_json_cannot_close_its_script_element():
    assert "</script>" not in page.script_json({"text": "</script><b>"})


def _notebook(outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title $x^2$\n\nSee [next](01_next.ipynb)."),
                nbformat.v4.new_code_cell("fig", outputs=outputs)]
    return nb


def test_page_holds_text_code_figures_and_explainers_once_each():
    log_weights = torch.randn(3, 20, generator=torch.Generator().manual_seed(0))
    explainer = ImportanceSamplingExplorer(log_weights)
    exported = json.loads(json.dumps(snapshot_explainer(explainer), cls=PlotlyJSONEncoder))
    static_fig = json.loads(go.Figure(go.Scatter(y=[1, 2])).to_json())
    outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="printed <1>\n"),
        nbformat.v4.new_output("display_data", data={"application/vnd.plotly.v1+json": static_fig,
                                                     "text/plain": "Figure"}),
        nbformat.v4.new_output("display_data", data={
            FRAMES_MIMETYPE: exported, "text/plain": "ImportanceSamplingExplorer: ...",
            "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "progress"}}),
    ]
    html, failures = page.render_page(_notebook(outputs), name="nb", plotly_js=FAKE_PLOTLY_JS)
    assert failures == []
    assert html.count(FAKE_PLOTLY_JS) == 1 and "cdn" not in html.lower()
    assert "<title>Title x^2</title>" in html
    assert "<math" in html and 'href="01_next.html"' in html
    assert "<details" in html and "printed &lt;1&gt;" in html
    specs = html.split('class="plot-spec"')[1:]
    assert len(specs) == 2  # the static figure and the explainer; the progress bar is skipped
    spec = json.loads(specs[1].split(">", 1)[1].split("</script>")[0])
    fig = spec["figure"]
    assert len(fig["frames"]) == len(explainer.ks)
    assert fig["layout"]["sliders"][0]["name"] == "K samples"


def test_controls_that_need_a_kernel_are_named_in_the_page():
    builder = page.PageBuilder()
    html = builder.explainer({"figures": [], "controls": [],
                              "kernel_controls": ['the "train" button']})
    assert 'the &quot;train&quot; button' in html
    assert "this control needs a running kernel (open the notebook in jupyterlab)" in html.lower()


def test_one_at_a_time_groups_say_so():
    builder = page.PageBuilder()
    fig = {"data": [], "layout": {"sliders": [{"name": "x"}, {"name": "y"}]}, "frames": []}
    html = builder.explainer({"figures": [{"figure": fig, "groups": [
        {"id": 0, "sliders": [0, 1], "product": False, "defaults": [0, 0]}]}],
        "controls": [], "kernel_controls": []})
    assert "x, y move one at a time" in html


def test_a_widget_that_cannot_be_precomputed_is_shown_as_it_is_and_reported():
    class Broken(ImportanceSamplingExplorer):
        def exported_controls(self):
            raise RuntimeError("no grid today")

    exported = exported_states(Broken(torch.zeros(2, 5)))
    assert exported["error"] == "RuntimeError: no grid today"
    assert exported["kernel_controls"] == ['"K samples"']
    builder = page.PageBuilder()
    html = builder.explainer(json.loads(json.dumps(exported, cls=PlotlyJSONEncoder)))
    assert "could not be precomputed (RuntimeError: no grid today)" in html
    assert 'class="plot-spec"' in html and builder.errors == ["Broken: RuntimeError: no grid today"]


def test_export_refuses_a_missing_notebook(tmp_path):
    with pytest.raises(ValueError, match="path must be a notebook file"):
        export.export_notebook(tmp_path / "missing.ipynb", tmp_path)
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        export.export_notebooks([], tmp_path, jobs=0)


def _write_notebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")]), path)
    return path


BAD_ARGUMENTS = {
    # each: (the arguments, given the temporary folder; the one-line error expected)
    "missing": (lambda t: [str(t / "good.ipynb"), str(t / "missing.ipynb")],
                r"notebook .*missing\.ipynb does not exist"),
    "folder": (lambda t: [str(t)], r"notebook .* is a folder, not a notebook file"),
    "not-ipynb": (lambda t: [str(t / "notes.txt")], r"notebook .*notes\.txt is not a \.ipynb file"),
    "not-json": (lambda t: [str(t / "broken.ipynb")],
                 r"notebook .*broken\.ipynb does not parse as a notebook \(NotJSONError"),
    "not-a-notebook": (lambda t: [str(t / "list.ipynb")],
                       r"notebook .*list\.ipynb does not parse as a notebook"),
    "same-name": (lambda t: [str(t / "good.ipynb"), str(t / "sub" / "good.ipynb")],
                  r"notebooks .*good\.ipynb and .*good\.ipynb would both be written to good\.html"),
    "out-is-a-file": (lambda t: [str(t / "good.ipynb"), "--out", str(t / "notes.txt")],
                      r"--out .*notes\.txt is a file, not a folder"),
    "out-under-a-file": (lambda t: [str(t / "good.ipynb"), "--out", str(t / "notes.txt" / "pages")],
                         r"--out .*pages cannot be created: .*notes\.txt is a file"),
    "jobs-zero": (lambda t: [str(t / "good.ipynb"), "--jobs", "0"],
                  r"--jobs must be at least 1, got 0"),
    "notebooks-a-file": (lambda t: ["--notebooks", str(t / "notes.txt")],
                         r"--notebooks .*notes\.txt is not a folder"),
    "notebooks-missing": (lambda t: ["--notebooks", str(t / "nowhere")],
                          r"--notebooks .*nowhere is not a folder"),
    "no-notebooks-folder-here": (lambda t: [], r"--notebooks notebooks is not a folder"),
    "notebooks-without-lectures": (lambda t: ["--notebooks", str(t / "sub")],
                                   r"no notebooks given, and no NN_\*\.ipynb in --notebooks .*sub"),
    "notebooks-and-paths": (lambda t: [str(t / "good.ipynb"), "--notebooks", str(t)],
                            r"give notebooks or --notebooks DIR, not both"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_refused_up_front_in_one_line(case, tmp_path, monkeypatch, capsys):
    _write_notebook(tmp_path / "good.ipynb")
    _write_notebook(tmp_path / "sub" / "good.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    (tmp_path / "broken.ipynb").write_text("not json")
    (tmp_path / "list.ipynb").write_text("[]")

    def no_kernel(*_args, **_kwargs):
        raise AssertionError("a notebook ran before every argument was checked")

    monkeypatch.setattr(export, "run_notebook", no_kernel)
    monkeypatch.chdir(tmp_path)  # no notebooks/ folder here
    arguments, message = BAD_ARGUMENTS[case]
    with pytest.raises(SystemExit) as stopped:
        export.main(arguments(tmp_path))
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m explainer.publish.export: error: ")
    assert re.search(message, last), last
    assert not any(tmp_path.rglob("*.html"))


def test_good_arguments_reach_the_export(tmp_path, monkeypatch):
    seen = {}

    def fake_export(paths, out_dir, *, jobs):
        seen.update(paths=paths, out_dir=out_dir, jobs=jobs)
        return []

    monkeypatch.setattr(export, "export_notebooks", fake_export)
    good = _write_notebook(tmp_path / "good.ipynb")
    assert export.main([str(good), "--out", str(tmp_path / "new" / "pages"), "--jobs", "1"]) == 0
    assert seen == {"paths": [good], "out_dir": tmp_path / "new" / "pages", "jobs": 1}
    # no notebooks named: the lecture notebooks (NN_*.ipynb) of --notebooks, in order
    lectures = [_write_notebook(tmp_path / "lectures" / name)
                for name in ("01_first.ipynb", "00_index.ipynb")]
    _write_notebook(tmp_path / "lectures" / "scratch.ipynb")
    assert export.main(["--notebooks", str(tmp_path / "lectures"), "--out", str(tmp_path)]) == 0
    assert seen["paths"] == sorted(lectures)
    # by default, notebooks/ in the current folder
    monkeypatch.chdir(tmp_path / "lectures" / "..")
    (tmp_path / "lectures").rename(tmp_path / "notebooks")
    assert export.main(["--out", str(tmp_path)]) == 0
    assert [p.name for p in seen["paths"]] == ["00_index.ipynb", "01_first.ipynb"]


EXTRA_MODULES = ["mistune", "latex2mathml", "latex2mathml.converter", "nbformat", "nbclient",
                 "kaleido"]


def _without_extras(monkeypatch):
    """A plain install: the [export] extra's packages cannot be imported, and the publish
    modules are imported afresh."""
    for name in EXTRA_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    for name in [m for m in sys.modules if m.startswith("explainer.publish")]:
        monkeypatch.delitem(sys.modules, name)


def test_a_plain_install_imports_the_exporter_and_names_the_extra_when_used(monkeypatch, capsys):
    _without_extras(monkeypatch)
    fresh = importlib.import_module("explainer.publish.export")
    fresh_page = importlib.import_module("explainer.publish.page")
    fresh_png = importlib.import_module("explainer.publish.png")
    hint = re.escape('pip install "vae-explainer[export]"')
    with pytest.raises(ImportError, match=f"needs mistune, which is not installed: {hint}"):
        fresh_page.MarkdownRenderer()
    with pytest.raises(ImportError, match=f"needs latex2mathml.*{hint}"):
        fresh_page.latex_to_mathml("x", display=False)
    with pytest.raises(ImportError, match=f"needs kaleido.*{hint}"):
        fresh_png.figure_png(go.Figure())
    with pytest.raises(SystemExit) as stopped:
        fresh.main(["--out", "/tmp"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        'error: publishing needs mistune, which is not installed: '
        'pip install "vae-explainer[export]"')


def test_the_page_style_and_script_are_package_data():
    assert "body {" in page.page_asset("page.css")
    assert "Plotly.newPlot" in page.page_asset("page.js")
    html, _ = page.render_page(_notebook([]), name="nb", plotly_js=FAKE_PLOTLY_JS)
    assert page.page_asset("page.css") in html
    assert '{"displaylogo": false, "responsive": false}' in html  # PLOT_CONFIG filled in


def test_png_arguments_are_checked():
    with pytest.raises(ValueError, match="fig must be"):
        png.figure_png("not a figure")
    with pytest.raises(ValueError, match="scale"):
        png.figure_png(go.Figure(), scale=0)
    with pytest.raises(ValueError, match="figs"):
        png.figures_png([])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebooks_carry_a_png_of_every_figure_and_stay_small(path):
    """GitHub and nbviewer show neither plotly's JSON nor widgets: each figure output and
    each Explainer's output also holds a PNG (tools/execute_notebooks.py), and the file
    stays under 2 MB."""
    assert path.stat().st_size < 2_000_000, f"{path.name}: {path.stat().st_size / 1e6:.2f} MB"
    nb = nbformat.read(path, as_version=4)
    figures = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            is_explainer = "interactive figure" in data.get("text/plain", "")
            if "application/vnd.plotly.v1+json" in data or is_explainer:
                figures += 1
                assert "image/png" in data, \
                    f"{path.name}: a figure without a PNG: {cell.source[:60]!r}"
    assert figures > 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebooks_show_no_error_and_no_traceback(path):
    """A learner reading the stored notebook (or nbval, which skips stderr) must never meet
    an error or a traceback written by a cell or by a tool behind it (e.g. kaleido's)."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name} cell {i}: {out.get('ename')}"
            text = "".join(out.get("text", ""))
            assert "Traceback" not in text, \
                f"{path.name} cell {i} prints a traceback: {text[:80]!r}"
