"""Chromium and servers for the browser tests and the page-speed benchmark: JupyterLab and
Voila (lecture mode) on free loopback ports, serving copies of the notebooks, always stopped."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from explainer import cache
from explainer.cache import ENV_VAR as VAE_CACHE_VAR
from explainer.publish.export import lecture_notebooks
from tools.present import voila_command, voila_environment

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = lecture_notebooks(ROOT / "notebooks")
CHROMIUM = Path(os.environ.get("VAE_EXPLAINER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no answer from {url} within {timeout:.0f} s")


# The model cache the notebooks use (VAE_EXPLAINER_CACHE or ~/.cache/vae-explainer), read
# before any test's fixture points the library at a temporary one: the servers run the real
# notebooks as a lecturer would, warm when nbval (run first by `make test`) has filled it.
NOTEBOOK_CACHE = cache.cache_dir()


def serve_copies(folder: Path) -> Path:
    """Copy the notebooks and the test-only notebooks (tests/browser/*.ipynb) into ``folder``:
    servers work on copies, so autosave and runs never touch the repository's files."""
    for nb in NOTEBOOKS + sorted((ROOT / "tests" / "browser").glob("*.ipynb")):
        shutil.copy(nb, folder / nb.name)
    return folder


@contextlib.contextmanager
def server(cmd: list[str], *, ready: str, log: Path,
           env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` until the block ends; wait until ``ready`` answers; always stop it."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, VAE_CACHE_VAR: str(NOTEBOOK_CACHE), **env})
        try:
            wait_for_http(ready)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def lab_server(folder: Path, settings: Path) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving copies of the notebooks in ``folder``, with every cell
    rendered (no virtual scrolling) and no news check; yields its URL."""
    serve_copies(folder)
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    with server(cmd, ready=f"{url}/api/status", log=folder / "server.log",
                env={"JUPYTERLAB_SETTINGS_DIR": str(settings)}):
        yield url


class ServerUrl(str):
    """A server's URL that can also wait until the server and its kernels are quiet."""

    pid: int

    def settle(self, *, timeout: float = 300.0) -> float:
        """:func:`wait_until_quiet` for this server: e.g. after a Voila page took its
        preheated kernel, until Voila has run the notebook in the next one, as it has long
        done when a lecturer opens the next page."""
        return wait_until_quiet(self.pid, timeout=timeout)


@contextlib.contextmanager
def voila_server(folder: Path, *, preheat: bool = True) -> Iterator[ServerUrl]:
    """Voila in lecture mode, as `make present` runs it, serving copies of the notebooks in
    ``folder``; yields its URL (a :class:`ServerUrl`)."""
    serve_copies(folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = voila_command(folder, port=port, open_browser=False, preheat=preheat)
    with server(cmd, ready=f"{url}/voila/tree",
                log=folder / "server.log", env=voila_environment()) as proc:
        if preheat:
            wait_for_preheat(proc, folder / "server.log", len(list(folder.glob("*.ipynb"))))
        served = ServerUrl(url)
        served.pid = proc.pid
        yield served


def wait_for_preheat(proc: subprocess.Popen, log: Path, notebooks: int, *,
                     timeout: float = 900.0) -> float:
    """Wait until Voila has a kernel for each of ``notebooks`` and those kernels have run
    their notebooks (a lecturer starts `make present` before the class); returns the
    seconds waited. Voila logs when a pool's kernel starts, not when it has run the
    notebook, so the end is read off the server's child processes: their CPU time stops
    growing (Linux /proc)."""
    start = time.monotonic()
    while (filled := log.read_text().count("is filled with")) < notebooks:
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{filled} of {notebooks} kernel pools filled after {timeout:.0f} s")
        time.sleep(0.5)
    wait_until_quiet(proc.pid, timeout=timeout - (time.monotonic() - start))
    return time.monotonic() - start


def wait_until_quiet(pid: int, *, quiet: float = 3.0, timeout: float = 300.0) -> float:
    """Wait until the server ``pid`` and its kernels have used no CPU for ``quiet`` seconds
    (e.g. Voila preparing the next kernel of a pool after a page took one); returns the
    seconds waited."""
    start = time.monotonic()
    last, quiet_since = process_cpu_seconds(pid), time.monotonic()
    while time.monotonic() - quiet_since < quiet:
        time.sleep(0.5)
        now = process_cpu_seconds(pid)
        if now - last > 0.05:  # still busy
            quiet_since = time.monotonic()
        last = now
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"server and kernels still busy after {timeout:.0f} s")
    return time.monotonic() - start


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its direct children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:  # the process ended meanwhile
            continue
        fields = tail.split()
        # fields[1] is the parent's pid; the process's own pid leads the line
        if int(fields[1]) == pid or int(head.split(" (", 1)[0]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total
