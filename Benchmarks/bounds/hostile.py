"""What hostile clients and a hostile server cost siod in memory, on the build you name.

  .venv/bin/python Benchmarks/bounds/hostile.py [--siod .build/release/siod]

Starts siod (and python-socketio from Tests/TestSupport/Fixtures for the server case), then for
each case prints siod's peak resident set (VmHWM) before and after, its resident set 30 s after
the case (siod returns freed memory to the system every 30 s), and how long another client's
`daemon.ping` took meanwhile. Each case runs on a fresh siod, so that one peak does not hide
the next.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
parser = argparse.ArgumentParser()
parser.add_argument("--siod", default=os.path.join(root, ".build/release/siod"))
options = parser.parse_args()
MIB = 1 << 20


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmHWM"], fields["VmRSS"]


class Siod:
    def __init__(self, *arguments):
        self.dir = tempfile.mkdtemp(prefix="siod-hostile-")
        self.path = self.dir + "/siod.sock"
        self.process = subprocess.Popen(
            [options.siod, "--socket", self.path, "--state-dir", self.dir + "/state", "--config", "/dev/null",
             "--log-level", "warning", *arguments],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if os.path.exists(self.path):
                break
            time.sleep(0.05)
        self.ping()

    def connect(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.path)
        return s

    def call(self, s, method, params=None, id=1):
        s.sendall((json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}}) + "\n").encode())
        reader = s.makefile("rb")
        while True:
            message = json.loads(reader.readline())
            if message.get("id") == id:
                return message

    def ping(self):
        s = self.connect()
        start = time.perf_counter()
        self.call(s, "daemon.ping")
        s.close()
        return time.perf_counter() - start

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def case(name, run, *arguments):
    siod = Siod(*arguments)
    before, _ = memory(siod.process.pid)
    ping = run(siod)
    peak, _ = memory(siod.process.pid)
    time.sleep(31)  # siod gives freed memory back every 30 s
    _, after = memory(siod.process.pid)
    print(f"| {name} | {before // MIB} MiB | {peak // MIB} MiB | {after // MIB} MiB | daemon.ping {ping * 1000:.1f} ms |", flush=True)
    siod.stop()


def batch(entries, clients=1):
    def run(siod):
        line = ("[" + ",".join(["1"] * entries) + "]\n").encode()
        sockets = [siod.connect() for _ in range(clients)]
        threads = [threading.Thread(target=s.sendall, args=(line,), daemon=True) for s in sockets]
        for t in threads:
            t.start()
        ping = siod.ping()
        for s in sockets:
            assert b"invalid_request" in s.makefile("rb").readline()
        for t in threads:
            t.join()
        return max(ping, siod.ping())
    return run


def partial_lines(siod):
    chunk = b"x" * MIB
    sockets = [siod.connect() for _ in range(60)]

    def send(s):
        try:
            s.sendall(b'{"jsonrpc":"2.0","method":"daemon.ping","params":["')
            for _ in range(7):
                s.sendall(chunk)
        except OSError:
            pass
    threads = [threading.Thread(target=send, args=(s,), daemon=True) for s in sockets]
    for t in threads:
        t.start()
    time.sleep(3)  # the senders fill what siod will hold, then block in the kernel
    ping = siod.ping()
    for s in sockets:
        s.shutdown(socket.SHUT_RDWR)
        s.close()
    return ping


def server_event(siod):
    python = os.path.join(root, ".venv/bin/python")
    server = subprocess.Popen(
        [python, "-u", os.path.join(root, "Tests/TestSupport/Fixtures/sio_server.py"), "--port", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    port = int(server.stdout.readline().split()[1])
    s = siod.connect()
    reader = s.makefile("rb")

    def send(id, method, params):
        s.sendall((json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params}) + "\n").encode())

    send(1, "events.subscribe", {"sockets": ["s"], "events": ["big"]})
    send(2, "socket.open", {"socket": "s", "url": f"http://127.0.0.1:{port}", "transports": ["websocket"]})
    while b'"method":"socket.connect"' not in reader.readline():
        pass
    send(3, "socket.emit", {"socket": "s", "event": "big-binary", "args": [10, 16_000_000], "ack": True, "timeout": 60000})
    while b"events.lagged" not in reader.readline():
        pass
    ping = siod.ping()
    server.kill()
    return ping


print("| hostile input | peak before | peak during | resident 30 s after | the other client |")
print("|---|---|---|---|---|")
case("batch of 1,000,000 `1` (2 MB line)", batch(1_000_000))
case("batch line of 8 MiB (4,194,000 entries)", batch(4_194_000))
case("10 clients, an 8 MiB batch line each", batch(4_194_000, clients=10))
case("60 clients, 8 MiB unfinished lines (--max-pending-bytes 64 MiB)", partial_lines)
case("server event of 10 attachments x 16 MB", server_event)
