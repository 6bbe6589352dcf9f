"""An HTTP CONNECT proxy for siod's integration tests.

Listens on 127.0.0.1, prints `PORT <n>` and exits when its standard input closes. Each
`CONNECT host:port` request it accepts is appended as one line to `--log` (written and flushed
before the `200` goes back, so a client that got through has its line in the file), then bytes
are tunnelled both ways. Anything but CONNECT is answered 405.

  python connect_proxy.py --log FILE [--port N]
"""
import argparse
import asyncio
import sys
from serving import announce, stdin_closed

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--log", required=True)
options = parser.parse_args()

log = open(options.log, "a", buffering=1)


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT":
        writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    target = parts[1]
    host, _, port = target.rpartition(":")
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except (OSError, ValueError):
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    log.write(f"CONNECT {target}\n")
    log.flush()
    writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", options.port)
    announce(server.sockets[0].getsockname()[1])
    await stdin_closed()
    server.close()


asyncio.run(main())
