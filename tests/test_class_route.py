"""The class route on this machine (README, "Teaching a class"): the cache filled as Binder's
``postBuild`` fills it (``tools/fill_cache.py``), then every notebook run again with the
network unplugged and the cache folder mounted read-only, computing nothing
(``tools/fill_cache.py --check`` reads ``explainer.cache.computed`` in each kernel).

The unplugged network and the read-only folder are a network and a mount namespace of their
own (``unshare``), which needs root; elsewhere the test is skipped, saying why. The kernels
run in the tests' numerics mode, whose cache nbval fills first in ``make test``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explainer import cache
from explainer.publish.export import lecture_notebooks

ROOT = Path(__file__).resolve().parents[1]
FILL = [sys.executable, str(ROOT / "tools" / "fill_cache.py")]
# the notebooks' cache (VAE_EXPLAINER_CACHE or ~/.cache/vae-explainer), read before the
# tests' autouse fixture points the library at a temporary folder
NOTEBOOK_CACHE = cache.cache_dir()


def isolated(command: list[str], folder: Path) -> list[str]:
    """``command`` run with no network but loopback (the kernels talk to their client over
    it) and ``folder`` read-only."""
    script = ('ip link set lo up && mount --bind "$1" "$1" && '
              'mount -o remount,bind,ro "$1" && shift && exec "$@"')
    return ["unshare", "--net", "--mount", "sh", "-c", script, "sh", str(folder), *command]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
                    reason="the class route's test needs root, unshare and ip (network and "
                           "mount namespaces)")
def test_a_filled_cache_serves_every_notebook_offline_and_read_only():
    folder = NOTEBOOK_CACHE
    env = {**os.environ, cache.ENV_VAR: str(folder)}
    subprocess.run(FILL, check=True, cwd=ROOT, capture_output=True, text=True, env=env)
    # the namespaces themselves work: no route out, and the folder refuses a write
    probe = subprocess.run(isolated([sys.executable, "-c", (
        "import socket, sys\n"
        "s = socket.socket(); s.settimeout(2)\n"
        "print(s.connect_ex(('192.0.2.1', 80)) != 0)\n"
        "try:\n"
        f"    open({str(folder / '.probe')!r}, 'w')\n"
        "except OSError as err:\n"
        "    print(err.errno == 30)\n")], folder), capture_output=True, text=True, check=True,
        env=env)
    assert probe.stdout.split() == ["True", "True"], probe
    check = subprocess.run(isolated([*FILL, "--check"], folder), cwd=ROOT, capture_output=True,
                           text=True, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    lines = [line for line in check.stdout.splitlines() if line.endswith("computed")]
    assert len(lines) == len(lecture_notebooks(ROOT / "notebooks"))
    assert all(line.endswith(", 0 cache files computed") for line in lines), lines
