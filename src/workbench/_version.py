"""The installed version, read once (``importlib.metadata`` costs ~0.1 s, so only when asked for)."""

from __future__ import annotations

from functools import cache


@cache
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("workbench")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"
