"""A python-socketio server for siod's integration tests.

Started by the tests on 127.0.0.1; prints `PORT <n>` once it listens and exits when its
standard input closes, so a crashed test run cannot leave it behind.

  python sio_server.py [--port N] [--ping-interval S] [--ping-timeout S] [--transports polling,websocket]
                       [--max-http-buffer-size BYTES] [--read-whole-posts]

--read-whole-posts works around python-engineio's aiohttp driver, which reads a polling POST
with `StreamReader.read(length)`: that returns what aiohttp has buffered, not `length` bytes, so
a body larger than one read (about 200 KB and up) is cut and the message lost, whichever client
sent it (python-socketio's own client loses them too; docs/quirks.md). With the flag the body
is read whole, so that a test can prove what the client wrote.
"""
import argparse
import asyncio
import sys
from urllib.parse import parse_qs

import socketio
from aiohttp import web
from serving import read_whole_posts, serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--ping-interval", type=float, default=25)
parser.add_argument("--ping-timeout", type=float, default=20)
parser.add_argument("--transports", default="polling,websocket")
parser.add_argument("--max-http-buffer-size", type=int, default=1_000_000)
parser.add_argument("--read-whole-posts", action="store_true")
options = parser.parse_args()

if options.read_whole_posts:
    read_whole_posts()

sio = socketio.AsyncServer(
    async_mode="aiohttp",
    ping_interval=options.ping_interval,
    ping_timeout=options.ping_timeout,
    transports=options.transports.split(","),
    cors_allowed_origins="*",
    max_http_buffer_size=options.max_http_buffer_size,
)
app = web.Application()
sio.attach(app)


@sio.event
async def connect(sid, environ, auth):
    if isinstance(auth, dict) and "sessionId" in auth:
        sessions[sid] = auth["sessionId"]
    # Emitted before the CONNECT reply: the client must buffer it (docs/quirks.md #22).
    await sio.emit("welcome", {"hello": "world", "auth": auth}, to=sid)
    # The transport the session started on, for rememberUpgrade.
    transport = parse_qs(environ.get("QUERY_STRING", "")).get("transport", ["?"])[0]
    await sio.emit("session", {"transport": transport}, to=sid)


@sio.on("echo")
async def echo(sid, *args):
    return args


@sio.on("emit-back")
async def emit_back(sid, *args):
    await sio.emit("back", list(args), to=sid)


@sio.on("big-binary")
async def big_binary(sid, count, size):
    # One event of `count` attachments of `size` bytes each (the bounds tests' hostile server).
    await sio.emit("big", [bytes(size)] * count, to=sid)
    return True


@sio.on("bin")
async def binary(sid, data):
    await sio.emit("binback", {"buf": bytes([1, 2, 3]), "nested": [bytes([4]), {"deep": bytes([5, 6])}], "got": data}, to=sid)
    return [bytes([9, 8]), data]


@sio.on("ask")
async def ask(sid, question):
    answer = await sio.call("question", question, to=sid, timeout=5)
    await sio.emit("answer", answer, to=sid)


@sio.on("engine-sid")
async def engine_sid(sid, namespace="/"):
    return sio.manager.eio_sid_from_sid(sid, namespace)


@sio.on("kick")
async def kick(sid):
    await sio.disconnect(sid)


@sio.on("count")
async def count(sid, n, then=None):
    for i in range(n):
        await sio.emit("tick", {"n": i}, to=sid)
    if then is not None:
        # After the last tick: a client that subscribes to this event alone knows they all came.
        await sio.emit(then, n, to=sid)


# The order emits arrive in: `seq` records its argument, `seq-report` answers what came.
sequences = {}
# seq-ack: numbers received per siod session ID (auth.sessionId, kept across reconnects).
received = {}
sessions = {}


@sio.on("seq")
async def seq(sid, n):
    sequences.setdefault(sid, []).append(n)


@sio.on("seq-ack")
async def seq_ack(sid, n):
    # Recorded per client session ID (auth), which stays across reconnects, then acked.
    received.setdefault(sessions.get(sid, sid), []).append(n)
    return n


@sio.on("seq-received")
async def seq_received(sid):
    return sorted(received.get(sessions.get(sid, sid), []))


@sio.on("seq-received-raw")
async def seq_received_raw(sid):
    # In arrival order, duplicates kept: what siod's durable outbox is checked against.
    return received.get(sessions.get(sid, sid), [])


@sio.on("seq-report")
async def seq_report(sid):
    got = sequences.pop(sid, [])
    inversions = sum(1 for a, b in zip(got, got[1:]) if b < a)
    return {"count": len(got), "inversions": inversions, "inOrder": got == sorted(got), "distinct": len(set(got))}


@sio.on("engine-sid", namespace="/admin")
async def admin_engine_sid(sid):
    return sio.manager.eio_sid_from_sid(sid, "/admin")


@sio.on("connect", namespace="/admin")
async def admin_connect(sid, environ, auth):
    if not auth or auth.get("token") != "ok":
        raise socketio.exceptions.ConnectionRefusedError("not authorized", {"code": 42})


@sio.on("echo", namespace="/admin")
async def admin_echo(sid, *args):
    return args


@sio.on("connect", namespace="/slow")
async def slow_connect(sid, environ, auth):
    # Never answers: the client's CONNECT timeout is what is tested.
    await asyncio.Event().wait()


asyncio.run(serve(app, options.port))
