"""Reading the lab's requests and answering its refusals: bodies within
their limits, JSON that may be malformed or nested too deeply, and every
:class:`~softmaxlab.lab.errors.LabError` as a JSON error with its code,
never a 500."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from softmaxlab.lab.errors import LabError
from softmaxlab.lab.params import LabParamError

__all__ = ["MAX_JSON_BYTES", "api", "error_response", "json_object", "read_body", "read_json",
           "too_large"]

MAX_JSON_BYTES = 64 * 1024


def error_response(exc: LabError, extra: dict | None = None) -> JSONResponse:
    """``exc`` as ``{"error": {"code", "message", "field", "params"}}`` (plus
    ``extra``) with its status, and ``Retry-After`` for a rate limit."""
    headers = {"Cache-Control": "no-store"}
    if "retry_after" in exc.params:
        headers["Retry-After"] = str(exc.params["retry_after"])
    return JSONResponse({**exc.body(), **(extra or {})}, status_code=exc.status, headers=headers)


def too_large(limit: int, upload: bool) -> LabError:
    """The refusal of a body over ``limit`` bytes, naming the limit that applies."""
    if upload:
        return LabError("upload_too_large", f"the upload is larger than {limit // 2**20} MiB, the "
                        "lab's limit; keep a sample of the rows", status=413, field="upload",
                        limit_bytes=limit)
    return LabError("body_too_large", f"the request body is larger than {limit // 1024} kB, the "
                    "limit for the lab's JSON requests", status=413, limit_bytes=limit)


async def read_body(request: Request, limit: int, upload: bool = False) -> bytes:
    """The request body, refused past ``limit`` bytes (checked on the declared
    length and again while reading, so nothing larger is held)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit, upload)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit, upload)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, empty=None):
    """The JSON body (``empty`` when there is none), refused with a LabError."""
    import json

    raw = await read_body(request, MAX_JSON_BYTES)
    if not raw.strip():
        return {} if empty is None else empty
    try:
        return json.loads(raw)
    except RecursionError:
        raise LabError("too_deep", "the request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise LabError("bad_json", "the request body is not valid JSON") from None


def json_object(body, example: str) -> dict:
    """``body`` if it is a JSON object, else a ``not_object`` refusal."""
    if not isinstance(body, dict):
        raise LabError("not_object", f"expected a JSON object such as {example}")
    return body


def api(handler):
    """Turn the lab's refusals into JSON errors the page shows (never a 500)."""
    async def wrapped(request: Request):
        store = request.app.state.store
        session = None
        if "sid" in request.path_params:
            try:
                session = store.get(request.path_params["sid"])
            except KeyError:
                return error_response(LabError(
                    "session_gone", "this lab session has ended (the server was restarted or "
                    "too many tabs were opened); reload the page", status=404))
        try:
            return await handler(request, session)
        except LabParamError as exc:
            extra = {"settings": session.settings.to_dict()} if session is not None else None
            return error_response(exc, extra)
        except LabError as exc:
            return error_response(exc)
        except RecursionError:
            return error_response(LabError("too_deep", "the request is nested too deeply"))
    return wrapped
