"""A page that holds forward.js and packed models, opened from file:// with the network
blocked: for tests/browser/test_forward_js.py and benchmarks/forward_js.py."""

from __future__ import annotations

import json
from pathlib import Path

from explainer.widgets.live import live_script

TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>forward.js</title></head>
<body>
<script type="application/json" id="models">{models}</script>
<script>{script}</script>
<script>
window.models = JSON.parse(document.getElementById("models").textContent);
window.ready = true;
</script>
</body></html>
"""


def write_page(folder: Path, models: dict[str, dict]) -> Path:
    """``folder/forward.html``: forward.js (with the other live scripts) inlined and
    ``models`` (name -> pack_model's dict) as JSON in a script tag, read into
    ``window.models``."""
    # "</" cannot end the script tag early: JSON allows "<\\/" for "</"
    text = json.dumps(models).replace("</", "<\\/")
    path = folder / "forward.html"
    path.write_text(TEMPLATE.format(models=text, script=live_script()),
                    encoding="utf-8")
    return path


def open_offline(page, path: Path) -> list[str]:
    """Open ``path`` in ``page`` with every http(s) request aborted; the list of the URLs
    that were attempted (kept up to date while the page lives) is returned."""
    attempted: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            return route.continue_()
        attempted.append(url)
        return route.abort()

    page.context.route("**/*", only_local)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.ready === true && !!window.vaeForward")
    return attempted
