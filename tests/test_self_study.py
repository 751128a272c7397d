"""The self-study edition, checked on the stored notebooks: every lecture notebook asks two
to four "predict, then reveal" questions, each answered by a computed, folded answer
before the next question; ends on a takeaway box; cites its sources in the index's
references; and keeps engineering notes out of the lecture text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explainer.questions import Answer, reveal

HERE = Path(__file__).parent.parent / "notebooks"
INDEX = HERE / "00_index.ipynb"
LECTURES = sorted(HERE.glob("0[1-9]_*.ipynb"))

QUESTION = re.compile(r"\*\*Question (\d+)\.\*\*")
TAKEAWAYS = re.compile(r"^> \*\*Takeaways\*\*", re.M)
# a citation: [Kingma & Welling 2014](00_index.ipynb#References)
CITATION = re.compile(r"\[([^\]]+? \d{4})\]\(00_index\.ipynb#References\)")
# an entry of the index's references: - **Kingma & Welling 2014**. ...
REFERENCE = re.compile(r"^- \*\*([^*]+? \d{4})\*\*", re.M)
# what a learner cannot use: timings, benchmarks, cache and training-machinery notes,
# internal names (a constant or a private name in a code span)
ENGINEERING = re.compile(
    r"\b\d+(?:\.\d+)?\s?ms\b|benchmark|warm[- ]?start|foundation|\bcach(?:e|ed|ing)\b"
    r"|\b(?:under|within|about|in) a second\b|\ba few seconds\b|\bseconds\b"
    r"|\bminutes?\b|\bthreads?\b|\bcores?\b|`[A-Z][A-Z0-9]*_[A-Z0-9_]+`|`_\w+",
    re.I)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def answers_in(cell: dict) -> int:
    return sum("<details>" in "".join(out.get("data", {}).get("text/markdown", ""))
               for out in cell.get("outputs", []))


def references() -> set[str]:
    found = set()
    for cell in cells(INDEX):
        if cell["cell_type"] == "markdown" and source(cell).startswith("## References"):
            found |= set(REFERENCE.findall(source(cell)))
    return found


# --------------------------------------------------------------------------- the library
def test_an_answer_is_folded_markdown_and_plain_text_for_nbval():
    answer = reveal("About $0.3$ from the 3/4 moon.")
    assert isinstance(answer, Answer)
    md = answer._repr_markdown_()
    assert md.startswith("<details>\n<summary>") and md.rstrip().endswith("</details>")
    assert "\n\nAbout $0.3$ from the 3/4 moon.\n\n" in md
    assert repr(answer).endswith("About $0.3$ from the 3/4 moon.")


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_an_empty_answer_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="markdown must be a non-empty string"):
        reveal(bad)


# --------------------------------------------------------------------------- the notebooks
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem[:2])
def test_two_to_four_questions_each_answered_before_the_next(path):
    asked: list[int] = []
    answered: list[int] = []
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            assert "<details>" not in source(cell), \
                "answers are computed: reveal(...) in a code cell, not <details> in markdown"
            numbers = [int(n) for n in QUESTION.findall(source(cell))]
            for n in numbers:
                assert len(answered) == len(asked), (f"question {asked[-1]} has no answer "
                                                     f"before question {n}")
                asked.append(n)
        else:
            for _ in range(answers_in(cell)):
                assert len(answered) < len(asked), "an answer with no question before it"
                answered.append(asked[len(answered)])
    assert 2 <= len(asked) <= 4, f"{len(asked)} questions (2 to 4 wanted)"
    assert asked == list(range(1, len(asked) + 1)), f"questions numbered {asked}"
    assert answered == asked, f"answered {answered} of {asked}"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem[:2])
def test_the_last_markdown_cell_is_a_takeaway_box(path):
    last = [source(c) for c in cells(path) if c["cell_type"] == "markdown"][-1]
    assert TAKEAWAYS.search(last), "the notebook should end on '> **Takeaways**' and its points"


def test_the_index_lists_the_references():
    assert {"Kingma & Welling 2014", "Rezende et al. 2014", "Hinton & Salakhutdinov 2006",
            "Higgins et al. 2017", "Burda et al. 2016", "Alemi et al. 2018",
            "Doersch 2016"} <= references()


def test_every_citation_is_listed_and_every_reference_cited():
    listed = references()
    cited: set[str] = set()
    for path in LECTURES:
        for cell in cells(path):
            if cell["cell_type"] == "markdown":
                found = set(CITATION.findall(source(cell)))
                assert found <= listed, f"{path.stem}: {sorted(found - listed)} not in the index"
                cited |= found
    assert listed <= cited, f"listed but cited nowhere: {sorted(listed - cited)}"


@pytest.mark.parametrize("path", [INDEX, *LECTURES], ids=lambda p: p.stem[:2])
def test_no_engineering_note_in_the_lecture_text(path):
    notes = []
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] == "markdown":
            text = source(cell)
            if path == INDEX and text.startswith("# "):
                text = ""  # the index's first cell tells lecturers how to prepare
            notes += [f"cell {i}: ...{text[max(0, m.start() - 40):m.end() + 20]!r}..."
                      for m in ENGINEERING.finditer(text)]
    assert not notes, "engineering notes belong in the README or benchmarks/:\n" + "\n".join(notes)
