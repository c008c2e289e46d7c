"""What every command shares: the consoles, the store chosen by ``--store``, and turning errors into messages.

Commands import this module, never :mod:`workbench.cli`, so imports flow one
way (CLI -> commands -> capabilities).
"""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console

from ..errors import WorkbenchError

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class _State:
    store: str | None = None


state = _State()


@contextmanager
def handled():
    """Turn workbench errors into one readable paragraph and their exit status."""
    try:
        yield
    except WorkbenchError as exc:
        # The message may quote data (labels, ids): print it as literal text, never as console markup.
        err.print("[bold red]error:[/] ", end="", highlight=False)
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def open_store(*, read_only: bool):
    from ..store import Store

    return Store.open(state.store, read_only=read_only)
