"""Reading an exported page's state in the browser (tests/browser/test_html_export.py): the
explainers' specs, the steps their sliders show, and whether the readouts show the texts
stored for those steps."""

from __future__ import annotations

import json
import re
from pathlib import Path

# every readout of every explainer shows the text stored for its controls' current steps
# (as vaePage.values reports them); a combination a one-at-a-time table does not store is
# skipped. Returns the mismatches, as text.
READOUTS_MISMATCHES = r"""() => {
  const text = (html) => { const t = document.createElement('template'); t.innerHTML = html;
                           return t.content.textContent; };
  const wrong = [];
  for (const el of document.querySelectorAll('script.explainer-spec')) {
    const spec = JSON.parse(el.textContent), box = el.parentNode;
    if (!spec.figures.length) continue;
    const values = vaePage.values(document.getElementById(spec.figures[0].target));
    const idx = spec.controls.map((c) => c.labels.indexOf(values[c.key]));
    for (const t of spec.readouts.tables) {
      const stored = t.values[t.controls.map((c) => idx[c]).join('-')];
      if (!stored) continue;
      t.readouts.forEach((r, j) => {
        const shown = box.querySelector(`.readout[data-readout="${r}"]`).textContent;
        const want = text(spec.readouts.strings[stored[j]]);
        if (shown !== want) wrong.push(`${box.id} readout ${r}: ${shown} != ${want}`);
      });
    }
  }
  return wrong;
}"""


def explainer_specs(page) -> list[dict]:
    return [json.loads(t) for t in page.evaluate(
        "[...document.querySelectorAll('script.explainer-spec')].map((s) => s.textContent)")]


def explainer_specs_in(path: Path) -> list[dict]:
    """The explainers' specs of an exported page, read from its file."""
    found = re.findall(r'<script type="application/json" class="explainer-spec">(.*?)</script>',
                       path.read_text(encoding="utf-8"), flags=re.S)
    return [json.loads(text) for text in found]


def plot_spec(page, target: str) -> dict:
    return json.loads(page.evaluate(
        f"document.querySelector('script.plot-spec[data-target={target}]').textContent"))


def actives(page, target: str) -> list[int]:
    return page.evaluate(f"(document.getElementById('{target}').layout.sliders || [])"
                         ".map((s) => s.active)")


def frame_names(spec: dict, steps: list[int]) -> list[str]:
    """The frame each group of an explainer shows at ``steps`` (one step per control)."""
    return [f"g{g['id']}:" + "-".join(str(steps[c]) for c in g["controls"])
            for g in spec["groups"]]


def click_step(page, target: str, slider: int, step: int) -> None:
    """Click the rail of ``slider`` of figure ``target`` where ``step``'s tick is."""
    group = page.locator(f"#{target} .slider-group").nth(slider)
    group.scroll_into_view_if_needed()
    tick = group.locator(".slider-tick-rect").nth(step).bounding_box()
    rail = group.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
