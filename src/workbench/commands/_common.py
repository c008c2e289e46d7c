"""What every command shares: the consoles, the store chosen by ``--store``, and turning errors into messages.

Commands import this module, never :mod:`workbench.cli`, so imports flow one
way (CLI -> commands -> capabilities).
"""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console

from ..errors import WorkbenchError

# emoji=False: a label such as ':warning:' stays text
err = Console(stderr=True, soft_wrap=True, emoji=False)
out = Console(soft_wrap=True, emoji=False)


class _State:
    store: str | None = None


state = _State()


def print_error(message: str) -> None:
    """An error paragraph on stderr. The message may quote data (labels, ids) and store URLs: secrets are
    redacted, control characters shown escaped, and nothing is read as console markup."""
    from ..safety import console_message

    err.print("[bold red]error:[/] ", end="", highlight=False)
    err.print(console_message(str(message), markup=False), markup=False, highlight=False, soft_wrap=True)


def data_text(value) -> str:
    """A value from the data as inert console text (no markup, control characters escaped, long values cut)."""
    from ..safety import console_text

    return console_text(value, markup=False)


@contextmanager
def handled():
    """Turn workbench errors into one readable paragraph and their exit status."""
    try:
        yield
    except WorkbenchError as exc:
        print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None


def open_store(*, read_only: bool):
    from ..store import Store

    return Store.open(state.store, read_only=read_only)
