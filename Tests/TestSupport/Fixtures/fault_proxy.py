"""A fault-injecting TCP proxy for siod's chaos tests and soak, between siod and a server.

Listens on 127.0.0.1 (prints `PORT <n>`), forwards every connection to --target, and obeys
commands, one per line on standard input (it exits when standard input closes):

  latency MS [JITTER_MS]   delay each chunk, each direction, by MS ± JITTER_MS (order kept)
  bandwidth BYTES_PER_S    cap each direction of each connection (0: no cap)
  cut-at BYTES             close each connection once it has carried BYTES (both ways; 0: off)
  blackhole on|off         stop forwarding, keeping the connections open (a half-open peer)
  pause on|off             stop reading both ways; what was held flows on resume
  split on|off             write every chunk as 1-byte segments
  cut                      close every open connection (FIN)
  reset                    reset every open connection (RST)
  stats                    print `STATS connections=N bytes=N cuts=N`

Every command is answered with `OK <command>` on standard output, once in force.
"""
import argparse
import asyncio
import random
import socket
import struct
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True, help="HOST:PORT of the server")
parser.add_argument("--port", type=int, default=0)
options = parser.parse_args()
target_host, target_port = options.target.rsplit(":", 1)


class Faults:
    latency = 0.0
    jitter = 0.0
    bandwidth = 0
    cut_at = 0
    blackhole = False
    split = False

    def __init__(self):
        self.unpaused = asyncio.Event()
        self.unpaused.set()


faults = None
connections = set()
totals = {"connections": 0, "bytes": 0, "cuts": 0}


class Connection:
    def __init__(self, client_reader, client_writer):
        self.client = (client_reader, client_writer)
        self.server = None
        self.carried = 0
        self.tasks = []

    async def run(self):
        try:
            self.server = await asyncio.open_connection(target_host, int(target_port))
        except OSError:
            self.client[1].close()
            return
        connections.add(self)
        totals["connections"] += 1
        self.tasks = [
            asyncio.create_task(self.pump(self.client[0], self.server[1])),
            asyncio.create_task(self.pump(self.server[0], self.client[1])),
        ]
        try:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            pass  # a cut cancels the pumps; the connection is over either way
        connections.discard(self)
        self.close()

    async def pump(self, reader, writer):
        # Chunks wait in a queue for their time, so latency delays without reordering.
        queue = asyncio.Queue()
        sender = asyncio.create_task(self.send(queue, writer))
        try:
            while True:
                await faults.unpaused.wait()
                data = await reader.read(65536)
                if not data:
                    break
                due = asyncio.get_running_loop().time() + self.delay()
                await queue.put((due, data))
        except (ConnectionError, OSError):
            pass
        finally:
            await queue.put(None)
            await sender
            for task in self.tasks:
                task.cancel()

    def delay(self):
        if faults.latency <= 0:
            return 0.0
        return max(0.0, faults.latency + random.uniform(-faults.jitter, faults.jitter))

    async def send(self, queue, writer):
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                due, data = item
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                if faults.blackhole:
                    continue
                await self.write(writer, data)
                self.carried += len(data)
                totals["bytes"] += len(data)
                if faults.cut_at and self.carried >= faults.cut_at:
                    totals["cuts"] += 1
                    self.close()
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except OSError:
                pass

    async def write(self, writer, data):
        pieces = [data[i:i + 1] for i in range(len(data))] if faults.split else [data]
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            if faults.bandwidth:
                await asyncio.sleep(len(piece) / faults.bandwidth)

    def close(self, reset=False):
        for _, writer in filter(None, [self.client, self.server]):
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()
        for task in self.tasks:
            task.cancel()


def obey(line):
    words = line.split()
    if not words:
        return
    command, args = words[0], words[1:]
    if command == "latency":
        faults.latency = float(args[0]) / 1000
        faults.jitter = float(args[1]) / 1000 if len(args) > 1 else 0.0
    elif command == "bandwidth":
        faults.bandwidth = int(args[0])
    elif command == "cut-at":
        faults.cut_at = int(args[0])
    elif command == "blackhole":
        faults.blackhole = args[0] == "on"
    elif command == "pause":
        if args[0] == "on":
            faults.unpaused.clear()
        else:
            faults.unpaused.set()
    elif command == "split":
        faults.split = args[0] == "on"
    elif command in ("cut", "reset"):
        for connection in list(connections):
            totals["cuts"] += 1
            connection.close(reset=command == "reset")
    elif command == "stats":
        print(f"STATS connections={totals['connections']} bytes={totals['bytes']} cuts={totals['cuts']}", flush=True)
    else:
        print(f"ERROR unknown command {command}", flush=True)
        return
    print(f"OK {line.strip()}", flush=True)


async def main():
    global faults
    faults = Faults()
    server = await asyncio.start_server(lambda r, w: Connection(r, w).run(), "127.0.0.1", options.port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        obey(line.decode())
    server.close()


asyncio.run(main())
