"""Lecture mode's command line (tools/present.py) and its offline template."""

from pathlib import Path

import pytest

from tools.present import TEMPLATES, voila_command, voila_environment


def test_voila_serves_on_loopback_with_the_lecture_template():
    cmd = voila_command(Path("notebooks"), port=8866, open_browser=False)
    assert "--Voila.ip=127.0.0.1" in cmd
    assert "--template=lecture" in cmd
    assert "--no-browser" in cmd
    assert "--no-browser" not in voila_command(Path("notebooks"), port=8866)
    assert "--preheat_kernel=True" in cmd
    assert "--preheat_kernel=True" not in voila_command(Path("nb"), port=8866, preheat=False)


@pytest.mark.parametrize("port", [0, -1, 70000])
def test_a_bad_port_is_refused_with_its_range(port):
    with pytest.raises(ValueError, match=r"port must be in \[1, 65535\]"):
        voila_command(Path("notebooks"), port=port)


def test_the_template_is_found_on_the_jupyter_path(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    paths = voila_environment()["JUPYTER_PATH"].split(":")
    assert paths == [str(TEMPLATES), "/elsewhere"]
    template = TEMPLATES / "voila" / "templates" / "lecture"
    assert (template / "conf.json").exists() and (template / "index.html.j2").exists()
    # that it fetches nothing remote is checked in a real browser: tests/browser/test_voila.py
