"""A notebook executed top to bottom on a fresh kernel, with the publish layer active in
that kernel (``explainer.publish.kernel``); shared by the exporter and
``tools/execute_notebooks.py``."""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from explainer.publish.extras import require
from explainer.publish.kernel import activation_code

if TYPE_CHECKING:  # pragma: no cover
    from nbformat import NotebookNode


class ActivationError(RuntimeError):
    """The publish layer could not be activated in the notebook's kernel."""


def run_notebook(path: Path, *, png: bool = False, frames: bool = False,
                 env: Mapping[str, str] | None = None, timeout: int = 900) -> NotebookNode:
    """``path`` executed on a fresh kernel (the file itself is not touched), with PNG
    copies (``png``) and precomputed states (``frames``) turned on in that kernel before
    its first cell. ``env``: the kernel's environment (default: this process's)."""
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     record_timing=False,
                                     resources={"metadata": {"path": str(path.parent)}})

    async def activate(**_notebook: object) -> None:
        # silent: no output, no history, no execution count (the cells keep theirs)
        msg_id = client.kc.execute(activation_code(png=png, frames=frames), silent=True,
                                   store_history=False)
        if inspect.isawaitable(msg_id):  # an asynchronous kernel client
            msg_id = await msg_id
        reply = await client.async_wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise ActivationError(f"the publish layer could not be activated in the kernel of "
                                  f"{path}: {content.get('ename')}: {content.get('evalue')}")

    if png or frames:
        client.on_notebook_start = activate
    client.execute(env=dict(os.environ if env is None else env))
    return nb
