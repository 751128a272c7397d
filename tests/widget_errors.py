"""A check shared by the widget tests: a callback's exception is shown on the page and raised."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def assert_error_shown(widget, monkeypatch: pytest.MonkeyPatch, target: object, attribute: str,
                       change: Callable[[], None], *,
                       error: Exception = RuntimeError("boom")) -> None:
    """Make ``target.attribute`` raise ``error``, run ``change`` (a control's new value),
    and check that the error propagates and is written into ``widget.errors``."""

    def broken(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(target, attribute, broken)
    with pytest.raises(type(error), match=str(error).replace("[", r"\[")):
        change()
    assert str(error) in widget.errors.outputs[0]["text"]
