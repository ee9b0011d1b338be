"""How long the lab makes people wait while long work runs: Pause's answer,
and another session's frame during the largest gradient check.

End to end against `softmaxlab lab --no-browser --port 0` in a subprocess:

1. session A (6 x 64 tanh, 2000 points) trains 3 epochs, then checks its
   gradients; meanwhile session B (the defaults) asks for a frame every
   50 ms: the slowest of those answers is "another session's frame wait";
2. session C (64,64,64 on 2000 points, batch 1, 50 epochs a frame) plays
   over its WebSocket; after 1 s Pause is sent: its HTTP answer time, and
   the time until a frame with ``playing: false`` arrives.

    .venv/bin/python benchmarks/lab_latency.py

Never run by the test suite; it asserts nothing.
"""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request

from lab_rate import _start_server

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(port, token, path, body=None, method="POST"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data,
                                 headers={"X-Softmaxlab-Token": token})
    with OPENER.open(req, timeout=120) as r:
        return json.loads(r.read())


def frame_wait_during_gradcheck(port, token):
    a = call(port, token, "/api/sessions")["id"]
    call(port, token, f"/api/sessions/{a}/settings", {"hidden": [64] * 6, "n_points": 2000})
    for _ in range(3):
        call(port, token, f"/api/sessions/{a}/control", {"action": "step"})
    b = call(port, token, "/api/sessions")["id"]
    waits, done = [], threading.Event()
    result = {}

    def check():
        t0 = time.perf_counter()
        result["r"] = call(port, token, f"/api/sessions/{a}/gradcheck")
        result["s"] = time.perf_counter() - t0
        done.set()

    threading.Thread(target=check, daemon=True).start()
    while not done.is_set():
        t0 = time.perf_counter()
        call(port, token, f"/api/sessions/{b}/frame", method="GET")
        waits.append(time.perf_counter() - t0)
        time.sleep(0.05)
    return result, waits


def pause_latency(port, token):
    from websockets.sync.client import connect

    c = call(port, token, "/api/sessions")["id"]
    call(port, token, f"/api/sessions/{c}/settings",
         {"hidden": [64, 64, 64], "n_points": 2000, "batch_size": 1})
    call(port, token, f"/api/sessions/{c}/control", {"action": "speed", "speed": 50})
    call(port, token, f"/api/sessions/{c}/control", {"action": "play"})
    url = f"ws://127.0.0.1:{port}/api/sessions/{c}/stream?token={token}"
    with connect(url, max_size=None) as ws:
        def acks():
            try:
                while True:
                    msg = json.loads(ws.recv())
                    if msg["type"] == "frame":
                        ws.send(json.dumps({"type": "ack"}))
                        if not msg["playing"] and "t_pause" in box:
                            box["t_frame"] = time.perf_counter()
                            return
            except Exception:
                return
        box = {}
        threading.Thread(target=acks, daemon=True).start()
        time.sleep(1.0)
        box["t_pause"] = t0 = time.perf_counter()
        call(port, token, f"/api/sessions/{c}/control", {"action": "pause"})
        answered = time.perf_counter() - t0
        for _ in range(200):
            if "t_frame" in box:
                break
            time.sleep(0.01)
        return answered, box.get("t_frame", float("nan")) - t0


def main():
    proc, port, token = _start_server()
    try:
        result, waits = frame_wait_during_gradcheck(port, token)
        r = result["r"]
        print(f"gradient check of 6x64 on 2000 points: {result['s']:.2f} s, "
              f"{r['n_checked']} of {r['n_params']} entries, passed={r['passed']}, "
              f"max error {r['max_error']:.1e}")
        print(f"another session's frame during it: {len(waits)} frames, median "
              f"{statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms")
        answered, stopped = pause_latency(port, token)
        print(f"Pause at speed 50, 64,64,64 on 2000 points, batch 1: answered in "
              f"{answered * 1000:.0f} ms, paused frame after {stopped * 1000:.0f} ms")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
