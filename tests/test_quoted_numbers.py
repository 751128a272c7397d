"""Every decimal number and percentage a notebook's text quotes is printed by an output of
the same notebook (allowing for rounding), so that re-executing a notebook cannot leave its
text behind. Definitions (settings chosen by the text, such as a slider's starting point)
are listed below, each with the reason it needs no output."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from explainer.publish.export import lecture_notebooks

NOTEBOOKS = lecture_notebooks(Path(__file__).parent.parent / "notebooks")

# a decimal number (0.35, 1,348.5, .5 is not used) or a percentage (90%, 98.9 %)
QUOTED = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})*|\d+)(\.\d+)?(\s?%)?(?![\w])")
# what a quote is never taken from: code spans, links' targets, HTML tags
NOT_TEXT = re.compile(r"`[^`]*`|\]\([^)]*\)|<[^>]+>")

# numbers the text sets rather than measures, per notebook: (number as quoted, why)
DEFINITIONS: dict[str, list[tuple[str, str]]] = {
    "01": [("0.05", "the linear autoencoder's gradient-descent step size"),
           ("0.003", "the deep autoencoder's Adam step size")],
    "05": [
        ("0.15", "the analytic decoder's constant sigma(z): a setting the text defines and the "
                 "code passes as analytic_decoder(target, sigma=0.15)"),
    ],
}


def quoted_numbers(markdown: str) -> list[str]:
    """The decimal numbers and percentages in ``markdown``, as written (commas removed)."""
    found = []
    for m in QUOTED.finditer(NOT_TEXT.sub(" ", markdown)):
        whole, fraction, percent = m.group(1), m.group(2), m.group(3)
        if fraction or percent:
            found.append(whole.replace(",", "") + (fraction or "") + ("%" if percent else ""))
    return found


def printed_numbers(notebook: dict) -> list[Decimal]:
    """Every number in the text the notebook's code cells print (streams and plain-text
    results); a percentage counts both as written and as a fraction."""
    values = []
    for cell in notebook["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            for m in re.finditer(r"-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?", text):
                number = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
                values.append(number)
                if m.group(3):
                    values.append(number / 100)
    return values


def is_printed(quote: str, printed: list[Decimal]) -> bool:
    """Whether some printed number rounds to ``quote`` at the quote's precision (a
    percentage may also be printed as a fraction)."""
    percent = quote.endswith("%")
    q = Decimal(quote.rstrip("%"))
    step = Decimal(1).scaleb(q.as_tuple().exponent)  # 0.01 for "0.35", 1 for "90"
    candidates = [q, q / 100] if percent else [q]
    for target in candidates:
        unit = step / 100 if target is not q else step
        for p in printed:
            if abs(abs(p) - target) <= unit / 2:
                return True
    return False


def unprinted_quotes(path: Path) -> list[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    printed = printed_numbers(notebook)
    defined = {number for number, _ in DEFINITIONS.get(path.stem[:2], [])}
    missing = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for quote in quoted_numbers("".join(cell["source"])):
            if quote not in defined and not is_printed(quote, printed):
                missing.append(f"cell {i}: {quote}")
    return missing


def test_quotes_are_found_as_written():
    text = "about 0.35 of it, 98.9% inside, 1,348.5 nats, `0.77` in code, $\\beta = 0.1$, 4,000"
    assert quoted_numbers(text) == ["0.35", "98.9%", "1348.5", "0.1"]


def test_a_quote_matches_a_printed_number_at_its_own_precision():
    printed = [Decimal("0.3449"), Decimal("89.6"), Decimal("0.912")]
    assert is_printed("0.34", printed) and not is_printed("0.35", printed)
    assert is_printed("90%", printed) and is_printed("91.2%", printed)
    assert not is_printed("98.9%", printed)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_quoted_number_is_printed_by_the_notebook(path):
    missing = unprinted_quotes(path)
    assert not missing, f"{path.name} quotes numbers no output prints: {missing}"
