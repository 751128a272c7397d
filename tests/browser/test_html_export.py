"""The exported HTML pages (``make html``) in headless Chromium with the network blocked:
each page draws its figures and equations with no console error and no request leaving
the file, and every plotly slider, moved with the mouse, changes its figure's data to
exactly the precomputed state the sliders name, with the readouts' stored texts. 04's page
opened at an address (``#beta=3&noise=0.3``) shows that state, its sliders write the state
back, and an address naming what the page does not hold gets one note.

The pages are exported once per session into a temporary folder. The kernels use the
model cache of ``make html`` (``$VAE_EXPLAINER_CACHE`` or ``~/.cache/vae-explainer``,
read when this module is imported, before the unit tests' temporary cache is set), so
with a warm cache the export takes about a minute; models are keyed by every
hyperparameter and written atomically, so sharing the cache is safe.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

from explainer import cache
from explainer.publish import export
from tests.browser.conftest import require_browser
from tests.browser.controls import assert_answers_fold, stored_answers
from tests.browser.page_state import (
    READOUTS_MISMATCHES,
    actives,
    click_step,
    explainer_specs,
    explainer_specs_in,
    frame_names,
    plot_spec,
)
from tests.browser.servers import NOTEBOOK_CACHE, NOTEBOOKS

require_browser()

PAGE_LIMIT_BYTES = 15_000_000
# every leaf of a frame equals the figure's (frames name leaves by plotly's attribute paths,
# "marker.color"; plotly.js's own bookkeeping, keys starting with "_", is left out), except
# in the traces the figure's live spec names: the page computes those itself (tested in
# tests/browser/test_forward_js.py and the live layer's tests)
SAME_STATE = r"""([gd, frame]) => {
  const clean = (v) => JSON.stringify(v === undefined ? null : v,
                                      (k, x) => k.startsWith("_") ? undefined : x);
  const get = (obj, path) => path.replace(/\[(\d+)\]/g, ".$1").split(".")
                                 .reduce((o, k) => (o == null ? o : o[k]), obj);
  const named = new Set();
  const collect = (v) => typeof v === "string" ? named.add(v)
    : v && typeof v === "object" ? Object.values(v).forEach(collect) : null;
  const live = document.querySelector(`script.live-spec[data-target="${gd.id}"]`);
  if (live) collect(JSON.parse(live.textContent));
  return frame.traces.every((t, i) => named.has(gd.data[t].name) || Object.keys(frame.data[i])
    .every((key) => clean(get(gd.data[t], key)) === clean(frame.data[i][key])));
}"""


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    start = time.perf_counter()
    pages = export.export_notebooks(NOTEBOOKS, out, jobs=2,
                                    env={cache.ENV_VAR: str(NOTEBOOK_CACHE)})
    print(f"exported {len(pages)} pages in {time.perf_counter() - start:.0f} s")
    return {p.notebook: p for p in pages}


@pytest.fixture
def offline_page(page):
    """``page`` with every request that is not file:, data: or blob: refused and recorded."""
    page.blocked = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            return route.continue_()
        page.blocked.append(url)
        return route.abort()

    page.context.route("**/*", only_local)
    return page


def _open(page, path) -> int:
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plot')].every((d) => d.dataset.ready === '1')",
        timeout=60_000)
    return page.evaluate("document.querySelectorAll('.plot').length")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_page_works_offline_and_its_sliders_move_its_figures(exported, offline_page, notebook):
    page, info = offline_page, exported[notebook.stem]
    assert info.size_bytes < PAGE_LIMIT_BYTES, f"{info.path.name}: {info.size_bytes / 1e6:.1f} MB"
    assert info.failures == ()  # every equation converted, every widget precomputed
    n_plots = _open(page, info.path)
    assert n_plots == info.n_figures and n_plots > 0
    assert page.evaluate("document.querySelectorAll('.plot .main-svg').length") >= n_plots
    if notebook.stem != "00_index":
        assert page.evaluate("document.querySelectorAll('math').length") > 0
    assert page.evaluate("document.querySelectorAll('.math-failed').length") == 0

    specs = page.evaluate("[...document.querySelectorAll('script.plot-spec')]"
                          ".map((s) => s.textContent)")
    moved = 0
    for plot, text in enumerate(specs):
        spec = json.loads(text)
        sliders = spec["figure"]["layout"].get("sliders", [])
        frames = {f["name"]: f for f in spec["figure"].get("frames", [])}
        for s, slider in enumerate(sliders):
            gd = page.locator(f"#plot-{plot}")
            group = page.locator(f"#plot-{plot} .slider-group").nth(s)
            group.scroll_into_view_if_needed()
            before = page.evaluate(f"JSON.stringify(document.getElementById('plot-{plot}').data)")
            active = page.evaluate(f"document.getElementById('plot-{plot}')"
                                   f".layout.sliders[{s}].active")
            target = active + 1 if active + 1 < len(slider["steps"]) else active - 1
            # click the rail where the target step's tick is, as a person would
            tick = group.locator(".slider-tick-rect").nth(target).bounding_box()
            rail = group.locator(".slider-rail-touch-rect").bounding_box()
            page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
            page.wait_for_function(
                f"(b) => JSON.stringify(document.getElementById('plot-{plot}').data) !== b",
                arg=before, timeout=5_000)
            now = page.evaluate(f"document.getElementById('plot-{plot}')"
                                f".layout.sliders[{s}].active")
            assert now == target, (f"plot {plot} slider {slider['name']!r}: "
                                   f"step {now}, clicked {target}")
            # the figure shows exactly the frame the sliders name (the page script's choice
            # for a group of several controls)
            step_frame = slider["steps"][target]["args"][0][0]
            name = _expected_frame(page, plot, spec, s, step_frame)
            assert page.evaluate(SAME_STATE, [gd.element_handle(), frames[name]]), \
                f"plot {plot}: figure is not frame {name}"
            assert page.evaluate(READOUTS_MISMATCHES) == []  # the texts follow too
            moved += 1
    if notebook.stem != "00_index":
        assert moved > 0, "no slider in the page"
    assert_answers_fold(page, stored_answers(notebook))
    assert page.blocked == [], f"requests left the page: {page.blocked}"
    assert page.problems == []


def _expected_frame(page, plot: int, spec: dict, s: int, step_frame: str) -> str:
    """A lone slider's step names its frame; in a group of several, the frame is named by
    every slider of the group (its defaults, for the one-at-a-time kind)."""
    for group in spec["groups"]:
        if s in group["sliders"]:
            actives = page.evaluate(
                f"document.getElementById('plot-{plot}').layout.sliders.map((x) => x.active)")
            combo = [actives[i] for i in group["sliders"]]
            if not group["product"]:
                assert [c for c, d in zip(combo, group["defaults"])
                        if c != d] in ([], [actives[s]]), \
                    "the other sliders of a one-at-a-time group went back to their defaults"
            return f"g{group['id']}:" + "-".join(str(c) for c in combo)
    return step_frame


# ----------------------------------------------------------------- the page's address
def _open_at(page, path, fragment: str = "") -> None:
    page.goto("about:blank")  # a new document: the address is read as the page loads
    page.goto(path.as_uri() + fragment)
    page.wait_for_function("() => document.documentElement.dataset.pageState === 'ready'",
                           timeout=60_000)


def _maps(page) -> dict:
    return next(s for s in explainer_specs(page) if {"beta", "noise"} <= {c["key"] for c in
                                                                         s["controls"]})


def _away(control: dict, wanted: str) -> str:
    """``wanted`` if the control holds it and it is not the default, else its last other label."""
    labels = control["labels"]
    if wanted in labels and labels.index(wanted) != control["default"]:
        return wanted
    return next(lab for k, lab in reversed(list(enumerate(labels))) if k != control["default"])


def _note(page) -> str | None:
    return page.evaluate("(document.getElementById('page-state-note') || {}).textContent || null")


def test_an_address_opens_the_page_on_its_state_and_follows_the_sliders(exported, offline_page):
    page, path = offline_page, exported["04_latent_maps"].path
    _open_at(page, path)
    maps = _maps(page)
    assert page.evaluate("location.hash") == "" and _note(page) is None
    controls = {c["key"]: c for c in maps["controls"]}
    beta, noise = _away(controls["beta"], "3"), _away(controls["noise"], "0.3")
    _open_at(page, path, f"#beta={beta}&noise={noise}")
    steps = [c["default"] for c in maps["controls"]]
    keys = [c["key"] for c in maps["controls"]]
    steps[keys.index("beta")] = controls["beta"]["labels"].index(beta)
    steps[keys.index("noise")] = controls["noise"]["labels"].index(noise)
    for figure in maps["figures"]:  # every slider of those controls, on every figure
        assert actives(page, figure["target"]) == [steps[c] for c in figure["sliders"]]
        frames = {f["name"]: f for f in plot_spec(page, figure["target"])["figure"]["frames"]}
        gd = page.locator(f"#{figure['target']}").element_handle()
        for name in frame_names(maps, steps):
            if name in frames:
                assert page.evaluate(SAME_STATE, [gd, frames[name]]), f"not frame {name}"
    assert page.evaluate(READOUTS_MISMATCHES) == []
    first = maps["figures"][0]["target"]
    values = page.evaluate(f"vaePage.values(document.getElementById('{first}'))")
    assert (values["beta"], values["noise"]) == (beta, noise)
    assert page.evaluate("location.hash") == f"#beta={beta}&noise={noise}"
    assert _note(page) is None

    # moving a slider writes the state back (controls in the page's order) and tells listeners
    page.evaluate("window.told = new Set(); vaePage.onChange((gd) => told.add(gd.id)); "
                  "told.clear()")
    s = maps["figures"][0]["sliders"].index(keys.index("beta"))
    other = next(k for k in range(len(controls["beta"]["labels"]))
                 if k not in (steps[keys.index("beta")], controls["beta"]["default"]))
    click_step(page, first, s, other)
    moved_to = f"#noise={noise}&beta={quote(controls['beta']['labels'][other])}"
    page.wait_for_function("(h) => location.hash === h", arg=moved_to, timeout=5_000)
    told = page.evaluate("[...told]")
    for figure in maps["figures"]:
        if keys.index("beta") in figure["sliders"]:
            assert figure["target"] in told
            s_here = figure["sliders"].index(keys.index("beta"))
            assert actives(page, figure["target"])[s_here] == other
    # back at its default, a control leaves the address; all at their defaults, no fragment
    click_step(page, first, s, controls["beta"]["default"])
    page.wait_for_function("(h) => location.hash === h", arg=f"#noise={noise}", timeout=5_000)
    s_noise = maps["figures"][0]["sliders"].index(keys.index("noise"))
    click_step(page, first, s_noise, controls["noise"]["default"])
    page.wait_for_function("() => !location.href.includes('#')", timeout=5_000)
    assert page.blocked == [] and page.problems == []


def test_an_address_the_page_cannot_show_is_named_in_one_note(exported, offline_page):
    page, path = offline_page, exported["04_latent_maps"].path
    _open_at(page, path)
    maps = _maps(page)
    controls = {c["key"]: c for c in maps["controls"]}
    noise = _away(controls["noise"], "0.3")
    _open_at(page, path, f"#beta=7&noise={noise}")
    note = _note(page)
    assert note is not None and page.locator("#page-state-note").is_visible()
    assert page.locator(".page-state").count() == 1
    assert "beta=7" in note and ", ".join(controls["beta"]["labels"]) in note
    values = page.evaluate(f"vaePage.values(document.getElementById("
                           f"'{maps['figures'][0]['target']}'))")
    beta = controls["beta"]
    assert values["beta"] == beta["labels"][beta["default"]]  # its default
    assert values["noise"] == noise  # and nothing else lost

    # the learner edits the address: it applies again, and the note goes
    page.evaluate(f"location.hash = '#beta={_away(beta, '3')}'")
    page.wait_for_function("() => !document.getElementById('page-state-note')", timeout=5_000)
    page.evaluate("location.hash = '#nosuch=1'")
    page.wait_for_function("() => document.getElementById('page-state-note')", timeout=5_000)
    assert "nosuch=1" in _note(page) and "beta" in _note(page)
    assert page.blocked == [] and page.problems == []


def test_an_address_can_move_one_control_of_a_one_at_a_time_group(exported, offline_page):
    page = offline_page
    for info in sorted(exported.values(), key=lambda p: p.notebook):
        pair = next((s for s in explainer_specs_in(info.path)
                     if any(not g["product"] for g in s["groups"])), None)
        if pair is not None:
            break
    else:
        pytest.skip("no page stores a group of controls one at a time")
    group = next(g for g in pair["groups"] if not g["product"])
    a, b = (pair["controls"][c] for c in group["controls"][:2])
    fragment = "&".join(f"{c['key']}={quote(_away(c, ''))}" for c in (a, b))
    _open_at(page, info.path, "#" + fragment)
    note = _note(page)
    assert note is not None and "one at a time" in note and f"{a['key']}=" in note
    values = page.evaluate(f"vaePage.values(document.getElementById("
                           f"'{pair['figures'][0]['target']}'))")
    assert values[a["key"]] == _away(a, "") and values[b["key"]] == b["labels"][b["default"]]
    assert page.evaluate(READOUTS_MISMATCHES) == []
    assert page.blocked == [] and page.problems == []
