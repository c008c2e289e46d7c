"""What every notebook page shares: which store it reads, errors shown on the page, and app mode.

Under ``marimo run`` a notebook is a read-only app for stakeholders: the store is opened read-only (waiting
while a writer holds it) and nothing is written, to the store or to disk. Errors never reach the page as a
traceback: :func:`attempt` turns them into the message the CLI would print, for a callout where the output
would have been.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import WorkbenchError
from ..safety import console_message, redact_url
from ..store import resolve_target


def store_label() -> str:
    """The store this page reads, as shown to people (secrets redacted)."""
    return redact_url(resolve_target(None))


def _mode() -> str | None:
    try:
        import marimo as mo

        return mo.app_meta().mode
    except Exception:  # noqa: BLE001 - outside marimo there is no mode
        return None


def attempt(fn: Callable[..., Any], *args, **kwargs) -> tuple[Any, str | None]:
    """``(fn(...), None)``, or ``(None, message)`` when it raised: a workbench error's own message (the one
    the CLI prints), or for anything else its type and text, never a traceback.

    Run as a script (``python notebook.py``) there is no page: the error is raised, so the run fails with
    its message and a non-zero status.
    """
    try:
        return fn(*args, **kwargs), None
    except WorkbenchError as exc:
        if _mode() == "script":
            raise
        return None, console_message(str(exc), markup=False)
    except Exception as exc:  # noqa: BLE001 - a page shows every error as a message
        if _mode() == "script":
            raise
        return None, console_message(f"Unexpected error ({type(exc).__name__}): {exc}", markup=False)


def app_mode() -> bool:
    """True when the notebook runs as a read-only app (``marimo run``), where write actions are off.

    Called first by every notebook: in app mode it also switches the process to read-only
    (``WORKBENCH_READ_ONLY=1``), so the store is never opened for writing and no file is written (exports,
    on-disk caches), whatever a cell asks for.
    """
    if os.environ.get("WORKBENCH_READ_ONLY") == "1":
        return True
    running_as_app = _mode() == "run"
    if running_as_app:
        os.environ["WORKBENCH_READ_ONLY"] = "1"
    return running_as_app
