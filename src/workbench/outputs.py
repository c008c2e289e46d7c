"""The one way the workbench writes files: whole or not at all.

Every output of the command line (CSV, JSON, Parquet, HTML pages, report folders) goes through these helpers,
so that a crash, a full disk or a ``kill -9`` in the middle of a write leaves either the previous complete file
(or folder) or the new complete one, never a part or a mix:

* :func:`write_text`, :func:`write_bytes`, :func:`write_csv`, :func:`write_json`, :func:`write_parquet` write to
  a temporary file in the target's folder (hidden, named with the process id), flush and ``fsync`` it, then
  ``os.replace`` it onto the target (atomic on POSIX and Windows) and ``fsync`` the folder.
* :func:`atomic_folder` yields a temporary folder beside the final one; on success it takes the final name in
  one step (on Linux an atomic exchange with the old folder, elsewhere the old folder is moved aside first, the
  new one renamed into place, then the old one deleted); on error it is removed and the old folder is intact.

Parent folders are created. A path that cannot be written (a parent that is a regular file, a folder without
write permission, a full disk) raises :class:`~workbench.errors.BadInputError` naming the path and what to do,
which the command line shows as one paragraph with exit status 2. Temporary files of a process that was killed
are removed by the next write to the same target.

:func:`json_safe` turns results into plain JSON values (used by :func:`write_json`, and by anything that prints
JSON): NaN and infinities become ``null``, numpy scalars Python numbers, timestamps ISO 8601 strings.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_json({"share": float("nan"), "n": np.int64(3)}, folder / "out" / "summary.json").read_text()
'{\\n "share": null,\\n "n": 3\\n}\\n'
>>> with atomic_folder(folder / "2026-W41") as tmp:
...     _ = write_text(tmp / "index.html", "<p>report</p>")
>>> sorted(p.name for p in folder.iterdir())
['2026-W41', 'out']
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import BadInputError
from .results import json_safe
from .safety import defuse_frame, redact_url

__all__ = [
    "atomic_folder",
    "json_safe",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text",
]

READ_ONLY_ENV = "WORKBENCH_READ_ONLY"


def read_only_mode() -> bool:
    """True in a read-only app (``marimo run``): nothing may be written, to the store or to disk."""
    return os.environ.get(READ_ONLY_ENV) == "1"


def refuse_in_read_only_mode(path) -> None:
    if read_only_mode():
        raise BadInputError(
            f"This page runs as a read-only app, so it writes nothing (not {path}). "
            "Open the notebook with `marimo edit` to export."
        )


_TMP_TAG = ".wbtmp"  # temporary names: .<name>.<pid>.<random>.wbtmp (files), ...wbtmp-dir / ...wbold-dir (folders)


# --- JSON ---------------------------------------------------------------------------------------------------------


def _bad_path(path: Path, exc: OSError, *, what: str = "write") -> BadInputError:
    """A :class:`BadInputError` saying why ``path`` cannot be written and what to do."""
    shown = redact_url(str(path))
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        fix = (
            f"folder {redact_url(str(path.parent))} is not writable (permission denied). "
            "Choose a folder you can write to"
        )
    elif exc.errno == errno.EROFS:
        fix = "the file system is read-only. Choose a folder on a writable disk"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "the disk is full (or the quota is used up). Free some space or choose another disk"
    elif exc.errno == errno.ENAMETOOLONG:
        fix = "the name is too long. Choose a shorter path"
    else:
        fix = f"{exc.strerror or exc}. Choose another output path"
    return BadInputError(f"Cannot {what} {shown}: {fix}.")


def _first_file_ancestor(folder: Path) -> Path | None:
    """The first existing ancestor of ``folder`` (itself included) that is not a folder, if any."""
    for candidate in (folder, *folder.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def _prepare_parent(path: Path) -> Path:
    """Create ``path``'s parent folders; raise :class:`BadInputError` when they cannot be made or written."""
    parent = path.parent
    blocker = _first_file_ancestor(parent)
    if blocker is not None:
        raise BadInputError(
            f"Cannot write {redact_url(str(path))}: {redact_url(str(blocker))} is a file, not a folder. "
            "Choose another output path, or move that file away."
        )
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _bad_path(path, exc) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInputError(
            f"Cannot write {redact_url(str(path))}: folder {redact_url(str(parent))} is not writable "
            "(permission denied). Choose a folder you can write to."
        )
    return parent


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill would terminate the process on Windows: never sweep there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _sweep(parent: Path, name: str) -> None:
    """Remove temporary files and folders of ``name`` left by processes that no longer run (a ``kill -9``)."""
    prefix = f".{name}."
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix) and _TMP_TAG in e.name]
    except OSError:
        return
    for entry in entries:
        pid_text = entry.name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)


def _temp_name(name: str, kind: str = "") -> str:
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_TAG}{kind}"


# --- files --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str], *, binary: bool) -> Iterator[IO[Any]]:
    """An open temporary file beside ``path``; on success it is synced and replaces ``path``."""
    refuse_in_read_only_mode(path)
    path = Path(path)
    if path.is_dir():
        raise BadInputError(
            f"Cannot write {redact_url(str(path))}: it is a folder. Give a file name (e.g. {path / 'out'})."
        )
    parent = _prepare_parent(path)
    _sweep(parent, path.name)
    tmp = parent / _temp_name(path.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _bad_path(path, exc) from exc
    try:
        with contextlib.suppress(OSError):  # replacing a file keeps its permissions
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        mode = "wb" if binary else "w"
        kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _bad_path(path, exc) from exc
        raise
    _fsync_folder(parent)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` crash-safely (temporary file, ``fsync``, ``os.replace``).

    Parameters
    ----------
    path : str or path-like
        The file; its parent folders are created.
    data : bytes

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    BadInputError
        When ``path`` cannot be written (a parent is a file, no permission, disk full, ``path`` is a folder).
    """
    with _replacing(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8, crash-safely; newlines are written as given.

    See :func:`write_bytes` for the parameters, return value and errors.
    """
    return write_bytes(path, text.encode("utf-8"))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, for_people: bool = True) -> Path:
    """Write ``frame`` as a UTF-8 CSV without its index, crash-safely.

    Parameters
    ----------
    frame : pandas.DataFrame
        Not changed.
    path : str or path-like
    for_people : bool, default True
        The file is meant to be opened by people (in a spreadsheet): text cells that a spreadsheet would run as
        formulas get a leading ``'`` (:func:`workbench.safety.defuse_frame`). Pass ``False`` for files that
        programs read back (they then hold the values exactly).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    BadInputError
        See :func:`write_bytes`.
    """
    if for_people:
        frame = defuse_frame(frame)
    with _replacing(path, binary=False) as handle:
        frame.to_csv(handle, index=False)
    return Path(path)


def write_json(obj: Any, path: str | os.PathLike[str], *, indent: int | None = 1, redact: bool = True) -> Path:
    """Write ``obj`` as JSON, crash-safely, after :func:`json_safe` (NaN as ``null``, timestamps as text).

    Parameters
    ----------
    obj : object
    path : str or path-like
    indent : int or None, default 1
    redact : bool, default True
        Redact secrets of connection URLs in every string, keys included (:func:`workbench.safety.redact_url`),
        so a store URL with a password in a summary never reaches the file. Strings are redacted one by one,
        before serialising, so the JSON stays valid whatever they hold.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    BadInputError
        See :func:`write_bytes`.
    """
    value = json_safe(obj)
    if redact:
        value = _redact_strings(value)
    return write_text(path, json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False) + "\n")


def _redact_strings(value: Any) -> Any:
    """:func:`redact_url` on every string of a JSON-safe value (keys too)."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, dict):
        return {redact_url(k): _redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    return value


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as Parquet without its index, crash-safely.

    See :func:`write_bytes` for the return value and errors.
    """
    with _replacing(path, binary=True) as handle:
        frame.to_parquet(handle, index=False)
    return Path(path)


# --- folders ------------------------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Any:
    """glibc's ``renameat2``, or None (not Linux, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # an old kernel or a file system without it: fall back
    raise OSError(code, os.strerror(code), str(b))


def _fsync_tree(folder: Path) -> None:
    """``fsync`` every file and folder under ``folder``, so its content is on disk before it takes the name."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_folder(Path(root))


def _restore_interrupted(final: Path) -> None:
    """After a crash between moving the old folder aside and renaming the new one: put the old one back."""
    if final.exists():
        return
    prefix = f".{final.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(final.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(f"{_TMP_TAG}-old") and entry.is_dir():
                pid_text = entry.name[len(prefix) :].split(".", 1)[0]
                if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                    os.rename(entry.path, final)
                    return


@contextlib.contextmanager
def atomic_folder(final_path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder that takes the name ``final_path`` only once everything in it is written.

    Yields a new, empty folder beside ``final_path`` (same parent, hidden name with the process id). When the
    ``with`` block succeeds, its files are synced to disk and it replaces ``final_path``:

    * on Linux in one atomic step (``renameat2(RENAME_EXCHANGE)``): a reader finds the old complete folder or
      the new complete one, never a missing or partial one;
    * elsewhere, or on a file system without it, the old folder is first moved aside, the new one renamed into
      place, then the old one deleted: a reader finds the old folder, the new one, or (for that instant)
      neither; if the process dies in between, the next write of the same folder puts the old one back first.

    When the block raises, the temporary folder is removed and ``final_path`` is left as it was.

    Parameters
    ----------
    final_path : str or path-like
        The folder to create or replace; its parent folders are created.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.

    Raises
    ------
    BadInputError
        When the folder cannot be written (``final_path`` or a parent is a file, no permission, disk full).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> week = pathlib.Path(tempfile.mkdtemp()) / "reports" / "2026-W41"
    >>> with atomic_folder(week) as tmp:
    ...     _ = write_csv(pd.DataFrame({"label": ["=1+1"]}), tmp / "labels.csv")
    >>> (week / "labels.csv").read_text()
    "label\\n'=1+1\\n"
    """
    refuse_in_read_only_mode(final_path)
    final = Path(final_path)
    if final.exists() and not final.is_dir():
        raise BadInputError(
            f"Cannot write folder {redact_url(str(final))}: a file has that name. "
            "Choose another output folder, or move that file away."
        )
    parent = _prepare_parent(final)
    _restore_interrupted(final)
    _sweep(parent, final.name)
    tmp = parent / _temp_name(final.name, "-dir")
    try:
        tmp.mkdir()
    except OSError as exc:
        raise _bad_path(final, exc) from exc
    try:
        yield tmp
        _fsync_tree(tmp)
        _install(tmp, final)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _bad_path(final, exc) from exc
        raise


def _install(tmp: Path, final: Path) -> None:
    """Give ``tmp`` the name ``final``, replacing a folder already there (see :func:`atomic_folder`)."""
    parent = final.parent
    if not final.exists():
        os.rename(tmp, final)
        _fsync_folder(parent)
        return
    if _exchange(tmp, final):  # tmp now holds the old folder
        _fsync_folder(parent)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = parent / _temp_name(final.name, "-old")
    os.rename(final, old)
    try:
        os.rename(tmp, final)
    except BaseException:
        os.rename(old, final)  # put the old one back
        raise
    _fsync_folder(parent)
    shutil.rmtree(old, ignore_errors=True)
