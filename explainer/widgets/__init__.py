"""Thin GUI classes: ipywidgets controls wired to plotly ``FigureWidget``s.

They hold no mathematics: each calls pure functions from the library and updates its
figures inside ``fig.batch_update()``. ``base.Explainer`` routes every callback's
exception to an output area on the page (and re-raises it), so no error is invisible.
"""
