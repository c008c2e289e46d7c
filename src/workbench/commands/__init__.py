"""Capability commands of the ``workbench`` CLI, one module per capability.

Each module defines ``register(app: typer.Typer) -> None`` and adds its
command(s) there. Inside a command, use :func:`workbench.cli.handled` so that
a :class:`~workbench.errors.WorkbenchError` becomes one readable message and
its exit status, and :func:`workbench.cli.open_store` to open the store chosen
by ``--store`` / ``WORKBENCH_STORE``. Import heavy libraries inside the
command function, not at module level, so ``workbench --help`` stays fast.
"""
