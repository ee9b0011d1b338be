"""The lab server's front door, as one ASGI middleware in front of every
route, static files and the WebSocket included:

1. the Host header must name this server's own address (a page on another
   site that re-points its DNS name at 127.0.0.1, "DNS rebinding", sends its
   own name and is refused);
2. a WebSocket handshake's Origin, when a browser sends one, must be this
   server (another site's page cannot open the stream);
3. the request must carry the server's random token, as the ``token`` query
   parameter or the ``X-Softmaxlab-Token`` header, compared in constant time.

No cookie is set: a credential that the browser attaches by itself is what
cross-site request forgery needs, and the page adds the token explicitly.
"""
from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import parse_qs, urlsplit
from softmaxlab.errors import InputError

__all__ = ["TOKEN_HEADER", "Guard", "allowed_hosts", "split_host"]

TOKEN_HEADER = "x-softmaxlab-token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def split_host(value: str) -> tuple[str, int | None] | None:
    """``'127.0.0.1:8765'`` -> ``('127.0.0.1', 8765)``; ``'[::1]:80'`` -> ``('::1', 80)``;
    None when unparseable."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def _is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def allowed_hosts(host: str, port: int):
    """A predicate on (hostname, port) for the Host header of a server bound
    to ``host:port``.

    Bound to a loopback or specific address: that address, or any loopback
    name, with the bound port. Bound to every interface (0.0.0.0 or ::): any
    IP address literal with the bound port, since a rebinding attack needs a
    DNS name and a literal address cannot be re-pointed.
    """
    names = {h.lower() for h in LOOPBACK_NAMES}
    if not _is_wildcard(host):
        names.add(host.lower().strip("[]"))

    def ok(hostname: str, p: int | None) -> bool:
        if p != port:
            return False
        if hostname in names:
            return True
        if _is_wildcard(host):
            try:
                ipaddress.ip_address(hostname)
                return True
            except ValueError:
                return False
        return False

    return ok


class Guard:
    """ASGI middleware refusing requests with a foreign Host, a foreign
    WebSocket Origin, or without the token (HTTP 403; a refused WebSocket
    handshake is closed with code 1008, which the client sees as 403)."""

    def __init__(self, app, token: str, host_ok, describe: str):
        if not token:
            raise InputError("the lab's token must be a non-empty string")
        self.app, self.token, self.host_ok, self.describe = app, token.encode(), host_ok, describe

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        parsed = split_host(host)
        if parsed is None or not self.host_ok(*parsed):
            return await self._refuse(scope, receive, send, (
                f"Host {host!r} is not this server's address ({self.describe}); the lab only "
                "answers requests addressed to it directly, which stops DNS rebinding. Open "
                "the URL printed by `softmaxlab lab`."))
        origin = headers.get("origin")
        if scope["type"] == "websocket" and origin is not None:
            o = split_host(urlsplit(origin).netloc) if urlsplit(origin).netloc else None
            if o is None or o != parsed:
                return await self._refuse(scope, receive, send,
                                          f"WebSocket origin {origin!r} is not this page")
        if not self._has_token(scope, headers):
            return await self._refuse(scope, receive, send, (
                "This softmaxlab lab needs its token: open the full URL printed by "
                "`softmaxlab lab` in the terminal (it ends in ?token=...)."))
        return await self.app(scope, receive, send)

    def _has_token(self, scope, headers) -> bool:
        given = headers.get(TOKEN_HEADER)
        if given is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [None])[0]
        if not given:
            return False
        return secrets.compare_digest(given.encode("utf-8", "replace"), self.token)

    async def _refuse(self, scope, receive, send, message: str):
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        body = message.encode("utf-8")
        await send({"type": "http.response.start", "status": 403, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
