"""environment.yml (conda-forge, Binder) and pyproject.toml name the same dependencies."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch-cpu": "torch", "python-kaleido": "kaleido"}
NOT_DEPENDENCIES = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_and_pyproject_name_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pypi |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip_entries = set(), []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_entries = dep["pip"]
        else:
            name = _name(dep)
            conda.add(CONDA_TO_PYPI.get(name, name))
    conda -= NOT_DEPENDENCIES
    assert conda == pypi, (f"only in environment.yml: {conda - pypi}; "
                           f"only in pyproject: {pypi - conda}")
    assert "conda-forge" in env["channels"]
    assert pip_entries == ["-e ."]
    assert env["dependencies"][-1] == {"pip": ["-e ."]}


def test_anywidget_is_listed_for_figurewidget():
    import plotly.graph_objects as go

    go.FigureWidget()  # plotly >= 6 needs anywidget for this
