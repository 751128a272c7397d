"""Everything that turns the notebooks into pages and pictures; nothing else in
``explainer`` knows about them (``publish`` imports the widgets, never the reverse).

- ``export``: ``python -m explainer.publish.export``, the notebooks as standalone offline
  HTML pages (``make html``);
- ``page``: one executed notebook as a page (``page.css``, ``page.js`` and
  ``page_live.js``, which attaches the figures run in the page, beside it);
- ``execute``: a notebook run on a fresh kernel with the publish layer active in it;
- ``kernel``: the publish layer inside that kernel: displays carry PNG copies and
  precomputed states;
- ``snapshot``: an Explainer's states, measured by setting its exported controls;
- ``frames``: those states as plotly frames and sliders; ``figure_state``: a figure dict
  as leaves, and the leaves two states differ in;
- ``png``: compact PNG copies of figures (kaleido, Chromium);
- ``extras``: the ``[export]`` extra's packages, imported where used.
"""
