"""Everything that turns the notebooks into pages and pictures; nothing else in
``explainer`` knows about them (``publish`` imports the widgets, never the reverse).

- ``export``: ``python -m explainer.publish.export``, the notebooks as standalone offline
  HTML pages (``make html``);
- ``page``: one executed notebook as a page (``page.css`` and ``page.js`` beside it);
- ``execute``: a notebook run on a fresh kernel with the publish layer active in it;
- ``kernel``: the publish layer inside that kernel: displays carry PNG copies and
  precomputed states;
- ``snapshot``: an Explainer's states, measured by setting its exported controls;
- ``frames``: those states as plotly frames and sliders; ``figure_state``: a figure dict
  as leaves, and the leaves two states differ in;
- ``png``: compact PNG copies of figures (kaleido, Chromium);
- ``weights``: a trained model's layers packed (float16, base64) for a page, where
  ``forward.js`` decodes and encodes with them, and turns a drawing into a digit, with
  no kernel;
- ``extras``: the ``[export]`` extra's packages, imported where used.
"""
