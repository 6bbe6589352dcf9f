"""A sticky-session load balancer in front of python-socketio, for siod's integration tests.

Two listeners in one process: the python-socketio app on an internal port, and in front of it a
reverse proxy (the port printed as `PORT <n>`) that behaves like a load balancer pinning a
client to one of two nodes by cookie:

  - the handshake (a request without `sid`) is forwarded and its response gets
    `Set-Cookie: lb=node1; Path=/`;
  - every later request (polling GET, POST, WebSocket upgrade: anything with `sid`) without
    `Cookie: lb=node1` is answered 400, as if it had reached the other node.

The `lb-stats` event acks the counters, so a test can prove the cookie came back every time.
Exits when its standard input closes.

  python sticky_lb.py [--port N]
"""
import argparse
import asyncio
import logging
import sys

import aiohttp
import socketio
from aiohttp import web
from serving import serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
options = parser.parse_args()

logging.getLogger("aiohttp").setLevel(logging.CRITICAL)

stats = {
    "handshakes": 0,       # requests without sid (the cookie is set on their response)
    "later": 0,            # requests with sid: polls, posts and WebSocket upgrades
    "laterWithCookie": 0,  # ... of which came with `lb=node1` (forwarded)
    "rejected": 0,         # ... of which did not (answered 400)
    "polls": 0,            # forwarded GETs with sid
    "posts": 0,            # forwarded POSTs with sid
    "webSockets": 0,       # forwarded WebSocket upgrades with sid
}

# The node: python-socketio on its own internal port.
sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
node = web.Application()
sio.attach(node)


@sio.on("echo")
async def echo(sid, *args):
    return args


@sio.on("lb-stats")
async def lb_stats(sid):
    return dict(stats)


# The balancer.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    "host", "content-length", "accept-encoding",
}
upstream = None  # "http://127.0.0.1:<node port>"
session = None


def forwarded(headers):
    return [(k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP]


async def balance(request):
    handshake = "sid" not in request.query
    if handshake:
        stats["handshakes"] += 1
    else:
        stats["later"] += 1
        if request.cookies.get("lb") != "node1":
            stats["rejected"] += 1
            return web.Response(status=400, text="no sticky session cookie: wrong node")
        stats["laterWithCookie"] += 1
    url = upstream + request.path_qs
    if request.headers.get("Upgrade", "").lower() == "websocket":
        if not handshake:
            stats["webSockets"] += 1
        return await tunnel_websocket(request, url, handshake)
    if not handshake:
        stats["polls" if request.method == "GET" else "posts"] += 1
    body = await request.read()
    async with session.request(request.method, url, headers=forwarded(request.headers), data=body) as response:
        data = await response.read()
        reply = web.Response(status=response.status, body=data)
        for name, value in forwarded(response.headers):
            reply.headers.add(name, value)
    if handshake:
        reply.headers.add("Set-Cookie", "lb=node1; Path=/")
    return reply


async def tunnel_websocket(request, url, handshake):
    headers = {"Cookie": request.headers["Cookie"]} if "Cookie" in request.headers else {}
    try:
        node_ws = await session.ws_connect(url.replace("http://", "ws://", 1), headers=headers, max_msg_size=0)
    except aiohttp.ClientError:
        return web.Response(status=502)
    client_ws = web.WebSocketResponse(max_msg_size=0)
    if handshake:
        client_ws.headers.add("Set-Cookie", "lb=node1; Path=/")
    await client_ws.prepare(request)

    async def relay(source, sink):
        async for message in source:
            if message.type == aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            else:
                break

    tasks = [asyncio.ensure_future(relay(client_ws, node_ws)), asyncio.ensure_future(relay(node_ws, client_ws))]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await node_ws.close()
    await client_ws.close()
    return client_ws


async def main():
    global upstream, session
    node_runner = web.AppRunner(node)
    await node_runner.setup()
    node_site = web.TCPSite(node_runner, "127.0.0.1", 0)
    await node_site.start()
    upstream = f"http://127.0.0.1:{node_site._server.sockets[0].getsockname()[1]}"
    session = aiohttp.ClientSession(
        auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
    )
    balancer = web.Application()
    balancer.router.add_route("*", "/{tail:.*}", balance)
    await serve(balancer, options.port)
    await session.close()
    await node_runner.cleanup()


asyncio.run(main())
