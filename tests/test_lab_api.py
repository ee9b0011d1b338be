"""The lab server's API through Starlette's test client: sessions, training
control, streaming, parameters, uploads, the one-step view, gradient check
and export. Security is in test_lab_security.py, the page in test_lab_browser.py."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the lab needs the extra softmaxlab[lab]")
try:
    from starlette.testclient import TestClient
except RuntimeError as exc:  # neither httpx2 nor httpx is installed
    pytest.skip(f"Starlette's test client is unavailable: {exc}", allow_module_level=True)

from softmaxlab.lab.app import create_app  # noqa: E402

TOKEN = "test-token-123"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def client(tmp_path):
    app = create_app(TOKEN, "127.0.0.1", PORT, runs_dir=str(tmp_path / "runs"), max_sessions=3)
    with TestClient(app, base_url=BASE, headers={"X-Softmaxlab-Token": TOKEN}) as c:
        yield c


def new_session(client, **settings):
    sid = client.post("/api/sessions").json()["id"]
    if settings:
        r = client.post(f"/api/sessions/{sid}/settings", json=settings)
        assert r.status_code == 200, r.text
    return sid


def control(client, sid, action, **extra):
    r = client.post(f"/api/sessions/{sid}/control", json={"action": action, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def stream(client, sid):
    return client.websocket_connect(f"ws://127.0.0.1:{PORT}/api/sessions/{sid}/stream?token={TOKEN}")


def until(ws, condition, most=4):
    """Receive (and acknowledge) frames until one meets ``condition``."""
    for _ in range(most):
        f = ws.receive_json()
        ws.send_json({"type": "ack"})
        if condition(f):
            return f
    raise AssertionError(f"no frame met the condition in {most} frames; last: epoch {f['epoch']}")


def frame(client, sid):
    return client.get(f"/api/sessions/{sid}/frame").json()


def session_of(client, sid):
    return client.app.app.state.store.get(sid)  # the Guard wraps the Starlette app


def test_new_session_starts_untrained_at_chance(client):
    r = client.post("/api/sessions")
    body = r.json()
    assert r.status_code == 200
    assert body["settings"]["dataset"] == "spiral" and body["settings"]["model"] == "mlp"
    assert "lr" in body["rules"] and body["speeds"][0] == 1
    f = frame(client, body["id"])
    assert f["epoch"] == 0 and f["playing"] is False
    # An untrained 3-class model predicts nearly uniform probabilities: loss ~ log 3.
    assert f["stats"]["train_loss"] == pytest.approx(np.log(3), abs=0.02)
    b = f["boundary"]
    assert b["res"] == 100 and b["classes"] == 3
    assert [h["units"] for h in f["hidden"]] == [16, 16]
    d = client.get(f"/api/sessions/{body['id']}/data").json()
    assert d["n_train"] + d["n_val"] == 600 and d["n_val"] == 120
    assert d["classes"] == ["c1", "c2", "c3"] and len(d["x"]) == 600


def test_step_trains_one_epoch_and_reset_replays(client):
    sid = new_session(client)
    before = frame(client, sid)
    assert control(client, sid, "step")["epoch"] == 1
    after = frame(client, sid)
    assert after["epoch"] == 1 and after["boundary"]["probs"] != before["boundary"]["probs"]
    assert after["curves"]["epoch"] == [0, 1]
    control(client, sid, "reset")
    again = frame(client, sid)
    # Reset rebuilds everything from the seed: the same initial model, bit for bit.
    assert again["epoch"] == 0 and again["boundary"]["probs"] == before["boundary"]["probs"]


def test_stream_plays_pauses_and_is_paced_by_acks(client):
    sid = new_session(client)
    control(client, sid, "speed", speed=5)
    control(client, sid, "play")
    with stream(client, sid) as ws:
        data = ws.receive_json()
        assert data["type"] == "data" and len(data["x"]) == 600
        epochs = []
        for _ in range(4):
            f = ws.receive_json()
            assert f["type"] == "frame"
            epochs.append(f["epoch"])
            ws.send_json({"type": "ack"})
        # Each acknowledged frame trains `speed` more epochs.
        assert epochs == [5, 10, 15, 20]
        control(client, sid, "pause")
        f = until(ws, lambda f: not f["playing"])  # a frame under way may come first
        paused_at = f["epoch"]
        # Pause stops the frame under way after its current minibatch.
        assert 20 <= paused_at <= 25 and frame(client, sid)["epoch"] == paused_at
        control(client, sid, "step")  # a change while paused sends a frame
        f = until(ws, lambda f: f["epoch"] != paused_at)
        assert f["epoch"] == paused_at + 1 and f["playing"] is False


def test_mlp_learns_the_spiral_and_softmax_regression_cannot(client):
    mlp_sid = new_session(client)
    lin_sid = new_session(client, model="softmax", lr=0.1)
    for sid in (mlp_sid, lin_sid):
        control(client, sid, "speed", speed=50)
        control(client, sid, "play")
        session = session_of(client, sid)
        for _ in range(3):
            session.advance()
    assert frame(client, mlp_sid)["stats"]["val_acc"] > 0.95
    # Three interleaved arms, one full turn each: a linear model stays near 1/3.
    assert frame(client, lin_sid)["stats"]["val_acc"] < 0.5
    assert frame(client, lin_sid)["hidden"] == []


@pytest.mark.parametrize("changes, field, words", [
    ({"lr": "abc"}, "lr", "learning rate must be a number, got 'abc'"),
    ({"lr": 0}, "lr", "learning rate must be in (0, 10]"),
    ({"hidden": "16,x"}, "hidden", "widths such as 16,16"),
    ({"hidden": "16,100"}, "hidden", "1 to 64 units"),
    ({"batch_size": "3.5"}, "batch_size", "whole number"),
    ({"noise": "nan"}, "noise", "finite"),
    ({"optimizer": "rmsprop"}, "optimizer", "one of 'sgd', 'momentum', 'adam'"),
    ({"colour": 1}, "colour", "unknown setting 'colour'"),
    ({"dataset": "csv"}, "dataset", "no CSV file uploaded yet"),
])
def test_bad_parameters_get_a_message_naming_the_setting(client, changes, field, words):
    sid = new_session(client)
    r = client.post(f"/api/sessions/{sid}/settings", json=changes)
    assert r.status_code == 400
    assert r.json()["error"]["field"] == field and words in r.json()["error"]["message"]
    assert frame(client, sid)["epoch"] == 0  # nothing was applied


def test_bad_controls_and_bodies(client):
    sid = new_session(client)
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "speed", "speed": 3})
    assert r.status_code == 400 and "speed must be one of" in r.json()["error"]["message"]
    r = client.post(f"/api/sessions/{sid}/control", json={"action": "jump"})
    assert r.status_code == 400 and "unknown action 'jump'" in r.json()["error"]["message"]
    r = client.post(f"/api/sessions/{sid}/settings", content=b"{not json")
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = client.post(f"/api/sessions/{sid}/settings", content=b"[" * 70_000)
    assert r.status_code == 413
    r = client.post("/api/sessions/nope/control", json={"action": "play"})
    assert r.status_code == 404 and "reload the page" in r.json()["error"]["message"]


def test_live_settings_keep_training_others_start_again(client):
    sid = new_session(client)
    control(client, sid, "step")
    r = client.post(f"/api/sessions/{sid}/settings", json={"lr": "0.01", "batch_size": 64,
                                                           "l2": 0.001})
    assert r.json()["reset"] is False and frame(client, sid)["epoch"] == 1
    s = session_of(client, sid)
    assert (s.optimizer.lr, s.trainer.batch_size, s.optimizer.weight_decay) == (0.01, 64, 0.001)
    steps = s.optimizer.t
    control(client, sid, "step")  # the next epoch runs in 64-row batches: ceil(480 / 64) steps
    assert s.optimizer.t - steps == 8
    r = client.post(f"/api/sessions/{sid}/settings", json={"hidden": "8", "activation": "relu"})
    assert r.json()["reset"] is True and frame(client, sid)["epoch"] == 0
    assert [h["units"] for h in frame(client, sid)["hidden"]] == [8]


@pytest.mark.parametrize("dataset, n_classes", [("circles", 2), ("xor", 2), ("moons", 2),
                                                ("blobs", 4), ("spiral", 5)])
def test_every_generator(client, dataset, n_classes):
    sid = new_session(client, dataset=dataset, n_classes=n_classes, n_points=200)
    d = client.get(f"/api/sessions/{sid}/data").json()
    assert len(d["classes"]) == n_classes and d["n_train"] + d["n_val"] >= 195
    assert frame(client, sid)["boundary"]["classes"] == n_classes


def test_tabs_have_separate_sessions(client):
    a, b = new_session(client), new_session(client, dataset="moons", model="softmax")
    control(client, a, "step")
    control(client, a, "step")
    assert frame(client, a)["epoch"] == 2 and frame(client, b)["epoch"] == 0
    assert client.get(f"/api/sessions/{b}/data").json()["name"] == "moons"
    assert client.get(f"/api/sessions/{a}/data").json()["name"] == "spiral"


def test_session_count_is_bounded(client):
    ids = [new_session(client) for _ in range(3)]
    # A fourth tab evicts the least recently used idle session ...
    client.get(f"/api/sessions/{ids[0]}/frame")
    fourth = new_session(client)
    assert client.get(f"/api/sessions/{ids[1]}/frame").status_code == 404
    assert client.get(f"/api/sessions/{ids[0]}/frame").status_code == 200
    # ... but never one whose tab is still connected.
    live = [ids[0], ids[2], fourth]
    sockets = [stream(client, s) for s in live]
    try:
        for ws in sockets:
            ws.__enter__()
            assert ws.receive_json()["type"] == "data"
        r = client.post("/api/sessions")
        assert r.status_code == 503 and "open tabs" in r.json()["error"]["message"]
    finally:
        for ws in sockets:
            ws.__exit__(None, None, None)
    assert client.post(f"/api/sessions/{live[0]}/close").json() == {"closed": True}
    assert client.post("/api/sessions").status_code == 200


def test_inspect_returns_the_engines_numbers(client):
    from softmaxlab.nn import softmax

    sid = new_session(client)
    control(client, sid, "step")
    s = session_of(client, sid)
    weights = s.model.get_weights()
    point = s.points[7]
    info = client.post(f"/api/sessions/{sid}/inspect", json={"x": point[0] + 1e-4,
                                                             "y": point[1]}).json()
    assert info["index"] == 7 and info["split"] == "train"
    # Recompute from the model's own prediction path (cache-free apply) and compare.
    x = s.preprocessor.transform(point[None], dtype=np.float32)
    y = int(s.labels[7])
    z = s.model.predict_logits(x)[0]
    q = softmax(z[None])[0]
    np.testing.assert_allclose(info["logits"], z, rtol=1e-6)
    np.testing.assert_allclose(info["proba"], q, rtol=1e-5)
    assert info["loss"] == pytest.approx(-np.log(q[y]), rel=1e-4)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(info["dlogits"], q - onehot, atol=1e-6)
    h = np.array(info["hidden"])
    assert len(h) == 16 and info["output_layer"] == 4
    np.testing.assert_allclose(info["grad_W"], np.outer(h, q - onehot), atol=1e-6)
    names = [layer["name"] for layer in info["layers"]]
    assert names == ["Linear 2→16", "Tanh", "Linear 16→16", "Tanh", "Linear 16→3"]
    # The delta into the last Linear is W^T (q - onehot).
    W = s.model.layers[4].params["W"]
    np.testing.assert_allclose(info["layers"][4]["delta"], W @ (q - onehot), atol=1e-6)
    assert len(info["layers"][0]["delta"]) == 2
    for w0, w1 in zip(weights, s.model.get_weights(), strict=True):
        np.testing.assert_array_equal(w0, w1)  # looking does not train
    # The selected point then travels with every frame, updated live.
    control(client, sid, "step")
    assert frame(client, sid)["inspect"]["epoch"] == 2


def test_gradcheck_endpoint_passes_and_a_broken_backward_fails(client):
    sid = new_session(client, hidden="6,5", activation="tanh")
    res = client.post(f"/api/sessions/{sid}/gradcheck").json()
    assert res["passed"] and res["max_error"] < 1e-5 and res["dtype"] == "float64"
    assert "PASS" in res["summary"] and res["n_checked"] <= res["n_params"]
    assert sorted(res["errors"]) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert res["n_params"] == 2 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3
    # A check that cannot fail checks nothing: a Tanh whose backward is 1.5x too large.
    from softmaxlab.lab.onestep import gradient_check
    from softmaxlab.nn import Tanh

    class WrongTanh(Tanh):
        def backward(self, dout):
            return 1.5 * super().backward(dout)

        def astype(self, dtype):  # the check runs on a float64 copy: keep the bug
            return WrongTanh()

    broken = session_of(client, sid).model.copy()
    broken.layers[1] = WrongTanh()
    s = session_of(client, sid)
    res = gradient_check(broken, s.X_train, s.splits.y_train)
    assert not res["passed"] and res["errors"]["0.W"] > 0.1 and "FAIL" in res["summary"]
    verdicts = {p["name"]: p["passed"] for p in res["parameters"]}
    assert not verdicts["0.W"] and verdicts["4.W"]  # layers after the bug are still right


def test_model_download_loads_with_softmaxlab_load(client, tmp_path):
    import softmaxlab

    sid = new_session(client, dataset="moons", n_points=300)
    for _ in range(3):
        control(client, sid, "step")
    r = client.get(f"/api/sessions/{sid}/model.npz")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    path = tmp_path / "model.npz"
    path.write_bytes(r.content)
    est = softmaxlab.load(path)  # a Pipeline: the lab's scaling, then the network
    s = session_of(client, sid)
    expected = s.model.predict_proba(s.preprocessor.transform(s.points, np.float32))
    np.testing.assert_allclose(est.predict_proba(s.points), expected, rtol=1e-5, atol=1e-7)
    assert list(est.predict(s.points[:3])) == [s.class_names[k] for k in expected[:3].argmax(1)]


def test_run_folder_has_the_usual_report(client, tmp_path):
    import json

    sid = new_session(client)
    r = client.post(f"/api/sessions/{sid}/run-folder")
    assert r.status_code == 400 and "train at least one epoch" in r.json()["error"]["message"]
    for _ in range(2):
        control(client, sid, "step")
    r = client.post(f"/api/sessions/{sid}/run-folder")
    assert r.status_code == 200
    from pathlib import Path

    run = Path(r.json()["path"])
    assert run.parent == (tmp_path / "runs").resolve()
    for name in ("config.toml", "history.csv", "metrics.json", "model.npz", "predictions.npz",
                 "report.html", "decision_boundary.png", "curves.png"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["test_split"] == "validation"
    assert metrics["val"]["n_samples"] == 120
    assert "spiral" in (run / "report.html").read_text()


def test_a_busy_session_does_not_block_the_server(client):
    import threading

    busy, other = new_session(client), new_session(client)
    s = session_of(client, busy)
    done = threading.Event()

    def step():
        control(client, busy, "step")
        done.set()

    with s.lock:  # as if this session were in the middle of a long training frame
        t = threading.Thread(target=step, daemon=True)
        t.start()
        # The step waits for the lock in a worker thread; the event loop still
        # answers another tab (a blocked loop would hang here, not fail).
        assert frame(client, other)["epoch"] == 0
        assert client.get("/api/choices").status_code == 200
        assert not done.is_set()
    t.join(timeout=30)
    assert done.is_set() and frame(client, busy)["epoch"] == 1


def test_divergence_is_reported_on_the_page_and_training_stops(client):
    sid = new_session(client, optimizer="momentum", lr=10, hidden="64,64,64",
                      activation="relu", batch_size=8)
    control(client, sid, "play")
    f = session_of(client, sid).advance()
    assert f["playing"] is False and f["message"]["level"] == "error"
    assert "diverged" in f["message"]["text"] and "lr=10" in f["message"]["text"]
    assert f["epoch"] == 0 and f["boundary"] is not None  # the last good weights are kept
    client.post(f"/api/sessions/{sid}/settings", json={"lr": 0.01})
    assert frame(client, sid)["message"] is None


def test_a_run_stops_at_the_epoch_limit(client, monkeypatch):
    from softmaxlab.lab import training

    monkeypatch.setattr(training, "MAX_EPOCHS", 7)
    sid = new_session(client)
    control(client, sid, "speed", speed=5)
    control(client, sid, "play")
    s = session_of(client, sid)
    assert s.advance()["epoch"] == 5
    f = s.advance()
    assert f["epoch"] == 7 and f["playing"] is False and "7 epochs" in f["message"]["text"]
    control(client, sid, "step")  # nothing more to train, the message stays
    assert frame(client, sid)["epoch"] == 7 and frame(client, sid)["message"] is not None


def test_settings_round_trip_through_a_url(client):
    # The page keeps its settings in its address as strings and sends them back
    # through the settings call on load; what comes back reproduces them.
    from urllib.parse import parse_qsl, urlencode

    sid = new_session(client)
    url_settings = {"dataset": "xor", "n_points": "300", "noise": "0.1", "seed": "7",
                    "features": "x1,x2,x1_x2", "model": "softmax", "lr": "0.1",
                    "optimizer": "sgd", "batch_size": "16", "l2": "0.001", "hidden": "8,8"}
    query = dict(parse_qsl(urlencode(url_settings)))
    r = client.post(f"/api/sessions/{sid}/settings", json=query)
    assert r.status_code == 200, r.text
    stored = r.json()["settings"]
    assert stored["features"] == ["x1", "x2", "x1_x2"] and stored["hidden"] == [8, 8]
    assert stored["n_points"] == 300 and stored["lr"] == 0.1 and stored["noise"] == 0.1
    other = new_session(client)
    again = client.post(f"/api/sessions/{other}/settings", json=stored).json()["settings"]
    assert again == stored
    bad = client.post(f"/api/sessions/{other}/settings", json={**query, "lr": "fast"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "lr"
    assert bad.json()["settings"] == stored  # nothing applied, and the page is told what is kept
