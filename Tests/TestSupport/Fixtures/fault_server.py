"""A raw Engine.IO v4 / Socket.IO v5 server (polling, WebSocket, upgrade; namespace "/") that
misbehaves on purpose, so the tests can check how the client ends a broken session.

The first `--faulty-sessions` Engine.IO sessions (default 1) suffer `--fault`; later sessions
are served normally, so a reconnection can succeed. Faults strike right after the CONNECT reply
(`40{"sid"}`) unless said otherwise:

  garbage-eio      an Engine.IO packet that does not parse: `zzz` (WS frame / whole poll body)
  garbage-sio      a Socket.IO packet the decoder refuses: `42["disconnect"]` (reserved name)
  truncated-sio    a message cut in its JSON: `42["tick",{"n":` (WS frame / whole poll body)
  trailing-separator  a poll body cut right after a record separator: `42["tick",1]\\x1e`
  http-400         the next poll is answered with HTTP 400
  http-500         the next poll is answered with HTTP 500
  probe-refused    (upgrade) the probe WebSocket is closed on `2probe`, unanswered
  probe-close      (upgrade) `2probe` is answered `3probe`, then the probe is closed before `5`
  main-close       (upgrade) `2probe` is answered `3probe`, then the polling transport gets `1`
                   (close) while the probe waits for `5`

After a probe fault the server emits `probe-closed` over polling. Any event with an ack id is
answered with its arguments. Prints `PORT <n>`; exits when standard input closes.
  python fault_server.py [--port N] [--fault NAME] [--faulty-sessions N]
"""
import argparse
import asyncio
import collections
import itertools
import json
import sys
import uuid

from aiohttp import WSMsgType, web
from serving import serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--fault", default="none")
parser.add_argument("--faulty-sessions", type=int, default=1)
options = parser.parse_args()

numbers = itertools.count(1)
sessions = {}


class Session:
    def __init__(self):
        self.number = next(numbers)
        self.sid = uuid.uuid4().hex[:20]
        self.items = collections.deque()  # ("packet", text) | ("raw", body) | ("status", code)
        self.wake = asyncio.Event()
        self.ws = None  # the WebSocket carrying the session (WebSocket-first, or upgraded)
        sessions[self.sid] = self

    @property
    def faulty(self):
        return self.number <= options.faulty_sessions

    def fault(self, name):
        return self.faulty and options.fault == name

    def push(self, kind, value):
        self.items.append((kind, value))
        self.wake.set()

    async def send(self, packet):
        if self.ws is not None:
            await self.ws.send_str(packet)
        else:
            self.push("packet", packet)

    async def send_raw(self, body):
        """A WebSocket frame, or a whole poll body, exactly as given."""
        if self.ws is not None:
            await self.ws.send_str(body)
        else:
            self.push("raw", body)


def handshake(session, upgrades):
    return "0" + json.dumps({"sid": session.sid, "upgrades": upgrades, "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 1000000})


async def on_engine_packet(session, text):
    if text.startswith("4"):
        await on_socket_packet(session, text[1:])
    elif text == "1":
        sessions.pop(session.sid, None)
        session.push("packet", "6")  # releases a waiting poll


async def on_socket_packet(session, text):
    kind, body = text[:1], text[1:]
    if kind == "0":
        await session.send("40" + json.dumps({"sid": uuid.uuid4().hex[:20]}))
        if session.fault("garbage-eio"):
            await session.send_raw("zzz")
        elif session.fault("garbage-sio"):
            await session.send('42["disconnect"]')
        elif session.fault("truncated-sio"):
            await session.send_raw('42["tick",{"n":')
        elif session.fault("trailing-separator"):
            session.push("raw", '42["tick",1]\x1e')
        elif session.fault("http-400"):
            session.push("status", 400)
        elif session.fault("http-500"):
            session.push("status", 500)
    elif kind == "2":
        digits = ""
        while body and body[0].isdigit():
            digits, body = digits + body[0], body[1:]
        name, *args = json.loads(body)
        if digits:
            await session.send("43" + digits + json.dumps(args))


async def poll(request, session):
    while not session.items:
        session.wake.clear()
        try:
            await asyncio.wait_for(session.wake.wait(), 20)
        except asyncio.TimeoutError:
            return web.Response(text="6")
    kind, value = session.items[0]
    if kind != "packet":
        session.items.popleft()
        if kind == "status":
            return web.Response(status=value, text=f"fault {value}")
        return web.Response(text=value)
    packets = []
    while session.items and session.items[0][0] == "packet":
        packets.append(session.items.popleft()[1])
    return web.Response(text="\x1e".join(packets))


async def probe(request, session):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    first = await ws.receive()
    if first.type != WSMsgType.TEXT or first.data != "2probe":
        await ws.close()
        return ws
    if session.fault("probe-refused"):
        await ws.close()
        await session.send('42["probe-closed"]')
        return ws
    await ws.send_str("3probe")
    if session.fault("probe-close"):
        # close() returns once the client has echoed the close frame, and the client hands
        # the close to its Manager in the same turn of its event loop: the poll answered next
        # reaches a client that has seen the probe close (answered earlier, it would swap to
        # the closing WebSocket: an upgrade completed, then "transport close", another case).
        await ws.close()
        await session.send('42["probe-closed"]')
        return ws
    if session.fault("main-close"):
        session.push("packet", "1")  # the polling transport is closed by the server
        # A client whose pause completed before the `1` could be read (no poll was in flight)
        # finishes the upgrade with `5`: close the WebSocket then, so that it too loses its
        # transport ("transport close") instead of waiting for a heartbeat this server never sends.
        async for message in ws:
            if message.type == WSMsgType.TEXT and message.data == "5":
                await ws.close()
        return ws
    async def noops():
        # Like engine.io's `_maybeUpgrade`: a noop for the waiting poll every 100 ms, so the
        # client's pause completes whichever poll it has in flight when `3probe` arrives.
        while session.ws is None and not ws.closed:
            if not session.items:
                session.push("packet", "6")
            await asyncio.sleep(0.1)

    noop_task = asyncio.create_task(noops())
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        if message.data == "5" and session.ws is None:
            session.ws = ws
            while session.items:  # whatever polling did not take goes over the WebSocket
                await ws.send_str(session.items.popleft()[1])
        elif session.ws is ws:
            await on_engine_packet(session, message.data)
    noop_task.cancel()
    if session.ws is ws:
        sessions.pop(session.sid, None)
    return ws


async def websocket_first(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    session = Session()
    session.ws = ws
    await ws.send_str(handshake(session, []))
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await on_engine_packet(session, message.data)
    sessions.pop(session.sid, None)
    return ws


async def engine_io(request):
    query = request.query
    if query.get("EIO") != "4":
        return web.Response(status=400, text="bad EIO")
    sid = query.get("sid")
    transport = query.get("transport")
    if transport == "websocket":
        if sid is None:
            return await websocket_first(request)
        session = sessions.get(sid)
        if session is None:
            return web.Response(status=400, text="unknown sid")
        return await probe(request, session)
    if transport != "polling":
        return web.Response(status=400, text="bad transport")
    if sid is None:
        if request.method != "GET":
            return web.Response(status=400, text="bad handshake method")
        session = Session()
        return web.Response(text=handshake(session, ["websocket"]))
    session = sessions.get(sid)
    if session is None:
        return web.Response(status=400, text="unknown sid")
    if request.method == "GET":
        return await poll(request, session)
    body = await request.text()
    for packet in body.split("\x1e"):
        await on_engine_packet(session, packet)
    return web.Response(text="ok")


async def main():
    app = web.Application()
    app.router.add_route("*", "/socket.io/", engine_io)
    await serve(app, options.port)


asyncio.run(main())
