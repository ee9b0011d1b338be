"""The WebSocket stream of one session's frames.

Streaming is paced by the browser: the page acknowledges each frame after
drawing it and the server computes the next one only then, so frames never
queue up and training runs as fast as the page can show it (``speed`` epochs
per frame). While paused, a frame is sent after each change (a step, new
settings). The training and rendering run in a worker thread.
"""
from __future__ import annotations

import asyncio
import contextlib

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from softmaxlab.lab.session import SessionStore

__all__ = ["stream"]


async def _first(*aws):
    """Wait until the first of these awaitables/tasks is done; cancel the others
    that were created here."""
    tasks = [a if isinstance(a, asyncio.Task) else asyncio.ensure_future(a) for a in aws]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t, a in zip(tasks, aws, strict=True):
        if t in pending and t is not a:
            t.cancel()
    return done


async def stream(ws: WebSocket):
    store: SessionStore = ws.app.state.store
    try:
        session = store.get(ws.path_params["sid"])
    except KeyError:
        await ws.close(code=4404, reason="unknown session; reload the page")
        return
    await ws.accept()
    session.stream_generation += 1
    generation = session.stream_generation
    session.viewers += 1
    acked = asyncio.Event()
    acked.set()

    async def receive():
        while True:
            msg = await ws.receive_json()
            if isinstance(msg, dict) and msg.get("type") == "ack":
                acked.set()

    receiver = asyncio.ensure_future(receive())
    sent_version = None
    session.wake.set()  # the first frame
    try:
        while session.stream_generation == generation and not receiver.done():
            await _first(receiver, acked.wait())
            await _first(receiver, session.wake.wait())
            if receiver.done() or session.stream_generation != generation:
                break
            if not session.playing:
                session.wake.clear()  # one frame for this change, then wait
            if session.data_version != sent_version:
                msg = await run_in_threadpool(session.data_message)
                await ws.send_json(msg)
                sent_version = msg["data_version"]
            acked.clear()
            await ws.send_json(await run_in_threadpool(session.advance))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the tab went away (or the server is shutting down)
    finally:
        session.viewers -= 1
        if session.viewers == 0 and session.stream_generation == generation:
            # The page went away: nothing it started goes on running.
            session.playing = False
            session.interrupt.set()
            session.job.stop()
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await receiver
        with contextlib.suppress(Exception):
            await ws.close()
