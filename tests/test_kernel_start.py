"""A kernel's start: the IRI grammar jsonschema would build at import is built only when an
IRI is checked (explainer.kernel_start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
import explainer
import plotly.io, nbformat, jsonschema  # what showing a figure imports
print("lark" in sys.modules)
from jsonschema import Draft7Validator, FormatChecker
iri = Draft7Validator({"format": "iri"}, format_checker=FormatChecker())
print(iri.is_valid("http://example.org/\u00fc"), iri.is_valid("http://exa mple.org"))
print("lark" in sys.modules, type(sys.modules["rfc3987_syntax"]).__name__)
"""


def test_the_iri_parser_is_built_on_first_use_and_still_checks():
    pytest.importorskip("rfc3987_syntax")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert out == ["False", "True", "False", "True", "module"]


def test_nothing_is_deferred_once_the_package_is_imported():
    from explainer import kernel_start

    pytest.importorskip("rfc3987_syntax")
    assert kernel_start.defer_iri_parser() is False  # imported above, or its stand-in is
