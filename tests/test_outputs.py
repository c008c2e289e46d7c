"""Outputs are whole or absent: crash-safe files and folders, JSON-safe values, unwritable paths as bad input."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import outputs
from workbench.errors import BadInputError
from workbench.outputs import (
    atomic_folder,
    json_safe,
    write_bytes,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)

SRC = str(Path(workbench.__file__).resolve().parents[1])


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary entries the writers leave only when killed."""
    return sorted(p.name for p in folder.iterdir() if outputs._TMP_TAG in p.name)


def dead_pid() -> int:
    """The id of a process that has finished."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# --- json_safe ----------------------------------------------------------------------------------------------------


class Colour(enum.StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Point:
    x: float
    y: float


class Result:
    def to_dict(self):
        return {"alpha": np.float64(0.25), "n": np.int32(4)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.float32(0.5), 0.5),
        (np.float64("nan"), None),
        (float("inf"), None),
        (-float("inf"), None),
        (np.bool_(True), True),
        (True, True),
        (None, None),
        (pd.NA, None),
        (pd.NaT, None),
        (np.datetime64("NaT"), None),
        (pd.Timestamp("2026-10-05 09:12"), "2026-10-05T09:12:00"),
        (pd.Timestamp("2026-10-05 09:12", tz="UTC"), "2026-10-05T09:12:00+00:00"),
        (np.datetime64("2026-10-05T09:12:00.5"), "2026-10-05T09:12:00.500000"),
        (dt.date(2026, 10, 5), "2026-10-05"),
        (pd.Timedelta(seconds=90), 90.0),
        (np.timedelta64(2, "s"), 2.0),
        (decimal.Decimal("1.5"), 1.5),
        (decimal.Decimal("NaN"), None),
        (np.str_("cat"), "cat"),
        (Path("reports/2026-W41"), "reports/2026-W41"),
        (Colour.RED, "red"),
        ((1, np.int8(2)), [1, 2]),
        ({3, 1, 2}, [1, 2, 3]),
        (np.array([1.0, np.nan]), [1.0, None]),
        (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
        (np.array(["2026-10-05", "NaT"], dtype="datetime64[D]"), ["2026-10-05T00:00:00", None]),
        (pd.Series([1.0, np.nan]), [1.0, None]),
        (pd.DataFrame({"a": [1, 2], "b": [np.nan, "x"]}), [{"a": 1, "b": None}, {"a": 2, "b": "x"}]),
        (Result(), {"alpha": 0.25, "n": 4}),
        (Point(1.0, float("nan")), {"x": 1.0, "y": None}),
        (object, str(object)),
    ],
)
def test_json_safe(value, expected):
    out = json_safe(value)
    json.dumps(out, allow_nan=False)  # always serialisable, without NaN
    assert out == expected
    assert type(out) is type(expected)


def test_json_safe_keys_become_strings():
    keys = {1: "a", None: "b", np.int64(2): "c", pd.Timestamp("2026-10-05"): "d", 0.5: "e", (1, 2): "f"}
    assert json_safe(keys) == {"1": "a", "null": "b", "2": "c", "2026-10-05T00:00:00": "d", "0.5": "e", "[1, 2]": "f"}


def test_json_safe_leaves_the_input_unchanged():
    value = {"x": [np.float64("nan")], "y": {"z": np.int64(1)}}
    json_safe(value)
    assert np.isnan(value["x"][0]) and isinstance(value["y"]["z"], np.int64)


# --- file writers -------------------------------------------------------------------------------------------------


def test_write_text_and_bytes_create_parents(tmp_path):
    path = write_text(tmp_path / "a" / "b" / "page.html", "<p>é</p>\n")
    assert path.read_bytes() == "<p>é</p>\n".encode()
    write_bytes(tmp_path / "a" / "data.bin", b"\x00\x01")
    assert (tmp_path / "a" / "data.bin").read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path / "a") == [] and leftovers(tmp_path / "a" / "b") == []


def test_write_text_replaces_and_keeps_permissions(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(0o640)
    write_text(path, "new")
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o640


def test_write_csv_for_people_defuses_formulas(tmp_path):
    frame = pd.DataFrame({"item_id": ["it1", "it2"], "label": ['=HYPERLINK("x")', "-1"], "score": [-0.5, 2.0]})
    path = write_csv(frame, tmp_path / "labels.csv")
    assert path.read_text() == 'item_id,label,score\nit1,"\'=HYPERLINK(""x"")",-0.5\nit2,-1,2.0\n'
    assert frame["label"].iloc[0] == '=HYPERLINK("x")'  # the input is not changed


def test_write_csv_for_programs_keeps_values(tmp_path):
    frame = pd.DataFrame({"label": ["=1+1", "@x"], "n": [1, 2]})
    write_csv(frame, tmp_path / "machine.csv", for_people=False)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "machine.csv"), frame)


def test_write_parquet_round_trips(tmp_path):
    frame = pd.DataFrame({"item_id": ["a", "b"], "t": pd.to_datetime(["2026-10-05", "2026-10-06"])})
    write_parquet(frame, tmp_path / "x" / "frame.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "x" / "frame.parquet"), frame)


def test_write_json_is_strict_json_and_redacts(tmp_path):
    summary = {
        "store": "postgres://ana:s3cret@db/labels",
        "share": np.float64("nan"),
        "n": np.int64(3),
        "week_start": pd.Timestamp("2026-10-05"),
        'quoted "pg://u:pw@h"': ["x@y", "https://x.org/?token=abc"],
    }
    text = write_json(summary, tmp_path / "report.json").read_text()
    assert "s3cret" not in text and "abc" not in text and "NaN" not in text
    assert json.loads(text) == {
        "store": "postgres://ana:***@db/labels",
        "share": None,
        "n": 3,
        "week_start": "2026-10-05T00:00:00",
        'quoted "pg://u:***@h"': ["x@y", "https://x.org/?token=***"],
    }
    raw = write_json({"store": "postgres://ana:s3cret@db"}, tmp_path / "raw.json", redact=False).read_text()
    assert "s3cret" in raw


# --- unwritable paths ---------------------------------------------------------------------------------------------


def test_parent_that_is_a_file_is_bad_input(tmp_path):
    (tmp_path / "reports").write_text("not a folder")
    target = tmp_path / "reports" / "2026-W41" / "report.json"
    with pytest.raises(BadInputError) as info:
        write_json({}, target)
    message = str(info.value)
    assert str(target) in message and f"{tmp_path / 'reports'} is a file, not a folder" in message
    assert "Choose another output path" in message
    with pytest.raises(BadInputError, match="is a file, not a folder"):
        with atomic_folder(tmp_path / "reports" / "2026-W41"):
            pass


def test_target_that_is_a_folder_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="it is a folder"):
        write_text(tmp_path, "x")


def test_folder_target_that_is_a_file_is_bad_input(tmp_path):
    (tmp_path / "2026-W41").write_text("x")
    with pytest.raises(BadInputError, match="a file has that name"):
        with atomic_folder(tmp_path / "2026-W41"):
            pass


def test_folder_without_write_permission_is_bad_input(tmp_path, monkeypatch):
    # (checked through os.access: the tests may run as root, who may write anywhere)
    monkeypatch.setattr(outputs.os, "access", lambda *a, **k: False)
    with pytest.raises(BadInputError) as info:
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "out.csv")
    assert str(info.value) == (
        f"Cannot write {tmp_path / 'out.csv'}: folder {tmp_path} is not writable (permission denied). "
        "Choose a folder you can write to."
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write to any folder")
def test_read_only_folder_is_bad_input(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(BadInputError, match="not writable"):
            write_text(folder / "x.txt", "x")
    finally:
        folder.chmod(0o700)


def test_a_full_disk_is_bad_input_and_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "labels.csv"
    path.write_text("old\n")

    def full(self, handle, **kwargs):
        handle.write("partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(BadInputError, match="the disk is full"):
        write_csv(pd.DataFrame({"a": [1]}), path)
    assert path.read_text() == "old\n" and leftovers(tmp_path) == []


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "frame.parquet"
    path.write_bytes(b"old")

    def broken(self, handle, **kwargs):
        handle.write(b"PAR1 partial")
        raise ValueError("cannot convert column")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(ValueError, match="cannot convert column"):
        write_parquet(pd.DataFrame({"a": [1]}), path)
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_stale_temporary_files_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    stale = tmp_path / f".labels.csv.{dead_pid()}.abcd1234{outputs._TMP_TAG}"
    stale.write_text("half a file")
    mine = tmp_path / f".labels.csv.{os.getpid()}.abcd1234{outputs._TMP_TAG}"  # a live writer's: kept
    mine.write_text("in progress")
    write_csv(pd.DataFrame({"a": [1]}), tmp_path / "labels.csv")
    assert not stale.exists() and mine.exists()


# --- atomic_folder ------------------------------------------------------------------------------------------------


def test_atomic_folder_creates_the_folder_on_success(tmp_path):
    final = tmp_path / "reports" / "2026-W41"
    with atomic_folder(final) as tmp:
        assert tmp.parent == final.parent and tmp.name.startswith(f".2026-W41.{os.getpid()}.")
        assert not final.exists()
        write_text(tmp / "index.html", "new")
    assert (final / "index.html").read_text() == "new"
    assert leftovers(final.parent) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "move-aside"])
def test_atomic_folder_replaces_an_existing_folder(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    final = tmp_path / "2026-W41"
    final.mkdir()
    (final / "old.csv").write_text("old")
    with atomic_folder(final) as tmp:
        write_text(tmp / "index.html", "new")
    assert sorted(p.name for p in final.iterdir()) == ["index.html"]
    assert leftovers(tmp_path) == []


def test_atomic_folder_error_keeps_the_old_folder_and_removes_the_temporary_one(tmp_path):
    final = tmp_path / "2026-W41"
    final.mkdir()
    (final / "index.html").write_text("old")
    with pytest.raises(RuntimeError, match="section failed"):
        with atomic_folder(final) as tmp:
            write_text(tmp / "index.html", "new")
            raise RuntimeError("section failed")
    assert (final / "index.html").read_text() == "old"
    assert leftovers(tmp_path) == []


def test_atomic_folder_failing_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    final = tmp_path / "2026-W41"
    final.mkdir()
    (final / "index.html").write_text("old")
    real_rename = os.rename

    def rename(src, dst):
        if ".wbtmp-dir" in str(src):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(outputs.os, "rename", rename)
    with pytest.raises(BadInputError, match="disk is full"):
        with atomic_folder(final) as tmp:
            write_text(tmp / "index.html", "new")
    assert (final / "index.html").read_text() == "old" and leftovers(tmp_path) == []


def test_atomic_folder_restores_a_folder_a_killed_writer_moved_aside(tmp_path):
    # killed between moving the old folder aside and renaming the new one (only without RENAME_EXCHANGE)
    final = tmp_path / "2026-W41"
    aside = tmp_path / f".2026-W41.{dead_pid()}.abcd1234{outputs._TMP_TAG}-old"
    aside.mkdir()
    (aside / "index.html").write_text("old")
    half = tmp_path / f".2026-W41.{dead_pid()}.abcd1234{outputs._TMP_TAG}-dir"
    half.mkdir()
    with pytest.raises(RuntimeError):
        with atomic_folder(final):
            assert (final / "index.html").read_text() == "old"  # put back before anything else
            raise RuntimeError("stop")
    assert (final / "index.html").read_text() == "old" and leftovers(tmp_path) == []


# --- kill -9 in the middle of a write -----------------------------------------------------------------------------

CSV_WRITER = """
import sys
from pathlib import Path
import pandas as pd
from workbench.outputs import write_csv
rows, tag = int(sys.argv[2]), sys.argv[3]
frame = pd.DataFrame({"item_id": [f"it{i:07d}" for i in range(rows)], "label": tag, "text": "lorem ipsum " * 4})
print("ready", flush=True)
write_csv(frame, Path(sys.argv[1]))
print("done", flush=True)
"""

FOLDER_WRITER = """
import sys
from pathlib import Path
from workbench.outputs import atomic_folder, write_text
files, tag = int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
with atomic_folder(Path(sys.argv[1])) as tmp:
    for i in range(files):
        write_text(tmp / f"part{i:04d}.txt", f"{tag} {i}\\n" * 500)
print("done", flush=True)
"""


# Where to kill: at these shares of the work done (bytes of the temporary file, files of the temporary folder;
# 1.0 is "all written, not yet renamed"), plus once after a random delay.
SHARES = (0.1, 0.4, 0.7, 1.0)


def run_and_kill(script: Path, args: list[str], kill_when, check) -> bool:
    """Run ``script``; SIGKILL it once ``kill_when()`` is true (None: let it finish) while ``check`` reads.

    ``kill_when`` may also be a number of seconds to wait after the script is ready. Returns whether the
    script finished before it was killed.
    """
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, env=env, text=True)
    assert process.stdout.readline().strip() == "ready"
    stop = threading.Event()
    failures: list[str] = []

    def reader():
        while not stop.is_set():
            try:
                problem = check()
            except Exception as exc:  # reported as a failure of the test
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                failures.append(problem)
            time.sleep(0.02)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        if kill_when is None:
            process.wait(timeout=120)
        elif isinstance(kill_when, float):
            time.sleep(kill_when)
        else:
            deadline = time.monotonic() + 120
            while process.poll() is None and not kill_when() and time.monotonic() < deadline:
                time.sleep(0.0005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        finished = process.stdout.read().strip() == "done"
    finally:
        stop.set()
        thread.join()
        process.stdout.close()
    assert not failures, failures[:3]
    return finished


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temporaries(folder: Path, suffix: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(suffix)] if folder.exists() else []


def kill_points(progress, total: float) -> list[tuple[str, object]]:
    """(label, when to kill) pairs: at each of :data:`SHARES` of ``total`` by ``progress()``, and at random."""

    def reached(share):
        def check():
            try:
                return progress() >= share * total
            except FileNotFoundError:  # the temporary file or folder was just renamed
                return False

        return check

    delay = float(np.random.default_rng().uniform(0.0, 1.5))
    return [(f"{share:.0%} written", reached(share)) for share in SHARES] + [(f"after {delay:.2f} s", delay)]


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_csv_writer_leaves_the_old_or_the_new_file(tmp_path):
    rows = 100_000
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(CSV_WRITER))
    target = tmp_path / "out" / "labels.csv"

    def frame(tag):
        return pd.DataFrame({"item_id": [f"it{i:07d}" for i in range(rows)], "label": tag, "text": "lorem ipsum " * 4})

    pristine = write_csv(frame("old"), tmp_path / "old.csv")
    old = digest(pristine)
    new_file = write_csv(frame("new"), tmp_path / "new.csv")
    new, size = digest(new_file), new_file.stat().st_size

    def write_old():
        target.parent.mkdir(exist_ok=True)
        for stale in temporaries(target.parent, outputs._TMP_TAG):
            stale.unlink()
        shutil.copyfile(pristine, tmp_path / "copy.csv")
        os.replace(tmp_path / "copy.csv", target)

    def check():
        try:
            seen = digest(target)
        except FileNotFoundError:
            return "the file was missing"
        return None if seen in (old, new) else "a partial or mixed file"

    def bytes_written():
        return max((p.stat().st_size for p in temporaries(target.parent, outputs._TMP_TAG)), default=0)

    write_old()
    assert run_and_kill(script, [str(target), str(rows), "new"], None, check) and digest(target) == new
    for label, when in kill_points(bytes_written, size):
        write_old()
        finished = run_and_kill(script, [str(target), str(rows), "new"], when, check)
        seen = digest(target)
        assert seen in (old, new), label
        if label in ("10% written", "40% written", "70% written"):
            assert not finished and seen == old, label  # killed while writing: the old file
    write_csv(frame("old"), target)  # the next write sweeps the temporary files the killed ones left
    assert leftovers(target.parent) == []


def exchange_supported(tmp_path: Path) -> bool:
    a, b = tmp_path / "xa", tmp_path / "xb"
    a.mkdir()
    b.mkdir()
    try:
        return outputs._exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_folder_writer_leaves_the_old_or_the_new_folder(tmp_path):
    files = 80
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(FOLDER_WRITER))
    final = tmp_path / "reports" / "2026-W41"
    names = [f"part{i:04d}.txt" for i in range(files)]
    exchange = exchange_supported(tmp_path)
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    for i, name in enumerate(names):
        (pristine / name).write_text(f"old {i}\n" * 500)

    def write_old():
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(exist_ok=True)
        for stale in temporaries(final.parent, "-dir") + temporaries(final.parent, "-old"):
            shutil.rmtree(stale)
        shutil.copytree(pristine, final)

    def version(folder_fd: int) -> str | None:
        """'old' or 'new' when the folder is complete and of one version, else None."""
        if sorted(os.listdir(folder_fd)) != names:
            return None
        tags = set()
        for i, name in enumerate(names):
            fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
            with os.fdopen(fd) as handle:
                text = handle.read()
            tag = text.split(" ", 1)[0]
            if text != f"{tag} {i}\n" * 500:
                return None
            tags.add(tag)
        return tags.pop() if len(tags) == 1 else None

    def check():
        try:  # a reader that holds the folder open reads one folder throughout
            folder_fd = os.open(final, os.O_RDONLY)
        except FileNotFoundError:
            return None if not exchange else "the folder was missing"
        try:
            return None if version(folder_fd) else "a partial or mixed folder"
        except FileNotFoundError:
            # the folder it read was replaced by the new one and deleted while it read: not what it found
            replaced = os.fstat(folder_fd).st_ino != os.stat(final).st_ino
            return None if replaced else "a file vanished from the folder"
        finally:
            os.close(folder_fd)

    def final_version() -> str | None:
        if not exchange:
            outputs._restore_interrupted(final)  # what the next write does first
        folder_fd = os.open(final, os.O_RDONLY)
        try:
            return version(folder_fd)
        finally:
            os.close(folder_fd)

    def files_written():
        folders = temporaries(final.parent, "-dir")
        return max((sum(n.startswith("part") for n in os.listdir(p)) for p in folders), default=0)

    write_old()
    assert run_and_kill(script, [str(final), str(files), "new"], None, check) and final_version() == "new"
    for label, when in kill_points(files_written, files):
        write_old()
        finished = run_and_kill(script, [str(final), str(files), "new"], when, check)
        seen = final_version()
        assert seen in ("old", "new"), label
        if label in ("10% written", "40% written", "70% written"):
            assert not finished and seen == "old", label  # killed while writing: the old folder
    with atomic_folder(final) as tmp:  # the next write sweeps the temporary folders the killed ones left
        write_text(tmp / "index.html", "next")
    assert leftovers(final.parent) == []
