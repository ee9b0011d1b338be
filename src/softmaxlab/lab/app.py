"""The lab's web application (Starlette): the page, its JSON API and the
WebSocket stream of frames. Every blocking call (training, rendering, file
parsing) runs in a worker thread, so the event loop keeps answering.

The WebSocket stream of frames is in ``stream.py``.
"""
from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from softmaxlab.lab import datasets, export
from softmaxlab.lab.params import LabParamError, choices
from softmaxlab.lab.security import Guard, allowed_hosts
from softmaxlab.lab.session import LabBusyError, SessionStore
from softmaxlab.lab.stream import stream

__all__ = ["MAX_JSON_BYTES", "create_app"]

STATIC = Path(__file__).parent / "static"
MAX_JSON_BYTES = 64 * 1024
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


class _TooLarge(Exception):
    pass


def _error(message: str, status: int = 400, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status,
                        headers={"Cache-Control": "no-store"})


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with _TooLarge past ``limit`` bytes (checked
    on the declared length and again while reading, so nothing larger is held)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request):
    import json

    raw = await _body(request, MAX_JSON_BYTES)
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        raise LabParamError("", "the request body is not valid JSON") from None


def _api(handler):
    """Turn the lab's exceptions into JSON errors the page shows."""
    async def wrapped(request: Request):
        store: SessionStore = request.app.state.store
        session = None
        if "sid" in request.path_params:
            try:
                session = store.get(request.path_params["sid"])
            except KeyError:
                return _error("this lab session has ended (the server was restarted or too "
                              "many tabs were opened); reload the page", 404)
        try:
            return await handler(request, session)
        except LabParamError as exc:
            return _error(str(exc), 400, exc.field)
        except datasets.UploadError as exc:
            return _error(str(exc), 400, "upload")
        except _TooLarge:
            return _error(f"the upload is larger than {datasets.MAX_UPLOAD_BYTES // 2**20} MiB, "
                          "the lab's limit; keep a sample of the rows", 413, "upload")
        except LabBusyError as exc:
            return _error(str(exc), 503)
    return wrapped


# ---- handlers ---------------------------------------------------------------------

def _bootstrap(store: SessionStore) -> dict:
    """A new session with its first data and frame, for the page to draw
    before any request of its own (a screenshot right after loading shows it)."""
    try:
        s = store.create()
    except LabBusyError as exc:
        return {"error": str(exc)}
    return {"id": s.id, "settings": s.settings.to_dict(), **choices(),
            "data": s.data_message(), "frame": s.frame()}


async def index(request: Request):
    import json

    token = request.app.state.token
    boot = await run_in_threadpool(_bootstrap, request.app.state.store)
    # Inside <script type="application/json"> only "</" could end the element early.
    boot_json = json.dumps(boot, allow_nan=False).replace("</", "<\\/")
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("__TOKEN__", token).replace("__BOOTSTRAP__", boot_json)
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
    changes = await _json(request)
    result = await run_in_threadpool(session.update, changes)
    session.wake.set()
    return JSONResponse(result)


async def control(request: Request, session):
    body = await _json(request)
    if not isinstance(body, dict):
        raise LabParamError("action", "expected a JSON object such as {\"action\": \"play\"}")
    await run_in_threadpool(session.control, body.get("action"), body.get("speed"))
    session.wake.set()
    return JSONResponse({"playing": session.playing, "speed": session.speed,
                         "epoch": session.trainer.epoch})


async def upload(request: Request, session):
    content = await _body(request, datasets.MAX_UPLOAD_BYTES)
    name = request.query_params.get("filename", "upload.csv")
    label = request.query_params.get("label_column")
    ds = await run_in_threadpool(datasets.read_upload, content, name, label)
    result = await run_in_threadpool(session.set_upload, ds)
    session.wake.set()
    return JSONResponse({**result, "rows": int(len(ds.y)), "classes": [str(c) for c in ds.classes],
                         "feature_names": ds.feature_names,
                         "label_column": ds.meta.get("label_column")})


async def inspect(request: Request, session):
    body = await _json(request)
    try:
        x, y = float(body["x"]), float(body["y"])
    except (KeyError, TypeError, ValueError):
        raise LabParamError("point", "expected the clicked point as {\"x\": number, "
                            "\"y\": number}") from None
    return JSONResponse(await run_in_threadpool(session.inspect, x, y))


async def gradcheck(request: Request, session):
    return JSONResponse(await run_in_threadpool(session.gradcheck))


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
    try:
        path = await run_in_threadpool(export.save_run_folder, session,
                                       request.app.state.runs_dir)
    except ValueError as exc:
        raise LabParamError("export", str(exc)) from None
    return JSONResponse({"path": str(Path(path).resolve())})


def create_app(token: str, host: str = "127.0.0.1", port: int = 8765, *, runs_dir="runs",
               max_sessions: int | None = None) -> Starlette:
    """The lab application behind its :class:`~softmaxlab.lab.security.Guard`.

    Parameters
    ----------
    token : str
        The secret every request must carry.
    host, port : the address the server is bound to (for the Host check).
    runs_dir : where "Save run folder" writes.
    max_sessions : int, optional
        Open tabs at once (default ``session.MAX_SESSIONS``).
    """
    sid = "/api/sessions/{sid}"
    routes = [
        Route("/", index),
        Route("/api/choices", _api(get_choices)),
        Route("/api/sessions", _api(create_session), methods=["POST"]),
        Route(f"{sid}/close", _api(close_session), methods=["POST"]),
        Route(f"{sid}/settings", _api(update_settings), methods=["POST"]),
        Route(f"{sid}/control", _api(control), methods=["POST"]),
        Route(f"{sid}/upload", _api(upload), methods=["POST"]),
        Route(f"{sid}/inspect", _api(inspect), methods=["POST"]),
        Route(f"{sid}/gradcheck", _api(gradcheck), methods=["POST"]),
        Route(f"{sid}/frame", _api(frame)),
        Route(f"{sid}/data", _api(data)),
        Route(f"{sid}/model.npz", _api(model_npz)),
        Route(f"{sid}/run-folder", _api(run_folder), methods=["POST"]),
        WebSocketRoute(f"{sid}/stream", stream),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.token = token
    app.state.store = SessionStore(max_sessions) if max_sessions else SessionStore()
    app.state.runs_dir = runs_dir
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return Guard(app, token, allowed_hosts(host, port), shown)
