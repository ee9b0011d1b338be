"""Nothing blocks: long operations run off the event loop, one per session
(a second gets 409), can be cancelled (also by the page going away), do not
hold up other sessions; Pause needs no lock and stops a frame after its
current minibatch; run folders are limited. Deterministic: a gated stand-in
for the long work, no timings."""
from __future__ import annotations

import threading

import pytest

pytest.importorskip("starlette", reason="the lab needs the extra softmaxlab[lab]")
try:
    from starlette.testclient import TestClient
except RuntimeError as exc:  # neither httpx2 nor httpx is installed
    pytest.skip(f"Starlette's test client is unavailable: {exc}", allow_module_level=True)

from softmaxlab.lab.app import create_app  # noqa: E402
from softmaxlab.lab.jobs import RunFolderQuota  # noqa: E402
from softmaxlab.lab.params import LabSettings  # noqa: E402
from softmaxlab.lab.session import Session  # noqa: E402

TOKEN = "jobs-token"
BASE = "http://127.0.0.1:8765"


@pytest.fixture
def client(tmp_path):
    app = create_app(TOKEN, "127.0.0.1", 8765, runs_dir=str(tmp_path / "runs"))
    with TestClient(app, base_url=BASE, headers={"X-Softmaxlab-Token": TOKEN}) as c:
        yield c


def session_of(client, sid):
    return client.app.app.state.store.get(sid)


def gated(session):
    """Replace the session's gradient check by work that calls ``check()``
    until the returned event is set (or ``check`` raises ``cancelled``)."""
    gate, started = threading.Event(), threading.Event()

    def work(check):
        started.set()
        while not gate.wait(0.01):
            check()
        return {"passed": True}

    session.gradcheck = work
    return gate, started


def in_thread(fn):
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", fn()), daemon=True)
    t.start()
    return t, box


def test_one_long_operation_per_session_and_cancel(client):
    sid = client.post("/api/sessions").json()["id"]
    s = session_of(client, sid)
    gate, started = gated(s)
    t, box = in_thread(lambda: client.post(f"/api/sessions/{sid}/gradcheck"))
    assert started.wait(10)
    r = client.post(f"/api/sessions/{sid}/gradcheck")
    assert r.status_code == 409 and r.json()["error"]["code"] == "busy"
    assert r.json()["error"]["params"]["operation"] == "gradcheck"
    r = client.post(f"/api/sessions/{sid}/run-folder")
    assert r.status_code == 409 and r.json()["error"]["code"] == "busy"
    op = client.get(f"/api/sessions/{sid}/frame").json()["operation"]
    assert op["kind"] == "gradcheck" and op["done"] >= 0
    # Another session is not held up: its frame and its own check go through.
    other = client.post("/api/sessions").json()["id"]
    assert client.get(f"/api/sessions/{other}/frame").status_code == 200
    assert client.post(f"/api/sessions/{other}/gradcheck").json()["passed"]
    assert client.post(f"/api/sessions/{sid}/cancel").json() == {"cancelled": "gradcheck"}
    t.join(10)
    assert box["r"].status_code == 409 and box["r"].json()["error"]["code"] == "cancelled"
    assert client.get(f"/api/sessions/{sid}/frame").json()["operation"] is None
    assert not gate.is_set()  # it stopped because it was cancelled, not because it finished


def test_the_page_going_away_cancels_its_work(client):
    sid = client.post("/api/sessions").json()["id"]
    s = session_of(client, sid)
    gate, started = gated(s)
    with client.websocket_connect(f"ws://127.0.0.1:8765/api/sessions/{sid}/stream?token={TOKEN}") as ws:
        ws.receive_json()
        t, box = in_thread(lambda: client.post(f"/api/sessions/{sid}/gradcheck"))
        assert started.wait(10)
    t.join(10)
    assert box["r"].json()["error"]["code"] == "cancelled"


def test_closing_a_session_cancels_its_work(client):
    sid = client.post("/api/sessions").json()["id"]
    gate, started = gated(session_of(client, sid))
    t, box = in_thread(lambda: client.post(f"/api/sessions/{sid}/gradcheck"))
    assert started.wait(10)
    client.post(f"/api/sessions/{sid}/close")
    t.join(10)
    assert box["r"].json()["error"]["code"] == "cancelled"


def test_pause_answers_while_a_frame_holds_the_lock(client):
    sid = client.post("/api/sessions").json()["id"]
    s = session_of(client, sid)
    client.post(f"/api/sessions/{sid}/control", json={"action": "play"})
    with s.lock:  # a frame in progress holds the lock; Pause must not wait for it
        r = client.post(f"/api/sessions/{sid}/control", json={"action": "pause"})
    assert r.status_code == 200 and r.json()["playing"] is False


def test_pause_stops_a_long_frame_after_the_current_minibatch():
    # 6 x 64 layers, batch 1, 2000 points, 50 epochs a frame: minutes of work.
    s = Session("p", LabSettings(hidden=(64,) * 6, batch_size=1, n_points=2000))
    s.speed = 50
    s.control("play")
    t, box = in_thread(s.advance)
    # Wait for the first minibatch through the session's own interrupter.
    while not s.trainer.samples_seen:
        t.join(0.01)
    s.control("pause")
    t.join(30)
    assert not t.is_alive() and box["r"]["playing"] is False
    # The unfinished epoch was rolled back: the model matches its history.
    assert s.trainer.epoch == len(s.trainer.history) < 50
    assert s.trainer.optimizer.t == s.trainer.epoch * 1600


def test_a_waiting_request_preempts_a_frame(client):
    s = Session("w", LabSettings(hidden=(64,) * 6, batch_size=1, n_points=2000))
    s.speed = 50
    s.control("play")
    t, _ = in_thread(s.advance)
    while not s.trainer.samples_seen:
        t.join(0.01)
    s.update({"lr": 0.01})  # takes the lock ahead of the frame
    assert s.settings.lr == 0.01 and s.optimizer.lr == 0.01
    assert s.trainer.epoch == 0  # the first epoch was cut short, not waited for
    s.control("pause")
    t.join(30)
    assert not t.is_alive()


def test_run_folders_are_limited_per_minute_and_per_session(client, monkeypatch):
    from softmaxlab.lab import export

    monkeypatch.setattr(export, "save_run_folder", lambda session, root, check: root)
    app = client.app.app
    app.state.quota = RunFolderQuota(per_minute=2, per_session=3)
    sid = client.post("/api/sessions").json()["id"]
    url = f"/api/sessions/{sid}/run-folder"
    assert [client.post(url).status_code for _ in range(2)] == [200, 200]
    r = client.post(url)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1 and "a minute" in r.json()["error"]["message"]
    app.state.quota = RunFolderQuota(per_minute=100, per_session=3)
    assert client.post(url).status_code == 200  # the session's third
    r = client.post(url)
    assert r.status_code == 429 and r.json()["error"]["code"] == "run_folder_limit"


def test_an_upload_resets_the_gradient_check_verdict(client):
    sid = client.post("/api/sessions").json()["id"]
    client.post(f"/api/sessions/{sid}/settings", json={"hidden": "4"})
    assert client.post(f"/api/sessions/{sid}/gradcheck").json()["passed"]
    assert client.get(f"/api/sessions/{sid}/frame").json()["gradcheck"]["passed"]
    rows = "\n".join(f"{i % 7},{i % 5},{'ab'[i % 2]}" for i in range(40))
    r = client.post(f"/api/sessions/{sid}/upload?filename=m.csv", content=f"u,v,k\n{rows}\n")
    assert r.status_code == 200
    assert client.get(f"/api/sessions/{sid}/frame").json()["gradcheck"] is None


def test_upload_messages_speak_the_lab_not_the_command_line(client):
    sid = client.post("/api/sessions").json()["id"]
    files = {
        "empty cell": b"a,b,label\n1,2,x\n,3,y\n4,5,x\n6,7,y\n",
        "latin-1": "a,b,label\n1,2,\xe9t\xe9\n3,4,y\n5,6,\xe9t\xe9\n7,8,y\n".encode("latin-1"),
        "text feature": b"a,b,label\n1,foo,x\n3,bar,y\n5,baz,x\n7,qux,y\n",
        "one class": b"a,b,label\n1,2,x\n3,4,x\n",
        "single row": b"a,b,label\n1,2,x\n3,4,y\n5,6,y\n",
    }
    codes = set()
    for what, content in files.items():
        r = client.post(f"/api/sessions/{sid}/upload?filename=f.csv", content=content)
        err = r.json()["error"]
        assert r.status_code == 400 and err["field"] == "upload", what
        assert "--" not in err["message"] and "np." not in err["message"], err["message"]
        codes.add(err["code"])
    assert codes == {"upload_unreadable", "upload_one_class", "upload_single_row"}
    r = client.post(f"/api/sessions/{sid}/upload?filename=f.csv&label_column=nope",
                    content=files["one class"])
    assert "label column box" in r.json()["error"]["message"]


def test_the_language_reaches_the_page(tmp_path):
    app = create_app(TOKEN, "127.0.0.1", 8765, runs_dir=str(tmp_path), lang="zh-Hant")
    with TestClient(app, base_url=BASE) as c:
        page = c.get(f"/?token={TOKEN}").text
        assert '"lang": "zh-Hant"' in page
        assert '"lang": "zh-Hans"' in c.get(f"/?token={TOKEN}&lang=zh-Hans").text
        assert '"lang": "zh-Hant"' in c.get(f"/?token={TOKEN}&lang=klingon").text


def test_the_cli_takes_a_language(capsys):
    from softmaxlab.cli import main

    assert main(["lab", "--lang", "fr", "--no-browser"]) != 0
    assert "zh-Hans" in capsys.readouterr().err
    from softmaxlab.lab.server import url_for

    assert url_for("127.0.0.1", 8765, "t", "zh-Hans").endswith("?token=t&lang=zh-Hans")


def test_a_cancelled_run_folder_is_removed_and_its_report_process_killed(tmp_path):
    from softmaxlab.lab import export
    from softmaxlab.lab.errors import LabError

    s = Session("r", LabSettings(n_points=100))
    s.control("step")
    calls = []

    def check():
        calls.append(1)
        if len(calls) >= 3:  # while the report's process runs
            raise LabError("cancelled", "cancelled", status=409)

    with pytest.raises(LabError, match="cancelled"):
        export.save_run_folder(s, tmp_path, check)
    assert list(tmp_path.iterdir()) == []


def test_a_click_does_not_throw_away_a_step_but_pause_stops_it():
    s = Session("k", LabSettings(hidden=(32,) * 3, batch_size=1, n_points=300))
    t, _ = in_thread(lambda: s.control("step"))
    while not s.trainer.samples_seen:
        t.join(0.01)
    s.inspect(0.0, 0.0)  # waits for the step instead of cutting it short
    t.join(30)
    assert s.trainer.epoch == 1
    t, _ = in_thread(lambda: s.control("step"))
    while s.trainer.samples_seen <= 240:
        t.join(0.01)
    s.control("pause")
    t.join(30)
    assert s.trainer.epoch == 1 and not t.is_alive()
