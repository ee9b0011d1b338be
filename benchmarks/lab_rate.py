"""Boundary updates per second of `softmaxlab lab`: a 2-16-16-3 MLP (tanh,
Adam, batch 32) on the 600-point spiral, the lab's defaults.

Measured end to end: `softmaxlab lab --no-browser --port 0` runs in a
subprocess, and this script is the page: it opens a session, presses Play,
reads each frame from the WebSocket (JSON: boundary probabilities, hidden
maps, curves) and acknowledges it at once, as a page that draws instantly
would. Every frame is one boundary update. Also measured: the same session's
``advance()`` in this process (training + rendering, no transport).

    .venv/bin/python benchmarks/lab_rate.py                 # speeds 1 and 5, 8 s each, 3 repeats
    .venv/bin/python benchmarks/lab_rate.py --speeds 1 --seconds 5 --repeats 1
    .venv/bin/python benchmarks/lab_rate.py --settings '{"hidden": "64,64,64", "n_points": 2000}'

Never run by the test suite; it asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from common import ROOT


def _start_server():
    proc = subprocess.Popen([sys.executable, "-m", "softmaxlab", "lab", "--no-browser",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    for _ in range(5):
        m = re.match(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)", proc.stdout.readline())
        if m:
            return proc, int(m.group(1)), m.group(2)
    proc.kill()
    raise SystemExit(f"softmaxlab lab printed no URL: {proc.communicate()[1]}")


def _post(port, token, path, body):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"X-Softmaxlab-Token": token})
    with opener.open(req, timeout=30) as r:
        return json.loads(r.read())


def over_websocket(port, token, speed, seconds, settings, warmup=1.0):
    """(frames per second, epochs per second, mean frame kB) of one session."""
    from websockets.sync.client import connect

    sid = _post(port, token, "/api/sessions", {})["id"]
    if settings:
        _post(port, token, f"/api/sessions/{sid}/settings", settings)
    _post(port, token, f"/api/sessions/{sid}/control", {"action": "speed", "speed": speed})
    _post(port, token, f"/api/sessions/{sid}/control", {"action": "play"})
    url = f"ws://127.0.0.1:{port}/api/sessions/{sid}/stream?token={token}"
    with connect(url, max_size=None) as ws:
        t_start = time.perf_counter() + warmup
        n, size, epoch0, t0 = 0, 0, None, None
        while True:
            raw = ws.recv()
            msg = json.loads(raw)
            ws.send('{"type": "ack"}')
            if msg["type"] != "frame":
                continue
            now = time.perf_counter()
            if now < t_start:
                continue
            if t0 is None:
                t0, epoch0 = now, msg["epoch"]
                continue
            n, size = n + 1, size + len(raw)
            if now - t0 >= seconds:
                break
    _post(port, token, f"/api/sessions/{sid}/close", {})
    dt = now - t0
    return n / dt, (msg["epoch"] - epoch0) / dt, size / n / 1024


def in_process(speed, seconds, settings):
    """Frames per second of ``Session.advance()`` alone, with the server's one
    BLAS thread."""
    from threadpoolctl import threadpool_limits

    from softmaxlab.lab.session import Session

    s = Session("bench")
    if settings:
        s.update(settings)
    s.control("speed", speed)
    s.control("play")
    with threadpool_limits(limits=1, user_api="blas"):
        s.advance()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            s.advance()
            n += 1
    return n / (time.perf_counter() - t0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speeds", default="1,5", help="epochs per frame, comma-separated")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settings", default="{}", help="lab settings as JSON (default: the "
                    "lab's defaults, the 2-16-16-3 MLP on 600 spiral points)")
    args = ap.parse_args(argv)
    settings = json.loads(args.settings)
    speeds = [int(s) for s in args.speeds.split(",")]
    proc, port, token = _start_server()
    try:
        print("speed  frames/s over WebSocket [min-max]  epochs/s  kB/frame  "
              "frames/s in process")
        for speed in speeds:
            ws_runs = [over_websocket(port, token, speed, args.seconds, settings)
                       for _ in range(args.repeats)]
            local = [in_process(speed, args.seconds / 2, settings) for _ in range(args.repeats)]
            fps = [r[0] for r in ws_runs]
            print(f"{speed:>5}  {statistics.median(fps):8.1f} [{min(fps):.1f}-{max(fps):.1f}]"
                  f"{'':>17}{statistics.median(r[1] for r in ws_runs):8.1f}  "
                  f"{statistics.median(r[2] for r in ws_runs):8.1f}  "
                  f"{statistics.median(local):10.1f}")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


if __name__ == "__main__":
    main()
