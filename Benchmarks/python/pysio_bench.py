"""python-socketio's AsyncClient in siod-bench's scenarios, and a Python consumer of siod's RPC.

Run by siod-bench (Benchmarks/siod-bench); prints one JSON object per run on stdout. uvloop is
used when it is installed (scripts/bench installs it in .venv).

  pysio_bench.py inbound URL N SIZE TRANSPORT
  pysio_bench.py outbound URL N TRANSPORT
  pysio_bench.py ack URL N INFLIGHT TRANSPORT
  pysio_bench.py scale URL N IDLE_SECONDS
  pysio_bench.py rpc-consumer SOCKET_PATH N          (reads siod's notifications, parses every line)
"""
import asyncio
import json
import os
import sys
import time

try:
    import uvloop

    LOOP = "uvloop"
except ImportError:  # the benchmark says which loop it ran on
    uvloop = None
    LOOP = "asyncio"

import socketio


def cpu():
    t = os.times()
    return t.user + t.system


def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def report(**values):
    values["loop"] = LOOP
    print(json.dumps(values), flush=True)


async def connected_client(url, transport):
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, transports=[transport])
    return client


async def inbound(url, n, size, transport):
    client = socketio.AsyncClient(reconnection=False)
    done = asyncio.Event()
    count = 0

    def tick(data):
        nonlocal count
        count += 1
        if count == n:
            done.set()

    client.on("tick", tick)
    await client.connect(url, transports=[transport])
    cpu0, t0 = cpu(), time.perf_counter()
    await client.emit("start", {"n": n, "size": size})
    await asyncio.wait_for(done.wait(), 300)
    elapsed = time.perf_counter() - t0
    report(rate=n / elapsed, seconds=elapsed, cpu=cpu() - cpu0)
    await client.disconnect()


async def outbound(url, n, transport):
    client = await connected_client(url, transport)
    cpu0, t0 = cpu(), time.perf_counter()
    for i in range(n):
        await client.emit("sink", {"n": i})
    received = await client.call("flush", timeout=300)
    elapsed = time.perf_counter() - t0
    if received != n:
        raise SystemExit(f"the server counted {received} of {n}")
    report(rate=n / elapsed, seconds=elapsed, cpu=cpu() - cpu0)
    await client.disconnect()


async def ack(url, n, inflight, transport):
    client = await connected_client(url, transport)
    latencies = []
    slots = asyncio.Semaphore(inflight)

    async def one(i):
        async with slots:
            start = time.perf_counter()
            await client.call("echo", i, timeout=60)
            latencies.append(time.perf_counter() - start)

    cpu0, t0 = cpu(), time.perf_counter()
    if inflight == 1:
        for i in range(n):
            await one(i)
    else:
        await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    report(rate=n / elapsed, seconds=elapsed, cpu=cpu() - cpu0, latencies=sorted(latencies))
    await client.disconnect()


async def scale(url, n, idle):
    rss0 = rss()
    clients = [socketio.AsyncClient(reconnection=False) for _ in range(n)]
    slots = asyncio.Semaphore(256)

    async def connect(client):
        async with slots:
            await client.connect(url, transports=["websocket"], wait_timeout=60)

    t0 = time.perf_counter()
    await asyncio.gather(*(connect(c) for c in clients))
    elapsed = time.perf_counter() - t0
    connected = sum(1 for c in clients if c.connected)
    rss1 = rss()
    cpu0 = cpu()
    await asyncio.sleep(idle)
    idle_cpu = (cpu() - cpu0) / idle if idle > 0 else 0
    report(rate=n / elapsed, seconds=elapsed, connected=connected, rss_per_socket=(rss1 - rss0) / n, idle_cpu=idle_cpu)
    await asyncio.gather(*(c.disconnect() for c in clients))


async def rpc_consumer(path, n):
    """Reads siod's notifications from `path` (already subscribed by the caller? no: subscribes
    itself) and parses every line, as a Python program using siod would."""
    reader, writer = await asyncio.open_unix_connection(path, limit=1 << 24)
    writer.write(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"events":["tick"]}}\n')
    await writer.drain()
    json.loads(await reader.readline())
    print("READY", flush=True)
    count, last = 0, None
    cpu0, t0 = None, None
    while count < n:
        line = await reader.readline()
        if not line:
            raise SystemExit("siod closed the connection")
        message = json.loads(line)
        if message.get("method") == "socket.event":
            if t0 is None:
                cpu0, t0 = cpu(), time.perf_counter()
            count += 1
            last = message["params"]["args"][0]["n"]
        elif message.get("method") == "events.lagged":
            raise SystemExit(f"siod dropped {message['params']['dropped']} notifications")
    elapsed = time.perf_counter() - t0
    report(rate=(n - 1) / elapsed if elapsed > 0 else 0, seconds=elapsed, cpu=cpu() - cpu0, last=last)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "inbound":
        job = inbound(args[0], int(args[1]), int(args[2]), args[3])
    elif command == "outbound":
        job = outbound(args[0], int(args[1]), args[2])
    elif command == "ack":
        job = ack(args[0], int(args[1]), int(args[2]), args[3])
    elif command == "scale":
        job = scale(args[0], int(args[1]), float(args[2]))
    elif command == "rpc-consumer":
        job = rpc_consumer(args[0], int(args[1]))
    else:
        raise SystemExit(__doc__)
    if uvloop:
        uvloop.run(job)
    else:
        asyncio.run(job)


if __name__ == "__main__":
    main()
