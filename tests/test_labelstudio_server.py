"""Against a real Label Studio server: export a queue, label it as three users, export, import, ingest.

Needs a Label Studio install (``bash .ci/install-label-studio`` puts one in /opt/ls-venv). The session
fixture starts it on 127.0.0.1 on a free port with an SQLite data dir in a temporary folder, offline, and
always stops it. A fresh database takes Label Studio one to two minutes to migrate here, so the migrated,
empty database is kept per Label Studio version in ``~/.cache/workbench/label-studio/<version>/`` (or
``$WB_LABEL_STUDIO_CACHE``) and copied into each session's data dir, after which the server is up in about
15 s; ``WB_LABEL_STUDIO_FRESH=1`` skips that cache.

Environment: ``WB_LABEL_STUDIO`` (path to a ``label-studio`` executable), ``WB_REQUIRE_LABEL_STUDIO=1``
(fail instead of skipping when no install is found), ``WB_LABEL_STUDIO_TIMEOUT`` (seconds to wait for the
server, default 300).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.contract import read_dataset
from workbench.integrations import export_labelstudio
from workbench.store import Store

pytestmark = pytest.mark.labelstudio

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = (Path("/opt/ls-venv/bin/label-studio"), ROOT / ".ls-venv" / "bin" / "label-studio")
INSTALL_HINT = (
    "Label Studio is not installed: run `bash .ci/install-label-studio` (installs it into /opt/ls-venv, about "
    "1 GB), or point WB_LABEL_STUDIO at a label-studio executable"
)
ADMIN = "admin@example.com"
PASSWORD = "wb-test-password-1"


def find_label_studio() -> Path | None:
    """The ``label-studio`` executable: ``$WB_LABEL_STUDIO``, else the default install locations."""
    env = os.environ.get("WB_LABEL_STUDIO")
    for path in [Path(env)] if env else CANDIDATES:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",  # offline: no version check against the package index
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
        HOME=str(data_dir),  # nothing lands in the real ~/.local/share/label-studio
        **extra,
    )
    return env


def label_studio_version(exe: Path) -> str | None:
    python = exe.parent / "python"
    try:
        out = subprocess.run(
            [str(python), "-c", "import label_studio; print(label_studio.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def migrated_database(exe: Path, timeout: float) -> Path | None:
    """A migrated, empty Label Studio database for this version, built once and cached."""
    if os.environ.get("WB_LABEL_STUDIO_FRESH") == "1":
        return None
    version = label_studio_version(exe)
    if version is None:
        return None
    cache = Path(os.environ.get("WB_LABEL_STUDIO_CACHE") or Path.home() / ".cache" / "workbench" / "label-studio")
    target = cache / version / "label_studio.sqlite3"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        # `label-studio user` applies the migrations, then reports that the user does not exist and exits
        subprocess.run(
            [str(exe), "user", "--username", "nobody@example.invalid", "--data-dir", tmp],
            env=server_env(Path(tmp)),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        built = Path(tmp) / "label_studio.sqlite3"
        if not built.is_file():
            return None
        os.replace(built, target)
    return target


@dataclass
class Server:
    url: str
    token: str
    log: Path
    started_in_s: float


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    exe = find_label_studio()
    if exe is None:
        if os.environ.get("WB_REQUIRE_LABEL_STUDIO") == "1":
            pytest.fail(f"WB_REQUIRE_LABEL_STUDIO=1 but no install was found. {INSTALL_HINT}.")
        pytest.skip(INSTALL_HINT)
    timeout = float(os.environ.get("WB_LABEL_STUDIO_TIMEOUT", "300"))
    data_dir = tmp_path_factory.mktemp("label-studio")
    template = migrated_database(exe, timeout)
    if template is not None:
        shutil.copy(template, data_dir / "label_studio.sqlite3")
    port = free_port()
    token = secrets.token_hex(20)
    env = server_env(
        data_dir,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_USERNAME=ADMIN,
        LABEL_STUDIO_PASSWORD=PASSWORD,
        LABEL_STUDIO_USER_TOKEN=token,
    )
    log = data_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    command = [str(exe), "start", "--no-browser", "--port", str(port), "--data-dir", str(data_dir)]
    command += ["--internal-host", "127.0.0.1", "--host", url]
    started = time.monotonic()
    with log.open("wb") as fh:
        proc = subprocess.Popen(command, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"label-studio exited with status {proc.returncode} while starting:\n{tail(log)}")
            if time.monotonic() - started > timeout:
                pytest.fail(f"label-studio did not answer on {url}/health within {timeout:.0f} s:\n{tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        print(f"label-studio started in {elapsed:.1f} s ({'cached' if template else 'fresh'} database)")
        yield Server(url=url, token=token, log=log, started_in_s=elapsed)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and the processes it started (its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:])


def api(server: Server, method: str, path: str, body=None, *, token: str | None = None):
    """One JSON request to the REST API with a legacy token; returns the parsed body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url + path, data=data, method=method)
    req.add_header("Authorization", f"Token {token or server.token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path} -> {exc.code}: {exc.read()[:500]!r}") from None
    return json.loads(raw) if raw else None


def sign_up(server: Server, email: str, password: str) -> tuple[int, str]:
    """Create a user through the sign-up form and read their API token as that user; returns (id, token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{server.url}/user/signup/", timeout=60).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": email, "password": password}).encode()
    req = urllib.request.Request(f"{server.url}/user/signup/", data=form, method="POST")
    req.add_header("Referer", f"{server.url}/user/signup/")
    opener.open(req, timeout=60).read()
    with opener.open(f"{server.url}/api/current-user/token", timeout=60) as resp:
        token = json.loads(resp.read())["token"]
    me = api(server, "GET", "/api/current-user/whoami", token=token)
    assert me["email"] == email
    return me["id"], token


def download(server: Server, path: str) -> list:
    req = urllib.request.Request(server.url + path)
    req.add_header("Authorization", f"Token {server.token}")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def test_round_trip_through_label_studio(label_studio, tmp_path):
    server = label_studio
    queue = pd.DataFrame(
        {
            "rank": [1, 2, 3, 4, 5],
            "item_id": ["it1", "it2", "it3", "it4", "it5"],
            "priority": [0.95, 0.8, 0.6, 0.4, 0.2],
            "tier": ["urgent", "urgent", "review", "review", "later"],
            "reasons": ["label issue"] * 5,
            "queue_id": ["q-2026-W47"] * 5,
            "text": ["the parcel never came", "refund please", "great service", "where is my order", "thanks!"],
            "length": [21, 13, 13, 17, 7],
            "suggested_label": ["complaint", "request", "praise", "request", None],
            "suggested_score": [0.9, 0.7, 0.8, 0.55, None],
            "model_version": ["m-2026-11"] * 4 + [None],
        }
    )
    written = export_labelstudio(queue, tmp_path / "queue.json", classes=["complaint", "praise", "request"])
    project = api(
        server,
        "POST",
        "/api/projects",
        {"title": "workbench round trip", "label_config": written.config_path.read_text()},
    )
    imported = api(server, "POST", f"/api/projects/{project['id']}/import", json.loads(written.tasks_path.read_text()))
    assert imported["task_count"] == 5 and imported["prediction_count"] == 4

    listed = api(server, "GET", f"/api/tasks?project={project['id']}&page_size=100")
    tasks = listed["tasks"] if isinstance(listed, dict) else listed
    task_of = {t["data"]["item_id"]: t["id"] for t in tasks}
    assert sorted(task_of) == ["it1", "it2", "it3", "it4", "it5"]

    admin = api(server, "GET", "/api/current-user/whoami")
    users = {ADMIN: (admin["id"], server.token)}
    for email in ("ann1@example.com", "ann2@example.com"):
        users[email] = sign_up(server, email, "annotator-pass-1")
    assert len({uid for uid, _ in users.values()}) == 3

    labels = {  # (item, user) -> label; None is a cancelled (skipped) task
        ("it1", ADMIN): "complaint",
        ("it1", "ann1@example.com"): "complaint",
        ("it1", "ann2@example.com"): "request",
        ("it2", ADMIN): "request",
        ("it2", "ann1@example.com"): "praise",
        ("it3", "ann2@example.com"): "praise",
        ("it4", "ann1@example.com"): "complaint",
        ("it4", "ann2@example.com"): None,
    }
    for (item, email), label in labels.items():
        uid, token = users[email]
        body = {"result": [], "was_cancelled": True, "lead_time": 1.0}
        if label is not None:
            body = {
                "result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}],
                "lead_time": 5.0,
            }
        made = api(server, "POST", f"/api/tasks/{task_of[item]}/annotations", body, token=token)
        assert made["completed_by"] == uid

    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(download(server, f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true"))
    )
    out = tmp_path / "ds"
    cli = CliRunner().invoke(app, ["import", "labelstudio", str(export), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    assert "1 cancelled (skipped) annotations" in cli.output

    dataset = read_dataset(out)
    ann = dataset.tables["annotations"]
    assert not ann.duplicated(["item_id", "annotator_id"]).any()
    by_id = {str(uid): email for email, (uid, _) in users.items()}
    got = {(r.item_id, by_id[r.annotator_id]): r.label for r in ann.itertuples()}
    assert got == {key: label for key, label in labels.items() if label is not None}
    assert set(ann["duration_s"]) == {5.0}
    items = dataset.tables["items"]
    assert sorted(items["item_id"]) == ["it1", "it2", "it3", "it4", "it5"]
    assert items.set_index("item_id").loc["it3", "text"] == "great service"
    assert items.set_index("item_id")["meta_priority"].to_dict() == {
        "it1": 0.95,
        "it2": 0.8,
        "it3": 0.6,
        "it4": 0.4,
        "it5": 0.2,
    }
    prelabel = pd.read_csv(out / "prelabel.csv")
    accepted = {(r.item_id, by_id[str(r.annotator_id)]): r.accepted for r in prelabel.itertuples()}
    suggested = dict(zip(queue["item_id"], queue["suggested_label"], strict=True))
    assert accepted == {k: v == suggested[k[0]] for k, v in got.items()}

    with Store.open(tmp_path / "wb.duckdb") as store:
        added = store.ingest(out).added
        assert (added["items"], added["annotations"]) == (5, 7)
        assert store.ingest(out).added["annotations"] == 0  # idempotent

    # an export snapshot names annotators by email and carries full predictions
    per_class = {
        "task": task_of["it5"],
        "model_version": "m-probs",
        "result": [
            {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [c]}, "score": p}
            for c, p in (("complaint", 0.1), ("praise", 0.7), ("request", 0.2))
        ],
    }
    api(server, "POST", "/api/predictions", per_class)
    api(
        server,
        "POST",
        f"/api/tasks/{task_of['it5']}/annotations",
        {"result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["praise"]}}]},
    )
    snapshot = api(
        server,
        "POST",
        f"/api/projects/{project['id']}/exports/",
        {
            "title": "workbench",
            "serialization_options": {
                "predictions": {"only_id": False},
                "annotations__completed_by": {"only_id": False},
            },
            "task_filter_options": {"only_with_annotations": False},
        },
    )
    for _ in range(120):
        if api(server, "GET", f"/api/projects/{project['id']}/exports/{snapshot['id']}")["status"] == "completed":
            break
        time.sleep(0.5)
    snap = tmp_path / "snapshot.json"
    snap.write_text(
        json.dumps(download(server, f"/api/projects/{project['id']}/exports/{snapshot['id']}/download?exportType=JSON"))
    )
    cli = CliRunner().invoke(app, ["import", "labelstudio", str(snap), "--out", str(tmp_path / "snap")])
    assert cli.exit_code == 0, cli.output
    snap_ds = read_dataset(tmp_path / "snap")
    emails = {(r.item_id, r.annotator_id): r.label for r in snap_ds.tables["annotations"].itertuples()}
    assert emails == {key: label for key, label in labels.items() if label is not None} | {("it5", ADMIN): "praise"}
    preds = snap_ds.tables["predictions"]
    assert preds[["item_id", "model_version", "proba_complaint", "proba_praise", "proba_request"]].values.tolist() == [
        ["it5", "m-probs", 0.1, 0.7, 0.2]
    ]
    assert "4 predictions with only the top choice" in cli.output


def test_queue_round_trip_through_label_studio(label_studio, demo_store_path, tmp_path):
    """`workbench queue --format labelstudio` -> a real project labeled by three users -> `workbench ingest-labels`."""
    server = label_studio
    store_path = tmp_path / "wb.duckdb"
    shutil.copy(demo_store_path, store_path)
    runner = CliRunner()
    out = tmp_path / "queue.json"
    res = runner.invoke(
        app,
        ["--store", str(store_path), "queue", "--budget", "6", "--gold-rate", "0", "--format", "labelstudio"]
        + ["--weight", "drift_novelty=0", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    tasks = json.loads(out.read_text())
    assert len(tasks) == 6
    assert [t["data"]["priority"] for t in tasks] == sorted((t["data"]["priority"] for t in tasks), reverse=True)
    queue_id = tasks[0]["data"]["queue_id"]
    project = api(
        server,
        "POST",
        "/api/projects",
        {"title": "workbench queue", "label_config": out.with_suffix(".xml").read_text()},
    )
    imported = api(server, "POST", f"/api/projects/{project['id']}/import", tasks)
    assert imported["task_count"] == 6
    listed = api(server, "GET", f"/api/tasks?project={project['id']}&page_size=100")
    task_of = {t["data"]["item_id"]: t["id"] for t in (listed["tasks"] if isinstance(listed, dict) else listed)}
    items = [t["data"]["item_id"] for t in tasks]

    admin = api(server, "GET", "/api/current-user/whoami")
    users = {ADMIN: (admin["id"], server.token)}
    for email in ("q1@example.com", "q2@example.com"):
        users[email] = sign_up(server, email, "annotator-pass-1")
    labels = {
        (items[0], ADMIN): "one",
        (items[0], "q1@example.com"): "seven",
        (items[1], "q1@example.com"): "two",
        (items[1], "q2@example.com"): "two",
        (items[2], "q2@example.com"): "nine",
        (items[3], ADMIN): "four",
    }
    for (item, email), label in labels.items():
        uid, token = users[email]
        body = {
            "result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}],
            "lead_time": 3.0,
        }
        assert api(server, "POST", f"/api/tasks/{task_of[item]}/annotations", body, token=token)["completed_by"] == uid
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(download(server, f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true"))
    )
    for added in (6, 0):  # idempotent
        res = runner.invoke(app, ["--store", str(store_path), "ingest-labels", str(export)])
        assert res.exit_code == 0, res.output
        assert f"annotations  +{added} " in res.output

    by_id = {str(uid): email for email, (uid, _) in users.items()}
    with Store.open(store_path, read_only=True) as store:
        lineage = store.con.table("wb_label_lineage").execute()
        queue = store.con.table("wb_queue").execute().set_index("item_id")
        ann = store.data("annotations", lineage=True).execute()
    assert not lineage.duplicated(["item_id", "annotator_id"]).any()
    got = {(r.item_id, by_id[r.annotator_id]): r.label for r in lineage.itertuples()}
    assert got == labels
    assert set(lineage["queue_id"]) == {queue_id}
    assert (lineage["guideline_version"] == lineage["item_id"].map(queue["guideline_version"])).all()
    assert set(lineage["tier"]) <= {"expert", "generalist"}
    new = ann[ann["wb_source_file"] == str(export.resolve())]
    assert len(new) == 6 and set(new["duration_s"]) == {3.0}
    assert {(r.item_id, r.annotator_id, r.label) for r in new.itertuples()} == {
        (r.item_id, r.annotator_id, r.label) for r in lineage.itertuples()
    }
    assert set(queue.loc[items[:4], "status"]) == {"done"} and set(queue.loc[items[4:], "status"]) == {"exported"}

    # the whole-project export through `workbench import labelstudio` gives the same annotations
    res = runner.invoke(app, ["import", "labelstudio", str(export), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    imported_ann = read_dataset(tmp_path / "ds").tables["annotations"]
    assert {(r.item_id, r.annotator_id, r.label) for r in imported_ann.itertuples()} == {
        (r.item_id, r.annotator_id, r.label) for r in lineage.itertuples()
    }
