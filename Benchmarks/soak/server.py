"""The soak's Socket.IO server: python-socketio's AsyncServer on aiohttp, counting what it sees.

Started by soak.py on 127.0.0.1 (prints `PORT <n>` once it listens, exits when its standard
input closes). Every handler is registered on `/` and `/b`, so that sockets of both namespaces
can share one Manager (Engine.IO connection) on siod's side.

Events (what a client emits → what the server does):

  echo *args              ack with the arguments
  sink {e, s, n}          nothing (an emit without ack)
  bin DATA                ack with [bytes, DATA] (DATA carries an attachment)
  burst {id, n}           emit n `tick` events {id, i} to the sender, then ack with n
  ask {q}                 emit `question` {q} to the sender with an ack callback (server→client ack)
  stats                   ack with the counters below

Emits that carry `{e, s, n}` as their first argument (an emitter's number, the siod socket
name, a counter per emitter and socket) are checked for order: `n` must grow for each
(e, s), across reconnects, as docs/rpc.md promises for the emits one RPC connection
pipelines to one socket. Gaps are fine (an emit written to a connection that was then cut is
lost); a repeated or smaller `n` is counted as an inversion.

The counters are also served as JSON at GET /soak-stats, which soak.py reads directly (not
through the proxy or siod) once the load has stopped.
"""
import argparse
import asyncio
import os
import sys
from collections import Counter

import socketio
from aiohttp import web

# The fixtures' way of serving (Tests/TestSupport/Fixtures/serving.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/TestSupport/Fixtures"))
from serving import read_whole_posts, serve  # noqa: E402

try:
    import uvloop
except ImportError:
    uvloop = None

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--ping-interval", type=float, default=10)
parser.add_argument("--ping-timeout", type=float, default=10)
options = parser.parse_args()

# Large polling POSTs (a buffer flushed after a reconnect) are read whole.
read_whole_posts()

sio = socketio.AsyncServer(
    async_mode="aiohttp",
    ping_interval=options.ping_interval,
    ping_timeout=options.ping_timeout,
    cors_allowed_origins="*",
    max_http_buffer_size=4_000_000,
)
app = web.Application()
sio.attach(app)

NAMESPACES = ("/", "/b")
stats = Counter()
last_n = {}  # (emitter, socket) → the last counter seen


def check_order(args):
    """Counts an out-of-order emit; runs before any await, so in arrival order."""
    if args and isinstance(args[0], dict) and "n" in args[0] and "s" in args[0]:
        key = (args[0].get("e"), args[0]["s"])
        n = args[0]["n"]
        previous = last_n.get(key)
        if previous is not None and n <= previous:
            stats["order_inversions"] += 1
            if stats["order_inversions"] <= 5:
                print(f"ORDER {key} got {n} after {previous}", file=sys.stderr, flush=True)
        last_n[key] = n if previous is None else max(previous, n)


def register(namespace):
    @sio.on("connect", namespace=namespace)
    async def connect(sid, environ, auth):
        stats["connects"] += 1

    @sio.on("disconnect", namespace=namespace)
    async def disconnect(sid, *reason):
        stats["disconnects"] += 1

    @sio.on("echo", namespace=namespace)
    async def echo(sid, *args):
        stats["events_received"] += 1
        stats["echo_received"] += 1
        check_order(args)
        stats["acks_sent"] += 1
        return args

    @sio.on("sink", namespace=namespace)
    async def sink(sid, *args):
        stats["events_received"] += 1
        stats["sink_received"] += 1
        check_order(args)

    @sio.on("bin", namespace=namespace)
    async def binary(sid, tag, data):
        stats["events_received"] += 1
        stats["bin_received"] += 1
        check_order([tag])
        if isinstance(data, (bytes, bytearray)):
            stats["binary_received"] += 1
            stats["binary_bytes_received"] += len(data)
        stats["acks_sent"] += 1
        return [bytes([9, 8, 7]), data]

    @sio.on("burst", namespace=namespace)
    async def burst(sid, tag, spec):
        stats["events_received"] += 1
        stats["burst_received"] += 1
        check_order([tag])
        for i in range(spec["n"]):
            await sio.emit("tick", {"id": spec["id"], "i": i}, to=sid, namespace=namespace)
            stats["events_emitted"] += 1
            stats["ticks_emitted"] += 1
        stats["acks_sent"] += 1
        return spec["n"]

    @sio.on("ask", namespace=namespace)
    async def ask(sid, tag, question):
        stats["events_received"] += 1
        stats["ask_received"] += 1
        check_order([tag])

        def answered(*args):
            stats["answers_received"] += 1
            if not args or args[0] != {"a": question["q"]}:
                stats["answers_wrong"] += 1

        await sio.emit("question", question, to=sid, namespace=namespace, callback=answered)
        stats["events_emitted"] += 1
        stats["questions_emitted"] += 1

    @sio.on("stats", namespace=namespace)
    async def get_stats(sid, *args):
        return dict(stats)


for namespace in NAMESPACES:
    register(namespace)


async def soak_stats(request):
    return web.json_response(dict(stats))


app.router.add_get("/soak-stats", soak_stats)


if uvloop is not None:
    uvloop.run(serve(app, options.port))
else:
    asyncio.run(serve(app, options.port))
