"""The lab server's front door: the token, the Host check (DNS rebinding), the
WebSocket origin, upload limits, the loopback default, and a real server
started as `softmaxlab lab` that stops cleanly on Ctrl-C."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the lab needs the extra softmaxlab[lab]")
try:
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect
except RuntimeError as exc:  # neither httpx2 nor httpx is installed
    pytest.skip(f"Starlette's test client is unavailable: {exc}", allow_module_level=True)

from softmaxlab.lab.app import create_app  # noqa: E402
from softmaxlab.lab.security import allowed_hosts, split_host  # noqa: E402

TOKEN = "s3cret-token"
PORT = 8765


@pytest.fixture
def app(tmp_path):
    return create_app(TOKEN, "127.0.0.1", PORT, runs_dir=str(tmp_path))


@pytest.fixture
def client(app):
    with TestClient(app, base_url=f"http://127.0.0.1:{PORT}") as c:
        yield c


def test_every_path_needs_the_token(client):
    for path in ("/", "/static/lab.js", "/static/vendor/uPlot.iife.min.js", "/api/choices",
                 "/nonexistent"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "needs its token" in r.text
    assert client.post("/api/sessions").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/?token=" + TOKEN[:-1]).status_code == 403
    assert client.get("/", headers={"X-Softmaxlab-Token": "nope"}).status_code == 403
    assert client.get("/?token=%C3%A9t%C3%A9").status_code == 403  # non-ASCII: refused, no crash


def test_the_token_opens_the_page_and_its_assets(client):
    r = client.get(f"/?token={TOKEN}")
    assert r.status_code == 200 and "softmaxlab lab" in r.text
    assert f'content="{TOKEN}"' in r.text and "__TOKEN__" not in r.text
    # The page arrives with its own session's first data and frame, drawn at once.
    import json

    boot = json.loads(re.search(r'<script id="bootstrap" type="application/json">(.*?)'
                                r'</script>', r.text, re.S).group(1))
    assert len(boot["data"]["x"]) == 600 and boot["frame"]["epoch"] == 0
    sid = boot["id"]
    h = {"X-Softmaxlab-Token": TOKEN}
    assert client.get(f"/api/sessions/{sid}/frame", headers=h).json()["epoch"] == 0
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    # Every asset the page loads carries the token, and is served with it.
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text)
    assert len(assets) >= 5
    for a in assets:
        assert client.get(a).status_code == 200, a
    assert client.get("/api/choices", headers={"X-Softmaxlab-Token": TOKEN}).status_code == 200


@pytest.mark.parametrize("host, ok", [
    (f"127.0.0.1:{PORT}", True), (f"localhost:{PORT}", True), (f"[::1]:{PORT}", True),
    (f"LOCALHOST:{PORT}", True),
    ("evil.example", False), (f"evil.example:{PORT}", False), (f"127.0.0.1:{PORT + 1}", False),
    ("127.0.0.1", False), (f"192.168.1.5:{PORT}", False), ("", False), ("[::1", False),
    (f"127.0.0.1.nip.io:{PORT}", False),
])
def test_host_header_must_be_this_server(client, host, ok):
    r = client.get(f"/?token={TOKEN}", headers={"Host": host})
    assert (r.status_code == 200) == ok
    if not ok:
        assert r.status_code == 403 and "DNS rebinding" in r.text


def test_wildcard_bind_accepts_address_literals_only():
    ok = allowed_hosts("0.0.0.0", 9000)
    assert ok("10.1.2.3", 9000) and ok("127.0.0.1", 9000) and ok("localhost", 9000)
    assert ok("fe80::1", 9000)
    assert not ok("attacker.example", 9000) and not ok("10.1.2.3", 9001)
    specific = allowed_hosts("10.1.2.3", 9000)
    assert specific("10.1.2.3", 9000) and specific("127.0.0.1", 9000)
    assert not specific("10.1.2.4", 9000)
    assert split_host("[::1]:80") == ("::1", 80) and split_host("a:b") is None


def test_websocket_needs_token_host_and_origin(client):
    sid = client.post("/api/sessions", headers={"X-Softmaxlab-Token": TOKEN}).json()["id"]
    base = f"ws://127.0.0.1:{PORT}/api/sessions/{sid}/stream"
    with pytest.raises(WebSocketDisconnect) as exc:
        with client.websocket_connect(base):
            pass
    assert exc.value.code == 1008
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(f"{base}?token={TOKEN}",
                                      headers={"Origin": "http://evil.example"}):
            pass
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(f"{base}?token={TOKEN}", headers={"Host": "evil.example"}):
            pass
    with client.websocket_connect(f"{base}?token={TOKEN}",
                                  headers={"Origin": f"http://127.0.0.1:{PORT}"}) as ws:
        assert ws.receive_json()["type"] == "data"


def test_uploads_are_size_limited_and_parsed_by_the_csv_reader(client):
    from softmaxlab.lab.datasets import MAX_UPLOAD_BYTES

    h = {"X-Softmaxlab-Token": TOKEN}
    sid = client.post("/api/sessions", headers=h).json()["id"]
    url = f"/api/sessions/{sid}/upload"
    rows = "\n".join(f"{i % 7 / 7:.3f},{(i * 3) % 11 / 11:.3f},{'ab'[i % 2]}" for i in range(60))
    r = client.post(url + "?filename=mine.csv", content=f"u,v,kind\n{rows}\n", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 60 and r.json()["feature_names"] == ["u", "v"]
    d = client.get(f"/api/sessions/{sid}/data", headers=h).json()
    assert d["name"] == "mine.csv" and d["classes"] == ["a", "b"] and d["n_val"] == 12
    big = b"x,y,label\n" + b"0.5,0.5,a\n" * (MAX_UPLOAD_BYTES // 10 + 1)
    r = client.post(url + "?filename=big.csv", content=big, headers=h)
    assert r.status_code == 413 and "1 MiB" in r.json()["error"]["message"]

    def error(text, name="bad.csv", **q):
        query = "&".join(f"{k}={v}" for k, v in {"filename": name, **q}.items())
        r = client.post(f"{url}?{query}", content=text.encode(), headers=h)
        assert r.status_code == 400
        return r.json()["error"]["message"]

    assert "3 feature columns (a, b, c)" in error("a,b,c,y\n1,2,3,x\n4,5,6,y\n")
    assert "mixes numbers" in error("a,b,y\n1,hello,x\n4,5,y\n2,2,x\n3,3,y\n")
    assert "not numeric" in error("a,b,y\n1,red,x\n4,blue,y\n2,red,x\n3,red,y\n")
    msg = error("a,b,y\n1,2,x\n4,5\n")
    assert msg.startswith("bad.csv: line 3 has 2 fields") and "/tmp" not in msg
    assert "no label column 'kind'" in error("a,b,y\n1,2,x\n", label_column="kind")
    assert "single row" in error("a,b,y\n1,2,x\n4,5,y\n6,7,y\n")
    assert "choose a .csv file" in error("a,b,y\n", name="data.xlsx")
    assert "holds one class" in error("a,b,y\n1,2,x\n4,5,x\n")


def test_a_missing_extra_is_named(monkeypatch, capsys):
    import importlib.util

    from softmaxlab import cli, lab

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(ImportError, match=r'pip install "softmaxlab\[lab\]"'):
        lab.require_extra()
    assert cli.main(["lab", "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "softmaxlab[lab]" in err and "uvicorn" in err


def test_exposure_warning_and_port_errors():
    from softmaxlab import cli
    from softmaxlab.lab.server import bind, exposure_warning, url_for

    assert exposure_warning("127.0.0.1", 1) is None and exposure_warning("::1", 1) is None
    assert exposure_warning("localhost", 1) is None
    assert "not only on this machine" in exposure_warning("0.0.0.0", 8765)
    assert url_for("0.0.0.0", 5, "t") == "http://127.0.0.1:5/?token=t"
    assert url_for("::1", 5, "t") == "http://[::1]:5/?token=t"
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        taken.listen(1)
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}.*--port"):
            bind("127.0.0.1", port)
    finally:
        taken.close()
    assert cli.main(["lab", "--port", "70000", "--no-browser"]) == 2


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc)."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(name):
            continue
        for line in Path(name).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(addr)
    return found


def test_softmaxlab_lab_prints_its_url_binds_loopback_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "softmaxlab", "lab", "--no-browser",
                             "--port", "0", "--runs-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        for _ in range(5):
            line = proc.stdout.readline()
            m = re.fullmatch(r"(http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))\n", line)
            if m:
                url, port, token = m.group(1), int(m.group(2)), m.group(3)
                break
        assert url is not None, "no URL line printed"
        assert len(token) >= 32
        # No proxy from the environment: the request must reach this server.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as r:
            assert r.status == 200 and "softmaxlab lab" in r.read().decode()
        for request in (urllib.request.Request(url.split("?")[0]),
                        urllib.request.Request(url, headers={"Host": f"evil.example:{port}"})):
            with pytest.raises(urllib.error.HTTPError) as exc:
                opener.open(request, timeout=10)
            assert exc.value.code == 403
        if os.path.exists("/proc/net/tcp"):
            assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        # Ctrl-C while a tab is connected and training.
        import json

        from websockets.sync.client import connect

        def post(path, body):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                         data=json.dumps(body).encode(),
                                         headers={"X-Softmaxlab-Token": token})
            with opener.open(req, timeout=10) as r:
                return json.loads(r.read())

        sid = post("/api/sessions", {})["id"]
        post(f"/api/sessions/{sid}/control", {"action": "play"})
        with connect(f"ws://127.0.0.1:{port}/api/sessions/{sid}/stream?token={token}",
                     open_timeout=10, max_size=None) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "data"
            for _ in range(2):
                assert json.loads(ws.recv(timeout=10))["type"] == "frame"
                ws.send('{"type": "ack"}')
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "softmaxlab lab: stopped" in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
