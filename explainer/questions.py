"""Predict, then reveal: the folded answers to the questions the notebooks ask.

A notebook asks a question in a markdown cell (``**Question N.** ...``) and answers it in
the code cell that follows, with ``reveal(...)``: the answer's numbers are computed by that
cell, so the answer stays true whenever the notebook is run again. The answer is shown
folded (an HTML ``<details>`` element) in JupyterLab, in Voila and in the exported pages,
and as plain text to nbval, which compares its numbers run after run.
"""

from __future__ import annotations

from dataclasses import dataclass

SUMMARY = "Answer (predict first, then click)"


@dataclass(frozen=True)
class Answer:
    """A folded answer: markdown (with LaTeX) that opens on a click."""

    markdown: str
    summary: str = SUMMARY

    def _repr_markdown_(self) -> str:
        # blank lines around the body: markdown inside an HTML block is only parsed
        # as markdown when it is separated from the tags by a blank line (CommonMark)
        return f"<details>\n<summary>{self.summary}</summary>\n\n{self.markdown}\n\n</details>\n"

    def __repr__(self) -> str:
        return f"{self.summary}:\n{self.markdown}"


def reveal(markdown: str, *, summary: str = SUMMARY) -> Answer:
    """The folded answer to the question just asked; ``markdown`` carries its numbers,
    formatted by the calling cell from what that cell computed.

    >>> reveal("The midpoint is about 0.3 from the 3/4 moon.")  # doctest: +ELLIPSIS
    Answer (predict first, then click):
    The midpoint is about 0.3 from the 3/4 moon.
    """
    if not isinstance(markdown, str) or not markdown.strip():
        raise ValueError(f"markdown must be a non-empty string (the answer), got {markdown!r}")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError(f"summary must be a non-empty string, got {summary!r}")
    return Answer(markdown.strip(), summary.strip())
