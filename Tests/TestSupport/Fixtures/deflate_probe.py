"""A minimal Engine.IO v4 / Socket.IO v5 WebSocket endpoint that reports what the client's
upgrade request negotiated: whether permessage-deflate is in use on this connection.

Any event with an ack id is answered with `[<compress>, <Sec-WebSocket-Extensions request header>]`.
Prints `PORT <n>`; exits when stdin closes.
"""
import asyncio
import json
import sys

from aiohttp import web
from serving import serve


async def socket_io(request):
    if request.query.get("transport") != "websocket":
        return web.Response(status=400, text="websocket only")
    ws = web.WebSocketResponse(compress=True)
    await ws.prepare(request)
    offered = request.headers.get("Sec-WebSocket-Extensions", "")
    handshake = {"sid": "D1", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 1000000}
    await ws.send_str("0" + json.dumps(handshake))
    async for message in ws:
        text = message.data
        if text.startswith("40"):
            await ws.send_str('40{"sid":"S1"}')
        elif text.startswith("42"):
            body = text[2:]
            digits = ""
            while body and body[0].isdigit():
                digits += body[0]
                body = body[1:]
            if digits:
                await ws.send_str("43" + digits + json.dumps([ws.compress, offered]))
    return ws


async def main():
    app = web.Application()
    app.router.add_get("/socket.io/", socket_io)
    await serve(app)


asyncio.run(main())
