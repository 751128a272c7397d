"""An explainer's text readouts (a status line, a meter, the numbers under a diagram) in a
page without a kernel: which text widgets they are, where they sit, and their text in each
stored state.

- :func:`find_readouts`: the explainer's own text widgets (``HTML``, ``HTMLMath``,
  ``Label`` attributes) shown in its ``ui``, in display order, each placed after the figure
  that comes before it (or above the first figure); captions written inline in the ``ui``
  (e.g. "draw a digit") label a control, not a state, and are left out;
- :class:`ReadoutRecorder`: the readouts' text with each control alone over its grid, and
  with pairs of controls moved together: which controls each readout depends on;
- :func:`readout_spec`: the tables a page needs, one per set of controls, each string
  stored once.

A readout that depends on no control is shown once, as it is. One that depends on several
controls stores every combination of their values if there are at most
``max_combinations``, else one control at a time (the page then shows it with the other
controls at their starting values, and says so).
"""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from explainer.publish.frames import ControlGroup, group_combinations
from explainer.widgets.base import Explainer, _walk

_HTML_TYPES = (widgets.HTML, widgets.HTMLMath)
_TEXT_TYPES = (*_HTML_TYPES, widgets.Label)


@dataclass(frozen=True)
class Readout:
    """One text widget of an explainer and the figure it follows in the page (-1: above
    the first figure)."""

    widget: widgets.Widget
    after_figure: int

    def html(self) -> str:
        """The widget's text as HTML: an ``HTML`` widget's value as it is (our own widgets'
        markup), a ``Label``'s escaped (it shows its text literally)."""
        value = str(self.widget.value)
        return value if isinstance(self.widget, _HTML_TYPES) else html.escape(value)


def find_readouts(explainer: Explainer) -> list[Readout]:
    """``explainer``'s text widget attributes that its ``ui`` shows, in display order."""
    own = {id(v) for v in vars(explainer).values() if isinstance(v, _TEXT_TYPES)}
    figures = {id(f): i for i, f in enumerate(explainer.figures())}
    after, found = -1, []
    for w in _walk(explainer.ui):
        if id(w) in figures:
            after = figures[id(w)]
        elif id(w) in own:
            found.append(Readout(w, after))
    return found


def read(readouts: Sequence[Readout]) -> tuple[str, ...]:
    return tuple(r.html() for r in readouts)


@dataclass
class ReadoutTable:
    """The readouts (indices) that depend on the same ``controls``, and their texts for
    each stored combination of those controls' indices."""

    controls: list[int]
    product: bool
    readouts: list[int]
    texts: dict[tuple[int, ...], tuple[str, ...]]


class ReadoutRecorder:
    """What the snapshot sees of the readouts while it sets the controls: their texts at
    the defaults (``base``), with one control moved (:meth:`record_alone`) and with two
    (:meth:`record_pair`); then which controls each readout depends on
    (:meth:`dependencies`) and the combinations to measure (:meth:`tables`)."""

    def __init__(self, readouts: Sequence[Readout], n_controls: int) -> None:
        self.readouts = list(readouts)
        self.base = read(self.readouts)
        self.alone: list[dict[int, tuple[str, ...]]] = [{} for _ in range(n_controls)]
        # the texts at every state measured so far, by the steps of all the controls
        self.seen: dict[tuple[int, ...], tuple[str, ...]] = {}
        self._interacting: list[set[int]] = [set() for _ in self.readouts]

    def read(self) -> tuple[str, ...]:
        return read(self.readouts)

    def record_alone(self, control: int, index: int) -> None:
        self.alone[control][index] = self.read()

    def record_state(self, steps: Sequence[int]) -> None:
        """The texts with the controls at ``steps`` (one step per control), kept so that a
        state the figures needed is not set again for the readouts."""
        self.seen[tuple(steps)] = self.read()

    def _changed_alone(self, control: int) -> set[int]:
        return {r for texts in self.alone[control].values()
                for r, text in enumerate(texts) if text != self.base[r]}

    def needs_pair(self, i: int, j: int) -> bool:
        """Whether moving ``i`` and ``j`` together could show something new: some readout
        does not already depend on both."""
        both = self._changed_alone(i) & self._changed_alone(j)
        return len(both) < len(self.readouts)

    def record_pair(self, i: int, ki: int, j: int, kj: int) -> None:
        """The readouts with control ``i`` at ``ki`` and ``j`` at ``kj``: a readout whose
        text is neither control's own change (nor the default, if neither changes it)
        depends on both."""
        texts = self.read()
        for r, text in enumerate(texts):
            by_i = self.alone[i][ki][r] != self.base[r]
            by_j = self.alone[j][kj][r] != self.base[r]
            if by_i and by_j:
                continue  # both change it alone: it depends on both already
            expected = (self.alone[i][ki][r] if by_i else
                        self.alone[j][kj][r] if by_j else self.base[r])
            if text != expected:
                self._interacting[r] |= {i, j}

    def dependencies(self) -> list[tuple[int, ...]]:
        """For each readout, the controls (sorted) whose moves change it."""
        changed = [self._changed_alone(i) for i in range(len(self.alone))]
        return [tuple(sorted({i for i, rs in enumerate(changed) if r in rs}
                             | self._interacting[r])) for r in range(len(self.readouts))]

    def tables(self, sizes: Sequence[int], defaults: Sequence[int], *, live: Collection[int],
               max_combinations: int) -> list[ReadoutTable]:
        """One table per set of ``live`` controls (those with a slider in the page) some
        readout depends on, holding the texts already seen (the defaults and each control
        alone); the snapshot measures the remaining combinations (:func:`missing`)."""
        by_controls: dict[tuple[int, ...], list[int]] = {}
        for r, deps in enumerate(self.dependencies()):
            deps = tuple(i for i in deps if i in live)
            if deps:
                by_controls.setdefault(deps, []).append(r)
        tables = []
        for controls, readouts in by_controls.items():
            n = 1
            for i in controls:
                n *= sizes[i]
            table = ReadoutTable(list(controls), len(controls) == 1 or n <= max_combinations,
                                 readouts, {})
            for combo in combinations(table, sizes, defaults):
                moved = [(i, k) for i, k in zip(controls, combo) if k != defaults[i]]
                if len(moved) <= 1:
                    texts = self.alone[moved[0][0]][moved[0][1]] if moved else self.base
                    table.texts[combo] = tuple(texts[r] for r in readouts)
            tables.append(table)
        return tables


def combinations(table: ReadoutTable, sizes: Sequence[int],
                 defaults: Sequence[int]) -> list[tuple[int, ...]]:
    """The index tuples (one per control of ``table``) whose texts are stored."""
    group = ControlGroup(list(range(len(table.controls))), product=table.product)
    return group_combinations(group, [sizes[i] for i in table.controls],
                              [defaults[i] for i in table.controls])


def missing(table: ReadoutTable, sizes: Sequence[int],
            defaults: Sequence[int]) -> list[tuple[int, ...]]:
    """The combinations of ``table`` still to measure."""
    return [c for c in combinations(table, sizes, defaults) if c not in table.texts]


def combo_key(combo: Iterable[int]) -> str:
    """A combination as the page names it: ``"2-0-1"``."""
    return "-".join(str(k) for k in combo)


def readout_spec(readouts: Sequence[Readout], base: Sequence[str],
                 tables: Sequence[ReadoutTable]) -> dict:
    """The readouts as a page needs them: each one's place and text at the defaults
    (``items``), every distinct text once (``strings``) and, per table, each stored
    combination's texts as indices into ``strings``."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def sid(text: str) -> int:
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    items = [{"after": r.after_figure, "html": text} for r, text in zip(readouts, base)]
    out_tables = [{"controls": t.controls, "product": t.product, "readouts": t.readouts,
                   "values": {combo_key(c): [sid(s) for s in texts]
                              for c, texts in sorted(t.texts.items())}}
                  for t in tables]
    return {"items": items, "strings": strings, "tables": out_tables}


def static_spec(readouts: Sequence[Readout]) -> dict:
    """The readouts as they are now, with no stored states."""
    return readout_spec(readouts, read(readouts), [])

