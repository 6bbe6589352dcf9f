"""siod's soak test: many sockets, a mixed load and chaos for a long time (scripts/soak).

Starts python-socketio (Benchmarks/soak/server.py), the fault proxy in front of it
(Tests/TestSupport/Fixtures/fault_proxy.py) and siod, opens --sockets sockets through the
proxy (websocket, polling, polling with upgrade; namespaces `/` and `/b`; a few declared in
siod's configuration file), then for --minutes runs all of this at once:

  emitters      RPC connections pipelining `socket.emit` to random sockets at --rate per
                second: with ack (echo, binary, firehose requests) and without (sink,
                volatile, server→client ack requests)
  firehose      subscribers reading the `tick` events the server bursts; they disconnect and
                subscribe again every ~10 s, some with a `connection`-lifetime socket
  answerer      a subscriber answering the server's `question` emits with `socket.ack`
  opener        opens and closes extra sockets, about one a second, under 100 names in turn
                (a name's session ID and seq counter are kept for ever by design, so new
                names would grow siod by ~1 KB each; MemoryBoundsTests bounds that)
  reloader      rewrites the configuration (one declared socket changes) and calls
                `daemon.reload` every ~30 s
  chaos         every 5–10 s the proxy cuts or resets every connection, adds latency for a
                while, blackholes them (losing what is written) or pauses them for a few
                seconds, or splits what it forwards into 1-byte segments for a second or two
                (never in the 15 s before a sample)

Every --interval seconds it prints a row of a markdown table: siod's RSS (and its anonymous
and file-backed parts), the bytes its journals hold (siod runs with a small
--max-journal-bytes, so that they reach their bound in the warm-up), file descriptors, threads
and CPU, and what the load did. At the end it prints what the driver counted against
what the server counted, and a verdict.

PASS means all of:
  - memory and descriptors flat: with the baseline the first sample after the warm-up
    (min(2 minutes, half the run), and the journals at their bound), the anonymous memory of
    the samples from the baseline on rises by at most 0.05 MiB a minute (least-squares
    slope; a leak of 100 bytes per received event is 2 MiB a minute here), and the last
    sample under load has RSS <= baseline RSS x 1.25 + 10 MiB and other fds <= baseline
    other fds + 20, where
    "other fds" are all of siod's descriptors but its established TCP connections to the
    proxy. Those are live (the proxy closes every connection every few seconds, so a
    connection siod forgot shows as CLOSE_WAIT, an "other" fd), and their number follows the
    last minute of chaos through AsyncHTTPClient's pool of idle polling connections (60 s
    idle timeout): ±50 between two samples without any leak;
  - no lost answer: every RPC request got exactly one response (none missing once every
    request's timeout + 5 s has passed, no duplicate, none for an unknown id), and siod never
    closed a connection on its own;
  - the accounting relations hold (the server never saw more than siod was asked to send, it
    saw at least what siod reported acked, order kept per emitter and socket, no event on the
    wrong socket, no socket left behind by closed connections);
  - no crash: siod still runs and answers `daemon.ping` at the end, then exits 0 within 10 s
    of SIGTERM.
"""
import argparse
import asyncio
import base64
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

try:
    import uvloop
except ImportError:
    uvloop = None

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROXY = ROOT / "Tests/TestSupport/Fixtures/fault_proxy.py"

ACK_TIMEOUT_MS = 10_000  # an emit's ack timeout; also bounds how long the drain waits
WINDOW = 48  # requests in flight per emitter, under siod's default 64
CONFIG_SOCKETS = 4
EXTRA_SOCKETS = 10  # extra sockets kept open by the opener, each closed after a while
EXTRA_NAMES = 100  # the names the opener takes in turn
ANON_SLOPE_BOUND = 0.05  # MiB a minute of anonymous memory after the warm-up
MiB = 1024 * 1024

# Error types a request may legitimately end with under chaos and churn.
EXPECTED_ERRORS = {"ack_timeout", "disconnected", "not_connected", "no_such_socket"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Accounting of RPC requests: every request id must be answered exactly once.


class Ledger:
    def __init__(self):
        self.next_id = 1
        self.outstanding = {}  # id → (method, kind, sent time)
        self.answered = bytearray()  # one byte per id: 0 never answered, 1 answered
        self.duplicates = 0
        self.unknown = 0
        self.outcomes = Counter()  # (kind, outcome) → count
        self.max_latency = defaultdict(float)  # kind → seconds
        self.responses = 0

    def new(self, method, kind):
        request_id = self.next_id
        self.next_id += 1
        self.outstanding[request_id] = (method, kind, time.monotonic())
        if len(self.answered) < self.next_id:
            self.answered.extend(bytes(max(65536, self.next_id - len(self.answered))))
        return request_id

    def answer(self, request_id, outcome):
        """Returns the request's kind, or None for an id that was not outstanding."""
        self.responses += 1
        entry = self.outstanding.pop(request_id, None)
        if entry is None:
            if isinstance(request_id, int) and 0 < request_id < len(self.answered) and self.answered[request_id]:
                self.duplicates += 1
            else:
                self.unknown += 1
            return None
        self.answered[request_id] = 1
        _, kind, sent = entry
        self.outcomes[(kind, outcome)] += 1
        self.max_latency[kind] = max(self.max_latency[kind], time.monotonic() - sent)
        return kind

    def count(self, kind, outcome=None):
        return sum(n for (k, o), n in self.outcomes.items() if k == kind and (outcome is None or o == outcome))


def outcome_of(message):
    if "error" in message:
        error = message["error"]
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        return data.get("type") or f"code {error.get('code')}"
    result = message.get("result")
    if isinstance(result, dict) and "status" in result:
        return result["status"]
    return "ok"


class Rpc:
    """One newline-delimited JSON-RPC connection to siod."""

    def __init__(self, soak, name, on_notification=None):
        self.soak = soak
        self.name = name
        self.on_notification = on_notification
        self.futures = {}
        self.closing = False
        self.reader_task = None

    async def connect(self):
        self.reader, self.writer = await asyncio.open_unix_connection(self.soak.socket_path, limit=16 * MiB)
        self.reader_task = asyncio.create_task(self.read())
        return self

    def request(self, method, params, kind=None):
        """Sends a request; returns a future for the whole response message."""
        request_id = self.soak.ledger.new(method, kind or method)
        future = asyncio.get_running_loop().create_future()
        self.futures[request_id] = future
        line = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        self.writer.write(line.encode() + b"\n")
        return future

    async def call(self, method, params=None, kind=None, timeout=30):
        future = self.request(method, params or {}, kind)
        await self.writer.drain()
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    async def read(self):
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                message = json.loads(line)
                if isinstance(message, list):  # a batch answer (the soak sends none)
                    for item in message:
                        self.answer(item)
                elif "id" in message:
                    self.answer(message)
                else:
                    self.soak.notifications[message.get("method")] += 1
                    if self.on_notification is not None:
                        self.on_notification(message)
        except (ConnectionError, OSError) as error:
            log(f"{self.name}: connection error {error!r}")
        if not self.closing:
            self.soak.closed_by_siod += 1
            log(f"{self.name}: siod closed the connection ({len(self.futures)} requests unanswered)")

    def answer(self, message):
        request_id = message.get("id")
        kind = self.soak.ledger.answer(request_id, outcome_of(message))
        future = self.futures.pop(request_id, None)
        if kind is None:
            log(f"{self.name}: response for an id not outstanding: {json.dumps(message)[:200]}")
        if future is not None and not future.done():
            future.set_result(message)

    async def drain_requests(self, timeout):
        """Waits for every answer this connection is owed."""
        pending = [f for f in self.futures.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def close(self, drain_timeout=ACK_TIMEOUT_MS / 1000 + 5):
        await self.drain_requests(drain_timeout)
        self.closing = True
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass
        if self.reader_task is not None:
            await self.reader_task


# ---------------------------------------------------------------------------------------------
# Processes and /proc.


class Process:
    def __init__(self, name, proc):
        self.name = name
        self.proc = proc

    @classmethod
    async def start(cls, name, *argv, stdout=asyncio.subprocess.PIPE, stderr=None):
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE, stdout=stdout, stderr=stderr)
        return cls(name, proc)

    async def read_port(self):
        line = await asyncio.wait_for(self.proc.stdout.readline(), 20)
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"{self.name} did not start: {line!r}")
        return int(line.split()[1])

    async def stop(self):
        if self.proc.returncode is not None:
            return
        try:
            self.proc.stdin.close()
        except (OSError, AttributeError):
            pass
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def proc_sample(pid, proxy_port):
    """siod's numbers from /proc. `tcp` counts its established connections to the proxy, the
    live ones; every other descriptor, a closed connection not yet closed by siod (CLOSE_WAIT)
    included, is in `other`, which is what must stay flat: the live connections follow the
    last minute of chaos, through AsyncHTTPClient's pool of idle polling connections (60 s)."""
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    states = {}  # socket inode → (remote port, state)
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            states[fields[9]] = (int(fields[2].rsplit(":", 1)[1], 16), fields[3])
    tcp = close_wait = 0
    for link in links:
        if link.startswith("socket:["):
            port, state = states.get(link[8:-1], (None, None))
            if port == proxy_port and state == "01":
                tcp += 1
            elif state == "08":
                close_wait += 1
    return {
        "rss": int(status["VmRSS"].split()[0]) * 1024,
        "anon": int(status["RssAnon"].split()[0]) * 1024,
        "file": int(status["RssFile"].split()[0]) * 1024,
        "threads": int(status["Threads"]),
        "fds": len(links),
        "tcp": tcp,
        "other": len(links) - tcp,
        "close_wait": close_wait,
        "cpu": cpu_seconds(pid),
        "time": time.monotonic(),
    }


# ---------------------------------------------------------------------------------------------
# The soak.


class Soak:
    def __init__(self, options):
        self.options = options
        self.ledger = Ledger()
        self.notifications = Counter()
        self.closed_by_siod = 0
        self.stopping = False
        self.rng = random.Random(options.seed)
        self.checks = Counter()  # driver-side consistency counters (must stay 0)
        self.stats = Counter()  # driver-side activity counters
        self.chaos = Counter()
        self.disconnects = Counter()  # reasons, as the subscriber to every socket saw them
        self.extras = []  # open extra sockets, oldest first
        self.burst_socket = {}  # burst id → socket
        self.ticks_seen = {}  # burst id → bitmask of tick numbers seen
        self.question_socket = {}  # question id → socket
        self.questions_seen = set()
        self.tags = Counter()  # (emitter, socket) → last order counter sent
        self.samples = []
        self.next_sample_at = 0.0
        self.last_sample_at = 0.0

    # ----- setup

    async def start(self):
        o = self.options
        self.dir = Path(tempfile.mkdtemp(prefix="siod-soak-"))
        self.socket_path = str(self.dir / "siod.sock")
        self.config_path = self.dir / "siod.json"
        self.log_path = self.dir / "siod.log"
        (self.dir / "state").mkdir(mode=0o700)
        python = sys.executable
        # Their stderr to files: python's tracebacks of cut connections are noise on the terminal.
        self.peer_log = open(self.dir / "peers.log", "wb")
        self.server = await Process.start("server", python, str(HERE / "server.py"), "--port", "0", stderr=self.peer_log)
        self.server_port = await self.server.read_port()
        self.proxy = await Process.start("proxy", python, str(PROXY), "--port", "0", "--target", f"127.0.0.1:{self.server_port}",
                                           stderr=self.peer_log)
        self.proxy_port = await self.proxy.read_port()
        self.proxy_lock = asyncio.Lock()
        self.url = f"http://127.0.0.1:{self.proxy_port}"

        self.config_names = [f"cfg-{i}" for i in range(min(CONFIG_SOCKETS, o.sockets))]
        self.config_version = {name: 0 for name in self.config_names}
        self.write_config()
        self.log_file = open(self.log_path, "wb")
        self.siod = await Process.start(
            "siod", o.siod, "--socket", self.socket_path, "--state-dir", str(self.dir / "state"),
            "--config", str(self.config_path), "--log-level", o.log_level, "--max-journal-bytes", str(o.max_journal_bytes),
            stdout=self.log_file, stderr=self.log_file,
        )
        self.pid = self.siod.proc.pid
        self.control = await self.connect_when_ready()
        info = await self.control.call("daemon.info")
        log(f"siod {info['result'].get('version')} pid {self.pid}; server :{self.server_port}, proxy :{self.proxy_port}; work dir {self.dir}")

        # The sockets: a mix of transports, every fifth on /b (sharing a Manager when it can).
        self.base = list(self.config_names)
        opens = []
        for i in range(o.sockets - len(self.config_names)):
            name = f"s{i:03d}"
            self.base.append(name)
            opens.append(self.open_params(name, i))
        started = time.monotonic()
        for chunk in range(0, len(opens), 32):
            futures = [self.control.request("socket.open", params) for params in opens[chunk:chunk + 32]]
            await self.control.writer.drain()
            for message in await asyncio.gather(*futures):
                if "error" in message:
                    raise RuntimeError(f"socket.open failed: {message['error']}")
        connected = await self.wait_connected(len(self.base), 120)
        log(f"{connected}/{len(self.base)} sockets connected after {time.monotonic() - started:.1f} s")

    def open_params(self, name, i):
        mix = [["websocket"], ["polling"], ["polling", "websocket"]]
        transports = {"mix": mix[i % 3], "websocket": mix[0], "polling": mix[1], "upgrade": mix[2]}[self.options.transports]
        return {
            "socket": name, "url": self.url, "transports": transports,
            "namespace": "/b" if i % 5 == 4 else "/",
            "reconnectionDelay": 200, "reconnectionDelayMax": 1000,
        }

    def write_config(self):
        sockets = {}
        for i, name in enumerate(self.config_names):
            params = self.open_params(name, i)
            del params["socket"]
            params["query"] = {"v": str(self.config_version[name])}
            sockets[name] = params
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sockets": sockets}, indent=2))
        tmp.replace(self.config_path)

    async def connect_when_ready(self):
        deadline = time.monotonic() + 20
        while True:
            try:
                rpc = await Rpc(self, "control").connect()
                await rpc.call("daemon.ping", timeout=5)
                return rpc
            except (OSError, ConnectionError, asyncio.TimeoutError):
                if self.siod.proc.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"siod did not start; see {self.log_path}")
                await asyncio.sleep(0.1)

    async def info_counts(self):
        message = await self.control.call("daemon.info", timeout=10)
        return message["result"]["counts"]

    async def wait_connected(self, want, timeout):
        deadline = time.monotonic() + timeout
        while True:
            counts = await self.info_counts()
            if counts["connected"] >= want or time.monotonic() > deadline:
                return counts["connected"]
            await asyncio.sleep(0.25)

    async def proxy_command(self, command):
        async with self.proxy_lock:
            self.proxy.proc.stdin.write(command.encode() + b"\n")
            await self.proxy.proc.stdin.drain()
            while True:  # each command is answered with `OK <command>` once in force
                line = await asyncio.wait_for(self.proxy.proc.stdout.readline(), 10)
                if not line or line.startswith(b"OK ") or line.startswith(b"ERROR"):
                    return line.decode().strip()

    # ----- load

    def pick_socket(self):
        if self.extras and self.rng.random() < 0.05:
            return self.rng.choice(self.extras)
        return self.rng.choice(self.base)

    def tag(self, emitter, socket):
        """The order tag of an emit: a counter per (emitter, socket), checked by the server.
        Declared sockets carry none: a reload replaces them, and the old connection's last
        packets may reach the server after the new one's first (two TCP connections)."""
        if socket in self.config_version:
            return {"e": emitter}
        self.tags[(emitter, socket)] += 1
        return {"e": emitter, "s": socket, "n": self.tags[(emitter, socket)]}

    async def emitter(self, index, rate):
        rpc = await Rpc(self, f"emitter-{index}").connect()
        window = asyncio.Semaphore(WINDOW)
        loop = asyncio.get_running_loop()
        interval = 1 / rate
        due = loop.time()
        kinds = ["echo"] * 40 + ["sink"] * 20 + ["volatile"] * 5 + ["bin"] * 15 + ["burst"] * 10 + ["ask"] * 10
        while not self.stopping:
            await window.acquire()
            socket = self.pick_socket()
            kind = self.rng.choice(kinds)
            params, check = self.emit_params(index, kind, socket)
            future = rpc.request("socket.emit", params, kind=f"emit {kind}")

            def done(f, check=check):
                window.release()
                if not f.cancelled() and check is not None and "result" in f.result():
                    check(f.result()["result"])

            future.add_done_callback(done)
            await rpc.writer.drain()
            due += interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1:  # behind (window full): do not burst to catch up
                due = loop.time()
        await rpc.close()

    def emit_params(self, emitter, kind, socket):
        tag = self.tag(emitter, socket)
        params = {"socket": socket}
        check = None
        if kind == "echo":
            payload = "x" * self.rng.randrange(0, 512)
            params.update(event="echo", args=[tag, payload], ack=True, timeout=ACK_TIMEOUT_MS)

            def check(result, expected=[tag, payload]):
                if result.get("args") != expected:
                    self.checks["echo answered with other arguments"] += 1
        elif kind in ("sink", "volatile"):
            params.update(event="sink", args=[tag], volatile=kind == "volatile")
        elif kind == "bin":
            data = base64.b64encode(self.rng.randbytes(self.rng.randrange(1, 2048))).decode()
            params.update(event="bin", args=[tag, {"$binary": data}], ack=True, timeout=ACK_TIMEOUT_MS)

            def check(result, expected=[[{"$binary": base64.b64encode(bytes([9, 8, 7])).decode()}, {"$binary": data}]]):
                if result.get("args") != expected:
                    self.checks["binary answered with other arguments"] += 1
        elif kind == "burst":
            burst_id = len(self.burst_socket) + 1
            self.burst_socket[burst_id] = socket
            params.update(event="burst", args=[tag, {"id": burst_id, "n": self.options.burst}], ack=True, timeout=ACK_TIMEOUT_MS)
        elif kind == "ask":
            question = len(self.question_socket) + 1
            self.question_socket[question] = socket
            params.update(event="ask", args=[tag, {"q": question}])
        return params, check

    def on_tick(self, seqs, message, everything=False):
        params = message["params"]
        if everything and message.get("method") in ("socket.disconnect", "socket.connect_error"):
            reason = params.get("reason") or params.get("message")
            self.disconnects[f"{message['method'].split('.')[1]}: {reason}"] += 1
        if message.get("method") == "events.lagged":
            self.stats["notifications dropped (events.lagged)"] += params.get("dropped", 0)
            return
        if message.get("method") != "socket.event":
            return
        socket, seq = params["socket"], params["seq"]
        # seq counts a socket's events; it restarts only for a declared socket that a
        # reload replaced, so the check skips those.
        if socket not in self.config_version:
            if seq <= seqs.get(socket, 0):
                self.checks["socket.event seq not increasing"] += 1
            seqs[socket] = seq
        if params["event"] != "tick":
            return
        self.stats["ticks received"] += 1
        tick = params["args"][0]
        if self.burst_socket.get(tick["id"]) != socket:
            self.misrouted("tick", tick["id"], self.burst_socket.get(tick["id"]), socket)
            return
        self.ticks_seen[tick["id"]] = self.ticks_seen.get(tick["id"], 0) | (1 << tick["i"])

    def misrouted(self, what, number, expected, socket):
        """An event that came on another socket than the one it was asked on: a routing bug.
        (siod once let a new socket take a closed one's namespace on its Manager, and an event
        for the old one still in flight reached the new one; it no longer reuses a namespace
        on a Manager, as `io()` does not.)"""
        self.checks[f"{what} on the wrong socket"] += 1
        if self.stats["misrouted logged"] < 10:
            self.stats["misrouted logged"] += 1
            log(f"{what} {number} asked on {expected} came on {socket}")

    async def firehose(self, index, count):
        """A subscriber to a slice of the sockets (the last one: to every socket) that leaves
        and subscribes again every ~10 s; every other cycle it also opens a
        `connection`-lifetime socket, which must go when the connection does."""
        mine = self.base[index::count - 1] if index < count - 1 else None
        cycle = 0
        while not self.stopping:
            cycle += 1
            seqs = {}
            rpc = await Rpc(self, f"firehose-{index}", lambda m, seqs=seqs: self.on_tick(seqs, m, mine is None)).connect()
            params = {"events": ["tick"]}
            if mine is not None:
                params["sockets"] = mine
            subscription = (await rpc.call("events.subscribe", params))["result"]["subscription"]
            self.stats["subscriptions"] += 1
            if cycle % 2 == 0:
                name = f"conn-{index}-{cycle}"
                open_params = dict(self.open_params(name, cycle), lifetime="connection")
                rpc.request("socket.open", open_params)
                rpc.request("socket.emit", {"socket": name, "event": "echo", "args": [{"e": -1}], "ack": True, "timeout": 5000}, kind="emit echo (connection socket)")
            await self.sleep_unless_stopping(self.rng.uniform(8, 12))
            if self.stopping:
                self.subscribers_left.append(rpc)  # kept until the drain is over
                return
            if self.rng.random() < 0.5:
                await rpc.call("events.unsubscribe", {"subscription": subscription})
            await rpc.close()

    def on_question(self, rpc, message):
        params = message["params"]
        if message.get("method") != "socket.event" or params.get("event") != "question":
            return
        question = params["args"][0]["q"]
        if self.question_socket.get(question) != params["socket"]:
            self.misrouted("question", question, self.question_socket.get(question), params["socket"])
        if question in self.questions_seen:
            self.checks["question delivered twice"] += 1
        self.questions_seen.add(question)
        if "ackId" not in params:
            self.checks["question without ackId"] += 1
            return
        rpc.request("socket.ack", {"socket": params["socket"], "ackId": params["ackId"], "args": [{"a": question}]})

    async def answerer(self):
        while not self.stopping:
            rpc = Rpc(self, "answerer")
            rpc.on_notification = lambda m, rpc=rpc: self.on_question(rpc, m)
            await rpc.connect()
            await rpc.call("events.subscribe", {"events": ["question"]})
            await self.sleep_unless_stopping(self.rng.uniform(20, 30))
            if self.stopping:
                self.subscribers_left.append(rpc)
                return
            await rpc.close()

    async def opener(self):
        rpc = await Rpc(self, "opener").connect()
        number = 0
        while not self.stopping:
            number += 1
            name = f"extra-{(number - 1) % EXTRA_NAMES + 1}"
            message = await rpc.call("socket.open", self.open_params(name, number), kind="socket.open (extra)")
            if "result" in message:
                self.extras.append(name)
            while len(self.extras) > EXTRA_SOCKETS:
                await rpc.call("socket.close", {"socket": self.extras.pop(0)}, kind="socket.close (extra)")
            await self.sleep_unless_stopping(self.rng.uniform(0.5, 1.5))
        await rpc.close()

    async def reloader(self):
        rpc = await Rpc(self, "reloader").connect()
        while not self.stopping:
            await self.sleep_unless_stopping(self.rng.uniform(25, 35))
            if self.stopping or not self.config_names:
                break
            name = self.rng.choice(self.config_names)
            self.config_version[name] += 1
            self.write_config()
            message = await rpc.call("daemon.reload")
            result = message.get("result")
            if result is None:
                self.checks["daemon.reload failed"] += 1
                log(f"daemon.reload failed: {message.get('error')}")
            elif result.get("reopened") != [name] or result.get("opened") or result.get("closed"):
                self.checks["daemon.reload did other than reopen the changed socket"] += 1
                log(f"daemon.reload changed {name}, answered {result}")
            else:
                self.stats["reloads"] += 1
        await rpc.close()

    async def chaos_monkey(self):
        loop = asyncio.get_running_loop()
        while not self.stopping:
            await self.sleep_unless_stopping(self.rng.uniform(5, 10))
            # Quiet before each sample, so samples see every socket connected.
            if self.stopping or self.next_sample_at - loop.time() < 15 or loop.time() - self.last_sample_at < 2:
                continue
            action = self.rng.choices(["cut", "reset", "latency", "blackhole", "pause", "split"], [30, 20, 20, 15, 10, 5])[0]
            self.chaos[action] += 1
            if action in ("cut", "reset"):
                await self.proxy_command(action)
            elif action == "latency":
                await self.proxy_command(f"latency {self.rng.randrange(100, 400)} 50")
                await asyncio.sleep(self.rng.uniform(4, 8))
                await self.proxy_command("latency 0")
            elif action == "pause":  # a stall that loses nothing
                await self.proxy_command("pause on")
                await asyncio.sleep(self.rng.uniform(2, 4))
                await self.proxy_command("pause off")
            elif action == "split":  # every chunk as 1-byte segments: framing across reads
                await self.proxy_command("split on")
                await asyncio.sleep(self.rng.uniform(1, 2))
                await self.proxy_command("split off")
            else:  # half-open connections that lose what is written to them
                await self.proxy_command("blackhole on")
                await asyncio.sleep(self.rng.uniform(2, 4))
                await self.proxy_command("blackhole off")
                if self.rng.random() < 0.5:  # the half-open connections, then gone
                    await self.proxy_command("cut")

    async def sleep_unless_stopping(self, seconds):
        try:
            await asyncio.wait_for(self.stop_event.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    # ----- samples

    async def sample(self, label):
        """One row: siod's process numbers, and the load's since the previous row."""
        counts = await self.info_counts()
        row = proc_sample(self.pid, self.proxy_port)
        row.update(label=label, counts=counts, responses=self.ledger.responses,
                   ticks=self.stats["ticks received"], chaos=sum(self.chaos.values()))
        previous = self.samples[-1] if self.samples else None
        if previous is None:
            row["cpu%"], row["rps"], row["tps"], row["chaos_n"] = None, None, None, 0
        else:
            elapsed = row["time"] - previous["time"]
            row["cpu%"] = 100 * (row["cpu"] - previous["cpu"]) / elapsed
            row["rps"] = (row["responses"] - previous["responses"]) / elapsed
            row["tps"] = (row["ticks"] - previous["ticks"]) / elapsed
            row["chaos_n"] = row["chaos"] - previous["chaos"]
        self.samples.append(row)
        cpu = "–" if row["cpu%"] is None else f"{row['cpu%']:.0f}"
        rps = "–" if row["rps"] is None else f"{row['rps']:.0f}"
        tps = "–" if row["tps"] is None else f"{row['tps']:.0f}"
        print(f"| {label} | {row['rss'] / MiB:.1f} | {row['anon'] / MiB:.1f} | {row['file'] / MiB:.1f} | {counts['journalBytes'] / MiB:.1f} | {row['fds']} | {row['tcp']} | {row['other']} | {row['threads']} | {cpu} "
              f"| {counts['connected']}/{counts['sockets']} | {counts['clients']} | {rps} | {tps} | {row['chaos_n']} |", flush=True)
        return row

    async def monitor(self, duration, interval):
        loop = asyncio.get_running_loop()
        start = loop.time()
        k = 0
        while True:
            k += 1
            at = min(start + k * interval, start + duration)
            self.next_sample_at = at
            await asyncio.sleep(max(0.0, at - loop.time()))
            # Let the last chaos settle: every base socket connected, or 10 s.
            await self.wait_connected(len(self.base), 10)
            self.last_sample_at = loop.time()
            await self.sample(minutes_label(at - start))
            if at >= start + duration:
                return

    # ----- the run

    async def run(self):
        o = self.options
        self.stop_event = asyncio.Event()
        self.subscribers_left = []
        await self.start()
        duration = o.minutes * 60
        warmup = min(120.0, duration / 2)
        print()
        print(f"siod soak: {o.sockets} sockets, {o.minutes:g} min, {o.emitters} emitters at {o.rate:g} emits/s, "
              f"{o.firehose} firehose subscribers, chaos every 5–10 s")
        print(f"criterion: after the warm-up ({minutes_label(warmup)}, and the journals at their bound), anonymous memory "
              f"rising ≤ {ANON_SLOPE_BOUND} MiB/min, RSS ≤ RSS(warm-up) × 1.25 + 10 MiB and "
              f"other fds ≤ other fds(warm-up) + 20 at the end (fds but the live TCP connections); every request answered exactly once; siod answers "
              f"daemon.ping at the end and exits 0 within 10 s of SIGTERM")
        print()
        print("| min | RSS MiB | anon MiB | file MiB | journal MiB | fds | live TCP | other fds | threads | CPU % | connected/sockets | RPC clients | answers/s | ticks/s | chaos |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        await self.sample("0:00")
        loop = asyncio.get_running_loop()
        self.next_sample_at = loop.time() + o.interval
        tasks = [asyncio.create_task(self.emitter(i, o.rate / o.emitters)) for i in range(o.emitters)]
        tasks += [asyncio.create_task(self.firehose(i, o.firehose)) for i in range(o.firehose)]
        tasks += [asyncio.create_task(t) for t in (self.answerer(), self.opener(), self.reloader(), self.chaos_monkey())]
        monitor = asyncio.create_task(self.monitor(duration, o.interval))
        await asyncio.wait([monitor, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:  # a load task that ended early is a bug of the soak: say so
            if task.done() and task.exception() is not None:
                raise task.exception()
        await monitor

        # Stop the load; every request gets its timeout and 5 s more to be answered.
        self.stopping = True
        self.stop_event.set()
        for command in ("latency 0", "blackhole off", "pause off", "split off"):
            await self.proxy_command(command)
        drain_started = time.monotonic()
        done, pending = await asyncio.wait(tasks, timeout=ACK_TIMEOUT_MS / 1000 + 5 + 15)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        deadline = drain_started + ACK_TIMEOUT_MS / 1000 + 5
        while self.ledger.outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # late or duplicate answers would show here
        for rpc in self.subscribers_left:
            await rpc.close(drain_timeout=5)
        await asyncio.sleep(1)  # connection sockets close with their connections
        self.final_counts = await self.info_counts()
        self.drain_seconds = time.monotonic() - drain_started
        return warmup

    async def finish(self):
        """siod still answers, then stops on SIGTERM; the server's counters."""
        self.server_stats = await asyncio.get_running_loop().run_in_executor(None, self.fetch_server_stats)
        self.ping_ok = False
        try:
            self.ping_ok = (await self.control.call("daemon.ping", timeout=10)).get("result") == "pong"
        except (OSError, ConnectionError, asyncio.TimeoutError) as error:
            log(f"daemon.ping failed: {error!r}")
        self.alive_at_end = self.siod.proc.returncode is None
        await self.control.close(drain_timeout=2)
        self.cpu = {name: cpu_seconds(p.proc.pid) for name, p in
                    (("siod", self.siod), ("server", self.server), ("proxy", self.proxy))}
        self.cpu["driver"] = sum(os.times()[:2])
        self.exit_code, self.exit_seconds = None, None
        if self.alive_at_end:
            started = time.monotonic()
            self.siod.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = await asyncio.wait_for(self.siod.proc.wait(), 10)
                self.exit_seconds = time.monotonic() - started
            except asyncio.TimeoutError:
                self.siod.proc.kill()
                await self.siod.proc.wait()
        else:
            self.exit_code = self.siod.proc.returncode
        self.log_file.close()
        await self.proxy.stop()
        await self.server.stop()
        self.peer_log.close()

    def fetch_server_stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.server_port}/soak-stats", timeout=10) as response:
            return Counter(json.load(response))


def crashed(soak):
    print()
    code = soak.siod.proc.returncode
    status = f"killed by signal {-code}" if code < 0 else f"status {code}"
    print(f"**FAIL**: siod exited during the soak ({status}); the end of its log "
          f"({soak.log_path}):")
    print()
    print("```")
    lines = soak.log_path.read_text(errors="replace").splitlines()
    print("\n".join(lines[-30:]))
    print("```")
    print(f"(siod's log and state kept in {soak.dir})")
    for process in (soak.proxy, soak.server):
        if process.proc.returncode is None:
            process.proc.kill()


def anon_slope(samples):
    """The least-squares slope of anonymous memory in MiB a minute; None under 3 samples."""
    if len(samples) < 3:
        return None
    xs = [s["time"] / 60 for s in samples]
    ys = [s["anon"] / MiB for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else None


def minutes_label(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------------------------------------
# The report.


def report(soak, warmup):
    o, ledger, server = soak.options, soak.ledger, soak.server_stats
    failures = []

    def out(kind, outcome=None):
        return ledger.count(f"emit {kind}", outcome)

    def errors(kind):
        return {o_: n for (k, o_), n in ledger.outcomes.items() if k == f"emit {kind}" and o_ not in ("ok", "sent", "buffered", "dropped")}

    # Memory and descriptors.
    samples = soak.samples
    under_load = [s for s in samples if s["label"] != "end"]
    start_t = samples[0]["time"]
    after_warmup = [s for s in under_load if s["time"] - start_t >= warmup - 5]
    # The journals fill in the first minutes (by design: they keep the newest events up to
    # --max-journal-bytes); memory is flat only once they are at their bound.
    full = [s for s in after_warmup if s["counts"]["journalBytes"] >= 0.95 * o.max_journal_bytes]
    baseline = (full or after_warmup or under_load[-1:])[0]
    last = under_load[-1]
    flat_part = [s for s in under_load if s["time"] >= baseline["time"]]
    slope = anon_slope(flat_part)
    if not full:
        failures.append(f"the journals never reached their bound ({o.max_journal_bytes / MiB:.0f} MiB): a longer run, "
                        f"or a smaller --max-journal-bytes")
    elif slope is None:
        failures.append(f"too few samples after the journals were full at {baseline['label']} to tell a slope")
    elif slope > ANON_SLOPE_BOUND:
        failures.append(f"anonymous memory rose {slope:+.3f} MiB/min from {baseline['label']} to {last['label']} "
                        f"(bound {ANON_SLOPE_BOUND})")
    rss_bound = baseline["rss"] * 1.25 + 10 * MiB
    fds_bound = baseline["other"] + 20
    if last["rss"] > rss_bound:
        failures.append(f"RSS grew: {last['rss'] / MiB:.1f} MiB at {last['label']} > {rss_bound / MiB:.1f} MiB "
                        f"(baseline {baseline['rss'] / MiB:.1f} MiB at {baseline['label']})")
    if last["other"] > fds_bound:
        failures.append(f"fds grew: {last['other']} other than live TCP at {last['label']} > {fds_bound} "
                        f"(baseline {baseline['other']} at {baseline['label']})")

    # Answers.
    missing = len(ledger.outstanding)
    if missing:
        failures.append(f"{missing} requests never answered: {Counter(k for _, k, _ in ledger.outstanding.values())}")
    if ledger.duplicates:
        failures.append(f"{ledger.duplicates} duplicate responses")
    if ledger.unknown:
        failures.append(f"{ledger.unknown} responses for unknown ids")
    if soak.closed_by_siod:
        failures.append(f"siod closed {soak.closed_by_siod} RPC connections")
    unexpected = Counter({(k, o_): n for (k, o_), n in ledger.outcomes.items()
                          if o_ not in EXPECTED_ERRORS | {"ok", "sent", "buffered", "dropped"}})
    if unexpected:
        failures.append(f"unexpected outcomes: {dict(unexpected)}")

    # Accounting: what the driver was told against what the server saw.
    ticks_unique = sum(bin(mask).count("1") for mask in soak.ticks_seen.values())
    acked = out("echo", "ok") + out("bin", "ok") + out("burst", "ok")
    relations = [
        ("echo emits acked by siod", out("echo", "ok"), "≤", "server received echo", server["echo_received"]),
        ("server received echo", server["echo_received"], "≤", "echo emits requested",
         out("echo") + ledger.count("emit echo (connection socket)")),
        ("binary emits acked by siod", out("bin", "ok"), "≤", "server received binary", server["binary_received"]),
        ("server received binary", server["binary_received"], "≤", "binary emits requested", out("bin")),
        ("burst emits acked by siod", out("burst", "ok"), "≤", "server received burst", server["burst_received"]),
        ("server received burst", server["burst_received"], "≤", "burst emits requested", out("burst")),
        ("emits acked by siod", acked, "≤", "acks the server sent", server["acks_sent"]),
        ("server received sink", server["sink_received"], "≤", "sink emits sent or buffered",
         out("sink", "sent") + out("sink", "buffered") + out("volatile", "sent") + out("volatile", "buffered")),
        ("distinct ticks received by subscribers", ticks_unique, "≤", "ticks the server emitted", server["ticks_emitted"]),
        ("server received ask", server["ask_received"], "≤", "ask emits sent or buffered", out("ask", "sent") + out("ask", "buffered")),
        ("questions received by the answerer", len(soak.questions_seen), "≤", "questions the server emitted", server["questions_emitted"]),
        ("answers the server received", server["answers_received"], "≤", "socket.ack answered ok", ledger.count("socket.ack", "ok")),
        ("emits out of order at the server", server["order_inversions"], "=", "", 0),
        ("answers with wrong arguments at the server", server["answers_wrong"], "=", "", 0),
    ]
    for name, count in sorted(soak.checks.items()):
        relations.append((name, count, "=", "", 0))
    leftover = soak.final_counts["sockets"] - len(soak.base) - len(soak.extras)
    relations.append(("sockets left behind by closed connections", leftover, "=", "", 0))
    for left, a, op, right, b in relations:
        ok = a <= b if op == "≤" else a == b
        if not ok:
            failures.append(f"{left} {a} {op} {right or b} {b if right else ''}".strip())

    # No crash.
    if not soak.alive_at_end:
        failures.append(f"siod was not running at the end (exit status {soak.exit_code})")
    elif not soak.ping_ok:
        failures.append("siod did not answer daemon.ping at the end")
    elif soak.exit_code is None:
        failures.append("siod did not exit within 10 s of SIGTERM")
    elif soak.exit_code != 0:
        failures.append(f"siod exited {soak.exit_code} after SIGTERM")

    log_levels, log_top = read_log(soak.log_path)

    # The summary (markdown, ready to paste).
    print()
    print(f"**Summary** ({o.sockets} sockets, {o.minutes:g} min; {ledger.next_id - 1} RPC requests, "
          f"{ledger.responses} responses; drained in {soak.drain_seconds:.1f} s)")
    print()
    print("| | |")
    print("|---|---|")
    print(f"| RSS | {baseline['rss'] / MiB:.1f} MiB at {baseline['label']} (warm-up) → {last['rss'] / MiB:.1f} MiB at {last['label']} "
          f"(bound {rss_bound / MiB:.1f}); peak {max(s['rss'] for s in samples) / MiB:.1f} MiB |")
    slope_text = f"{slope:+.3f} MiB/min" if slope is not None else "no slope (too few samples)"
    print(f"| anonymous memory | {baseline['anon'] / MiB:.1f} MiB at {baseline['label']} → {last['anon'] / MiB:.1f} MiB at {last['label']}: "
          f"{slope_text} (least squares over {len(flat_part)} samples; bound {ANON_SLOPE_BOUND}); "
          f"journals {last['counts']['journalBytes'] / MiB:.1f} MiB, their bound {o.max_journal_bytes / MiB:.1f} MiB |")
    print(f"| fds | other than live TCP {baseline['other']} → {last['other']} (bound {fds_bound}); "
          f"all {baseline['fds']} → {last['fds']}, peak {max(s['fds'] for s in samples)}; "
          f"CLOSE_WAIT at the samples {', '.join(str(s['close_wait']) for s in samples)} |")
    print(f"| threads | {samples[0]['threads']} → {last['threads']} |")
    elapsed = samples[-1]["time"] - samples[0]["time"]
    siod_load = 100 * (samples[-1]["cpu"] - samples[0]["cpu"]) / max(1.0, elapsed)
    print(f"| CPU seconds | siod {soak.cpu['siod']:.0f} ({siod_load:.0f} % of a core under load), server {soak.cpu['server']:.0f}, "
          f"proxy {soak.cpu['proxy']:.0f}, driver {soak.cpu['driver']:.0f} |")
    print(f"| responses | missing {missing}, duplicate {ledger.duplicates}, unknown id {ledger.unknown}; "
          f"connections closed by siod {soak.closed_by_siod} |")
    for kind in ("echo", "bin", "burst", "sink", "volatile", "ask"):
        outcomes = {o_: n for (k, o_), n in ledger.outcomes.items() if k == f"emit {kind}"}
        slowest = ledger.max_latency.get(f"emit {kind}", 0)
        print(f"| emit {kind} | {fmt_counter(outcomes)}; slowest answer {slowest * 1000:.0f} ms |")
    for kind in ("emit echo (connection socket)", "socket.ack", "socket.open (extra)", "socket.close (extra)",
                 "events.subscribe", "events.unsubscribe", "daemon.reload"):
        outcomes = {o_: n for (k, o_), n in ledger.outcomes.items() if k == kind}
        print(f"| {kind} | {fmt_counter(outcomes)} |")
    print(f"| ticks | server emitted {server['ticks_emitted']}, subscribers received {soak.stats['ticks received']} "
          f"({ticks_unique} distinct, {100 * ticks_unique / max(1, server['ticks_emitted']):.1f} %); "
          f"dropped by siod (events.lagged) {soak.stats['notifications dropped (events.lagged)']} |")
    print(f"| server→client acks | questions emitted {server['questions_emitted']}, seen {len(soak.questions_seen)}, "
          f"answers received by the server {server['answers_received']} |")
    print(f"| server | events received {server['events_received']}, acks sent {server['acks_sent']}, "
          f"events emitted {server['events_emitted']}, binary received {server['binary_received']}, "
          f"connects {server['connects']}, disconnects {server['disconnects']} |")
    print(f"| notifications | {fmt_counter(soak.notifications)} |")
    print(f"| disconnect reasons | {fmt_counter(soak.disconnects)} (as one subscriber to every socket saw them) |")
    print(f"| chaos | {fmt_counter(soak.chaos)}; reloads {soak.stats['reloads']}; subscriptions {soak.stats['subscriptions']} |")
    exit_text = "did not exit" if soak.exit_code is None else f"exit {soak.exit_code}"
    if soak.exit_seconds is not None:
        exit_text += f" {soak.exit_seconds:.1f} s after SIGTERM"
    print(f"| end | running {'yes' if soak.alive_at_end else 'no'}, daemon.ping {'pong' if soak.ping_ok else 'no answer'}, {exit_text} |")
    print(f"| siod log | {fmt_counter(log_levels)} |")
    print()
    print("Relations:")
    print()
    for left, a, op, right, b in relations:
        ok = a <= b if op == "≤" else a == b
        text = f"{left}: {a}, {right}: {b} ({'≤' if op == '≤' else '='} expected)" if right else f"{left}: {a} (0 expected)"
        print(f"- {'ok  ' if ok else 'FAIL'} {text}")
    if log_top:
        print()
        print("Most frequent siod log lines (warning and up, or notice):")
        for line, n in log_top:
            print(f"- {n} × `{line}`")
    print()
    if failures:
        print("**FAIL**")
        for failure in failures:
            print(f"- {failure}")
        print(f"(siod's log and state kept in {soak.dir})")
    else:
        print("**PASS**: memory and fds flat after the warm-up, every request answered exactly once, "
              "the accounting holds, siod answered at the end and stopped cleanly")
    return not failures


def fmt_counter(counter):
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda item: -item[1])) or "–"


LEVELS = ("trace", "debug", "info", "notice", "warning", "error", "critical")


def read_log(path):
    """Counts siod's log lines by level; the most frequent messages of notice and up."""
    levels, messages = Counter(), Counter()
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return levels, []
    for line in text.splitlines():
        level = line.split(" ", 1)[0]
        if level not in LEVELS:
            levels["other"] += 1
            messages[line[:160]] += 1
            continue
        levels[level] += 1
        if LEVELS.index(level) >= LEVELS.index("notice"):
            # The message without its metadata (socket names, reasons vary).
            messages[re.split(r" [a-zA-Z_.]+=", line, maxsplit=1)[0]] += 1
    return levels, messages.most_common(8)


async def main(options):
    soak = Soak(options)
    try:
        try:
            warmup = await soak.run()
        except Exception:
            # siod exiting before the end is the crash this soak looks for: say so, plainly.
            if getattr(soak, "siod", None) is not None:
                try:
                    await asyncio.wait_for(soak.siod.proc.wait(), 3)
                except asyncio.TimeoutError:
                    pass
                if soak.siod.proc.returncode is not None:
                    # The load tasks fail too now, with the lost connections: not news.
                    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
                    crashed(soak)
                    return 1
            raise
        await soak.finish()
    except BaseException:
        for process in ("siod", "proxy", "server"):
            p = getattr(soak, process, None)
            if p is not None and p.proc.returncode is None:
                p.proc.kill()
        if getattr(soak, "dir", None):
            log(f"work dir kept: {soak.dir}")
        raise
    passed = report(soak, warmup)
    if passed and not options.keep:
        shutil.rmtree(soak.dir, ignore_errors=True)
    return 0 if passed else 1


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--siod", required=True, help="the siod binary")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--rate", type=float, default=200, help="emits per second, all emitters together")
    parser.add_argument("--emitters", type=int, default=4)
    parser.add_argument("--firehose", type=int, default=4, help="firehose subscribers (at least 2)")
    parser.add_argument("--burst", type=int, default=10, help="ticks per firehose request")
    parser.add_argument("--interval", type=float, default=60, help="seconds between samples")
    parser.add_argument("--log-level", default="notice", help="siod's")
    parser.add_argument("--max-journal-bytes", type=int, default=4 * MiB,
                        help="siod's --max-journal-bytes: small, so that the journals reach their bound in the warm-up")
    parser.add_argument("--transports", choices=["mix", "websocket", "polling", "upgrade"], default="mix",
                        help="the sockets' transports: a third each (mix), or all the same")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (siod's log) after a pass")
    options = parser.parse_args()
    options.firehose = max(2, options.firehose)
    options.sockets = max(CONFIG_SOCKETS + 1, options.sockets)
    return options


if __name__ == "__main__":
    options = parse()
    runner = uvloop.run if uvloop is not None else asyncio.run
    sys.exit(runner(main(options)))
