"""A minimal Engine.IO v4 / Socket.IO v5 server (WebSocket transport, namespace "/") that
implements the server side of connection state recovery as the protocol describes it
(docs/behaviour.md § Connection state recovery; socket.io `connectionStateRecovery`), because
python-socketio does not implement it.

- CONNECT reply: `40{"sid": <socket id>, "pid": <private session id>}`.
- Every event the server emits without an ack id carries its offset as the last argument,
  and is kept in the session's buffer.
- A CONNECT whose payload carries a known `pid` and an `offset` from that session's buffer
  restores the session: same socket id, the events emitted after that offset are replayed
  BEFORE the CONNECT reply, and the reply carries the same pid. Anything else (no pid, unknown
  pid, no or unknown offset) is a new session.
- A session is kept for recovery when its connection is lost; a DISCONNECT from the client
  (`41`) discards it, as the reference server does.

Events the tests use (all answer through their ack when they ask for one):
  `tick`            the server emits `tick` (args: [n, offset]).
  `arm` [n]         when this connection is lost, the server emits `missed` 1…n to the session
                    while no client is connected (they wait in the buffer).
  `connects`        acks `[[<CONNECT payload or null>, …], [<pid of each reply>, …]]`: what every
                    CONNECT carried and what the server answered, in order.
  `echo` …          acks its arguments.

Prints `PORT <n>` once it listens; exits when standard input closes.
  python csr_server.py [--port N]
"""
import argparse
import asyncio
import itertools
import json
import sys
import uuid

from aiohttp import WSMsgType, web
from serving import serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
options = parser.parse_args()


class Session:
    """A Socket.IO session that may outlive its connection."""

    def __init__(self):
        self.sid = uuid.uuid4().hex[:20]
        self.pid = uuid.uuid4().hex
        self.buffer = []  # [(offset, packet text)], every event emitted with an offset
        self.ws = None  # the connection currently attached, if any
        self.armed = 0  # events to emit once the connection is lost


sessions = {}  # pid -> Session
connects = []  # every CONNECT payload received (None for a bare `40`)
replies = []  # the pid of every CONNECT reply
offsets = itertools.count(1)


async def emit(session, name, *args):
    """Emits an event with an offset: sent now if a client is attached, kept in any case."""
    offset = str(next(offsets))
    packet = "42" + json.dumps([name, *args, offset])
    session.buffer.append((offset, packet))
    if session.ws is not None and not session.ws.closed:
        await session.ws.send_str(packet)


def restore(payload):
    """The session a CONNECT payload restores, if any (in-memory-adapter `restoreSession`)."""
    if not isinstance(payload, dict):
        return None, None
    pid, offset = payload.get("pid"), payload.get("offset")
    if not isinstance(pid, str) or not isinstance(offset, str):
        return None, None
    session = sessions.get(pid)
    if session is None or session.ws is not None:
        return None, None
    offsets_kept = [o for o, _ in session.buffer]
    if offset not in offsets_kept:
        return None, None
    missed = [packet for o, packet in session.buffer[offsets_kept.index(offset) + 1:]]
    return session, missed


async def handle_socket_io(ws, text, state):
    kind, body = text[0], text[1:]
    if kind == "0":
        payload = json.loads(body) if body else None
        connects.append(payload)
        session, missed = restore(payload)
        if session is None:
            session = Session()
            sessions[session.pid] = session
            missed = []
        session.ws = ws
        state["session"] = session
        for packet in missed:  # the missed packets go BEFORE the CONNECT reply
            await ws.send_str(packet)
        replies.append(session.pid)
        await ws.send_str("40" + json.dumps({"sid": session.sid, "pid": session.pid}))
    elif kind == "1":
        session = state.pop("session", None)
        if session is not None:  # a client disconnect is final: nothing to recover
            sessions.pop(session.pid, None)
            session.ws = None
    elif kind == "2":
        digits = ""
        while body and body[0].isdigit():
            digits, body = digits + body[0], body[1:]
        name, *args = json.loads(body)
        session = state.get("session")
        result = []  # the ack's arguments
        if name == "tick":
            await emit(session, "tick", len(session.buffer) + 1)
        elif name == "arm":
            session.armed = int(args[0])
        elif name == "connects":
            result = [connects, replies]
        elif name == "echo":
            result = args
        if digits:
            await ws.send_str("43" + digits + json.dumps(result))


async def socket_io(request):
    if request.query.get("EIO") != "4" or request.query.get("transport") != "websocket":
        return web.Response(status=400, text="websocket only")
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    handshake = {"sid": uuid.uuid4().hex[:20], "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 1000000}
    await ws.send_str("0" + json.dumps(handshake))
    state = {}
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            text = message.data
            if text.startswith("4") and len(text) > 1:
                await handle_socket_io(ws, text[1:], state)
    finally:
        session = state.get("session")
        if session is not None and session.ws is ws:
            session.ws = None  # lost: kept for recovery
            armed, session.armed = session.armed, 0
            for n in range(1, armed + 1):
                await emit(session, "missed", n)
    return ws


async def main():
    app = web.Application()
    app.router.add_get("/socket.io/", socket_io)
    await serve(app, options.port)


asyncio.run(main())
