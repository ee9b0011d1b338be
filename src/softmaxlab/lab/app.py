"""The lab's web application (Starlette): the page, its JSON API and the
WebSocket stream of frames. Every blocking call (training, rendering, file
parsing) runs in a worker thread, so the event loop keeps answering.

The WebSocket stream of frames is in ``stream.py``.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from softmaxlab.lab import datasets, export
from softmaxlab.lab.errors import LabError
from softmaxlab.lab.jobs import RunFolderQuota
from softmaxlab.lab.params import LANGUAGES, choices
from softmaxlab.lab.requests import (
    MAX_JSON_BYTES,
    api,
    error_response,
    json_object,
    read_body,
    read_json,
)
from softmaxlab.lab.security import Guard, allowed_hosts
from softmaxlab.lab.session import LabBusyError, SessionStore
from softmaxlab.lab.stream import stream

__all__ = ["MAX_JSON_BYTES", "create_app"]

STATIC = Path(__file__).parent / "static"
LONG_SLOTS = 2  # long operations running at once on the server (2 CPUs: one left for frames)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Scripts only from this server; inline style attributes are allowed
    # (the page colours its number cells with them), inline scripts are not.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'none'",
}


# ---- handlers ---------------------------------------------------------------------

def _bootstrap(store: SessionStore, lang: str | None) -> dict:
    """A new session with its first data and frame, for the page to draw
    before any request of its own (a screenshot right after loading shows it)."""
    try:
        s = store.create()
    except LabBusyError as exc:
        return {**exc.body(), "lang": lang, "languages": list(LANGUAGES)}
    return {"id": s.id, "settings": s.settings.to_dict(), **choices(), "lang": lang,
            "data": s.data_message(), "frame": s.frame()}


async def index(request: Request):
    import json

    token = request.app.state.token
    lang = request.query_params.get("lang")
    lang = lang if lang in LANGUAGES else request.app.state.lang
    boot = await run_in_threadpool(_bootstrap, request.app.state.store, lang)
    # Inside <script type="application/json"> only "</" could end the element early.
    boot_json = json.dumps(boot, allow_nan=False).replace("</", "<\\/")
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("__TOKEN__", token).replace("__BOOTSTRAP__", boot_json)
    page = page.replace("__LANG__", lang or "en")
    return HTMLResponse(page, headers=_HEADERS)


async def get_choices(request: Request, session):
    return JSONResponse(choices())


async def create_session(request: Request, session):
    s = await run_in_threadpool(request.app.state.store.create)
    return JSONResponse({"id": s.id, "settings": s.settings.to_dict(), **choices()})


async def close_session(request: Request, session):
    request.app.state.store.close(session.id)
    session.stream_generation += 1
    session.wake.set()
    return JSONResponse({"closed": True})


async def update_settings(request: Request, session):
    changes = json_object(await read_json(request), '{"lr": 0.01}')
    result = await run_in_threadpool(session.update, changes)
    session.wake.set()
    return JSONResponse(result)


def _control_state(session) -> dict:
    return {"playing": session.playing, "speed": session.speed, "epoch": session.trainer.epoch,
            "batch": session.batch_steps, "operation": session.job.status()}


async def control(request: Request, session):
    body = json_object(await read_json(request), '{"action": "play"}')
    action = body.get("action")
    if action == "pause":  # no worker thread and no lock: Pause answers at once
        session.control("pause")
    else:
        await run_in_threadpool(session.control, action, body.get("speed"), body.get("unit"))
    session.wake.set()
    return JSONResponse(_control_state(session))


async def upload(request: Request, session):
    content = await read_body(request, datasets.MAX_UPLOAD_BYTES, upload=True)
    name = request.query_params.get("filename", "upload.csv")
    label = request.query_params.get("label_column")
    ds = await run_in_threadpool(datasets.read_upload, content, name, label)
    result = await run_in_threadpool(session.set_upload, ds)
    session.wake.set()
    return JSONResponse({**result, "rows": int(len(ds.y)), "classes": [str(c) for c in ds.classes],
                         "feature_names": ds.feature_names,
                         "label_column": ds.meta.get("label_column")})


async def inspect(request: Request, session):
    import math

    body = await read_json(request)
    try:
        x, y = float(body["x"]), float(body["y"])
        if isinstance(body["x"], bool) or isinstance(body["y"], bool):
            raise TypeError
    except (KeyError, TypeError, ValueError, OverflowError, IndexError):
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise LabError("bad_point", "expected the clicked point as {\"x\": number, \"y\": "
                       "number} with finite numbers", field="point")
    return JSONResponse(await run_in_threadpool(session.inspect, x, y))


async def _long(request: Request, session, name: str, work):
    """Run ``work(check)`` as the session's long operation ``name``: off the
    event loop, one per session (409 otherwise), at most ``LONG_SLOTS`` at once
    on the server, cancelled when the client goes away."""
    cancel = session.job.begin(name)
    check = session.job.checker(cancel, name)
    try:
        async with request.app.state.long_slots:
            check()
            task = asyncio.ensure_future(run_in_threadpool(work, check))
            while not task.done():
                await asyncio.wait({task}, timeout=0.25)
                if not task.done() and await request.is_disconnected():
                    cancel.set()
            return task.result()
    finally:
        session.job.end()
        session.wake.set()


async def gradcheck(request: Request, session):
    return JSONResponse(await _long(request, session, "gradcheck", session.gradcheck))


async def cancel(request: Request, session):
    return JSONResponse({"cancelled": session.job.stop()})


async def frame(request: Request, session):
    return JSONResponse(await run_in_threadpool(session.frame))


async def data(request: Request, session):
    return JSONResponse(await run_in_threadpool(session.data_message))


async def model_npz(request: Request, session):
    content = await run_in_threadpool(export.model_bytes, session)
    name = f"{session.dataset.name.rsplit('.', 1)[0]}-{session.settings.model}-model.npz"
    return Response(content, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def run_folder(request: Request, session):
    export.check_exportable(session)
    session.job.ensure_free()  # refuse before counting it against the quota
    request.app.state.quota.take(session)
    root = request.app.state.runs_dir
    path = await _long(request, session, "run_folder",
                       lambda check: export.save_run_folder(session, root, check))
    return JSONResponse({"path": str(Path(path).resolve())})


async def _not_found(request: Request, exc):
    if exc.status_code == 405:
        err = LabError("method_not_allowed", f"{request.method} is not allowed here", status=405)
    else:
        err = LabError("not_found", "no such page or call in the lab", status=404)
    return error_response(err)


def create_app(token: str, host: str = "127.0.0.1", port: int = 8765, *, runs_dir="runs",
               max_sessions: int | None = None, lang: str | None = None) -> Starlette:
    """The lab application behind its :class:`~softmaxlab.lab.security.Guard`.

    Parameters
    ----------
    token : str
        The secret every request must carry.
    host, port : the address the server is bound to (for the Host check).
    runs_dir : where "Save run folder" writes.
    max_sessions : int, optional
        Open tabs at once (default ``session.MAX_SESSIONS``).
    lang : {"en", "zh-Hans", "zh-Hant"}, optional
        The page's language (its ``?lang=`` overrides it); default: the browser's.
    """
    sid = "/api/sessions/{sid}"
    routes = [
        Route("/", index),
        Route("/api/choices", api(get_choices)),
        Route("/api/sessions", api(create_session), methods=["POST"]),
        Route(f"{sid}/close", api(close_session), methods=["POST"]),
        Route(f"{sid}/settings", api(update_settings), methods=["POST"]),
        Route(f"{sid}/control", api(control), methods=["POST"]),
        Route(f"{sid}/upload", api(upload), methods=["POST"]),
        Route(f"{sid}/inspect", api(inspect), methods=["POST"]),
        Route(f"{sid}/gradcheck", api(gradcheck), methods=["POST"]),
        Route(f"{sid}/cancel", api(cancel), methods=["POST"]),
        Route(f"{sid}/frame", api(frame)),
        Route(f"{sid}/data", api(data)),
        Route(f"{sid}/model.npz", api(model_npz)),
        Route(f"{sid}/run-folder", api(run_folder), methods=["POST"]),
        WebSocketRoute(f"{sid}/stream", stream),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.token = token
    app.state.lang = lang
    app.state.long_slots = asyncio.Semaphore(LONG_SLOTS)
    app.state.quota = RunFolderQuota()
    app.state.store = SessionStore(max_sessions) if max_sessions else SessionStore()
    app.state.runs_dir = runs_dir
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Guard(app, token, allowed_hosts(host, port), shown)
