"""Run the lab: bind the socket, print the URL with its token, serve with
uvicorn until Ctrl-C."""
from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
import threading
import webbrowser
from softmaxlab.errors import InputError


__all__ = ["DEFAULT_PORT", "bind", "exposure_warning", "serve", "url_for"]

DEFAULT_PORT = 8765
_PORT_TRIES = 10  # without --port, the next free ports after the default


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int, runs_dir="runs") -> str | None:
    """The warning for a server reachable from other machines, or None for loopback."""
    if _is_loopback(host):
        return None
    return (f"listening on {host}, not only on this machine: anyone who can reach port {port} "
            f"and has the URL's token can use the lab (train models, upload files, write run "
            f"folders in {runs_dir}/). Leave out --host to listen on 127.0.0.1 only.")


def bind(host: str, port: int | None) -> socket.socket:
    """A socket bound to ``host:port`` (not yet listening). Without ``port``
    the default is tried, then the next few ports; ``port=0`` takes any free one.

    Raises
    ------
    ValueError
        Bad port number.
    OSError
        Nothing could be bound; the message names the address and the fix.
    """
    if port is not None and not 0 <= port <= 65535:
        raise InputError(f"the port must be in 0..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    ports = [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + _PORT_TRIES)
    last = None
    for p in ports:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, p))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    where = f"{host}:{port}" if port is not None else \
        f"{host}:{DEFAULT_PORT}-{DEFAULT_PORT + _PORT_TRIES - 1}"
    raise OSError(f"cannot listen on {where} ({last.strerror or last}); choose another "
                  "--port (0 picks any free one) or check --host")


def url_for(host: str, port: int, token: str, lang: str | None = None) -> str:
    """The address to open: the bound host (127.0.0.1 for a wildcard bind),
    with ``&lang=`` when a language was chosen."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host)
    if shown is None:
        shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}" + (f"&lang={lang}" if lang else "")


def serve(host: str = "127.0.0.1", port: int | None = None, open_browser: bool = True,
          runs_dir="runs", out=None, err=None, lang: str | None = None) -> int:
    """Serve the lab until interrupted; returns the exit status (0).

    Parameters
    ----------
    host : str, default "127.0.0.1"
        Anything but a loopback address makes the lab reachable from other
        machines, so it prints a warning.
    port : int, optional
        Default: 8765, or the next free port.
    open_browser : bool
        Open the URL in the default browser once the server listens.
    runs_dir : where "Save run folder" writes run folders.
    lang : {"en", "zh-Hans", "zh-Hant"}, optional
        The page's language; default: the browser's.
    """
    import uvicorn

    from softmaxlab.lab.app import create_app

    out, err = out or sys.stdout, err or sys.stderr
    from softmaxlab.lab.params import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        raise InputError(f"the language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    from softmaxlab.lab.session import Session

    sock = bind(host, port)
    # Build one session now: its imports (scikit-learn for the split) take a
    # few seconds once, which the first page would otherwise wait for.
    Session("warm-up")
    # Listen before printing the URL: a client that connects as soon as it
    # reads the URL waits in the backlog until uvicorn accepts, never refused.
    sock.listen(128)
    actual = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    app = create_app(token, host, actual, runs_dir=runs_dir, lang=lang)
    url = url_for(host, actual, token, lang)
    _announce(url, host, actual, runs_dir, out, err)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    _run(server, sock)
    print("softmaxlab lab: stopped", file=err, flush=True)
    return 0


def _announce(url: str, host: str, port: int, runs_dir, out, err) -> None:
    """Print the warning for a server reachable from other machines, if any,
    then the URL to open."""
    warning = exposure_warning(host, port, runs_dir)
    if warning:
        print(f"softmaxlab lab: warning: {warning}", file=err, flush=True)
    print("softmaxlab lab is running; open this URL in a browser (Ctrl-C stops it):",
          file=out, flush=True)
    print(url, file=out, flush=True)


def _run(server, sock) -> None:
    """Run the uvicorn ``server`` on the listening ``sock`` until Ctrl-C, then
    close the socket."""
    import warnings

    from threadpoolctl import threadpool_limits

    from softmaxlab.train.hints import NotLearningWarning

    # The page shows the loss; the terminal needs no "not learning" hints.
    warnings.filterwarnings("ignore", category=NotLearningWarning)
    try:
        # The lab's matrices are tiny (at most 5000 x 64): more BLAS threads
        # only add synchronisation (a 10000 x 16 GEMM: 3.3 ms on two threads,
        # 0.2 ms on one), and the tabs' sessions run in threads of their own.
        with threadpool_limits(limits=1, user_api="blas"):
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and re-raised the signal
    finally:
        sock.close()
