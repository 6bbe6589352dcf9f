import ArgumentParser
import SioJSON
import SiodShared
#if canImport(Glibc)
import Glibc
#endif

@main
struct Siodctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siodctl",
        abstract: "Talk to siod from a shell: one JSON-RPC call per run, or a listener.",
        discussion: """
        Results are printed as one line of JSON on stdout.

        Exit status: 0 on success, 1 when siod answered with an error (printed on stderr with \
        its type), 2 when siod cannot be reached, 64 for a usage error.
        """,
        subcommands: [Call.self, Open.self, Emit.self, Listen.self, Status.self, List.self, Close.self, Outbox.self]
    )

    @Option(help: "siod's socket (default: $SIOD_SOCKET, then siod's own default).")
    var socket: String?
}

/// Options every subcommand takes: `--socket` before or after the subcommand.
struct Connection: ParsableArguments {
    @Option(help: "siod's socket (default: $SIOD_SOCKET, then siod's own default).")
    var socket: String?

    @ParentCommand var root: Siodctl

    func client() throws(ClientFailure) -> RPCClient {
        let socket = self.socket ?? self.root.socket
        var environment: [String: String] = [:]
        for key in ["SIOD_SOCKET", "XDG_RUNTIME_DIR"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        let (path, owner) = DaemonPaths.socketLocation(flag: socket, environment: environment, uid: getuid())
        // What we send may hold tokens: not to a listener another user put in our directory.
        if let owner, let problem = SocketDirectory.problem(DaemonPaths.directory(of: path), owner: owner) {
            throw ClientFailure.unreachable("refusing \(path): \(problem)")
        }
        return try RPCClient(path: path)
    }
}

extension ParsableCommand {
    /// Runs `body`, prints its result, and maps failures to the exit statuses.
    func perform(_ body: () throws(ClientFailure) -> JSON?) throws {
        do {
            if let result = try body() { Output.line(result) }
        } catch {
            switch error {
            case .unreachable(let why):
                Output.error("siodctl: \(why)")
                throw ExitCode(2)
            case .rpc(let object):
                let message = object.objectValue?["message"]?.stringValue ?? "error"
                let type = object.objectValue?["data"]?.objectValue?["type"]?.stringValue ?? "unknown"
                Output.error("siodctl: \(message) (\(type))")
                throw ExitCode(1)
            case .usage(let why):
                Output.error("siodctl: \(why)")
                throw ExitCode(64)
            }
        }
    }
}

/// Parses a command-line JSON value, naming it in the error.
func parseJSON(_ text: String, _ what: String) throws(ClientFailure) -> JSON {
    do { return try JSON(parsing: Array(text.utf8)) } catch {
        throw .usage("\(what) is not valid JSON (quote strings: '\"text\"'): \(text)")
    }
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Call any method: siodctl call socket.status '{\"socket\":\"chat\"}'.")
    @OptionGroup var connection: Connection
    @Argument(help: "The method.") var method: String
    @Argument(help: "The params, a JSON object.") var params: String?

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            let params = try self.params.map { text throws(ClientFailure) in try parseJSON(text, "params") }
            return try self.connection.client().call(self.method, params)
        }
    }
}

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open a named socket: siodctl open chat http://127.0.0.1:5000.")
    @OptionGroup var connection: Connection
    @Argument(help: "The socket's name.") var name: String
    @Argument(help: "The server's URL.") var url: String
    @Option(help: "The namespace.") var namespace: String?
    @Option(help: "The auth payload, a JSON object.") var auth: String?
    @Option(help: "connection, daemon or persistent.") var lifetime: String?
    @Option(help: "More socket.open options, a JSON object: '{\"transports\":[\"websocket\"]}'.") var options: String?

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            var params: JSONObject = [:]
            if let options {
                guard case .object(let object) = try parseJSON(options, "--options") else { throw .usage("--options must be a JSON object") }
                params = object
            }
            params["socket"] = .string(self.name)
            params["url"] = .string(self.url)
            if let namespace { params["namespace"] = .string(namespace) }
            if let auth { params["auth"] = try parseJSON(auth, "--auth") }
            if let lifetime { params["lifetime"] = .string(lifetime) }
            return try self.connection.client().call("socket.open", .object(params))
        }
    }
}

struct Emit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Emit an event: siodctl emit chat message '\"hi\"' '{\"n\":1}' [--ack] [--durable].",
        discussion: """
        Each argument is JSON. Prints {"status":…}, or with --ack the server's ack arguments. With \
        --durable, the emit is on disk when siodctl returns ({"status":"queued","outboxId":N}) and \
        siod sends it until the server acks it, across reconnects and restarts.
        """
    )
    @OptionGroup var connection: Connection
    @Argument(help: "The socket's name.") var name: String
    @Argument(help: "The event.") var event: String
    @Argument(help: "The arguments, each a JSON value.") var args: [String] = []
    @Flag(help: "Wait for the server's ack and print its arguments.") var ack = false
    @Option(help: "With --ack: give up after this many milliseconds.") var timeout: Int?
    @Flag(help: "Drop the event if the socket is not connected.") var volatile = false
    @Flag(inversion: .prefixedNo, help: "Write the emit to siod's outbox first (default: the socket's durable option).")
    var durable: Bool?

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            var values: [JSON] = []
            for (index, text) in self.args.enumerated() { values.append(try parseJSON(text, "argument \(index + 1)")) }
            var params: JSONObject = ["socket": .string(self.name), "event": .string(self.event), "args": .array(values)]
            if self.ack { params["ack"] = true }
            if let timeout { params["timeout"] = .number(JSONNumber(timeout)) }
            if self.volatile { params["volatile"] = true }
            if let durable { params["durable"] = .bool(durable) }
            let result = try self.connection.client().call("socket.emit", .object(params))
            // A durable emit answers queued; its ack comes later, as socket.delivered.
            guard self.ack, let args = result.objectValue?["args"] else { return result }
            return args
        }
    }
}

struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every notification as one JSON line, until interrupted: siodctl listen chat | jq .",
        discussion: "Lines are the JSON-RPC notifications as siod sends them ({\"method\":…,\"params\":…})."
    )
    @OptionGroup var connection: Connection
    @Argument(help: "Sockets to listen to (default: all, including later ones).") var names: [String] = []
    @Option(name: .customLong("event"), help: "Only these events (repeatable); lifecycle notifications always come.")
    var events: [String] = []
    @Flag(help: "Also the engine's notifications: manager.upgrade, manager.ping, manager.error, engine.packet, engine.packetCreate, engine.drain, engine.close.")
    var engine = false
    @Flag(help: "Also socket.outgoing: every event emitted on the sockets, by any client, in the order written.")
    var outgoing = false
    @Option(help: "First the journal's events after this seq of each named socket, then live ones (events.gap says what the journal no longer holds).")
    var since: UInt64?
    @Option(help: "Listen as this named consumer: resume after the last seq it committed, and commit each event line once printed.")
    var consumer: String?

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            let client = try self.connection.client()
            var params: JSONObject = [:]
            if !self.names.isEmpty { params["sockets"] = .array(self.names.map { .string($0) }) }
            if !self.events.isEmpty { params["events"] = .array(self.events.map { .string($0) }) }
            if self.engine { params["engine"] = true }
            if self.outgoing { params["outgoing"] = true }
            if let since {
                guard !self.names.isEmpty else { throw .usage("--since needs the sockets' names") }
                params["since"] = .object(JSONObject(members: self.names.map { JSONObject.Member(key: $0, value: .number(JSONNumber(since))) }))
            }
            if let consumer { params["consumer"] = .string(consumer) }
            _ = try client.call("events.subscribe", .object(params))
            while let line = try client.readLine() {
                Output.raw(line)
                // Printed (handed to the pipe): committed, without waiting for an answer.
                if let consumer, let event = Self.eventPosition(line) {
                    try client.notify("events.commit", ["consumer": .string(consumer), "socket": .string(event.socket), "seq": .number(JSONNumber(event.seq))])
                }
            }
            return nil
        }
    }
}

extension Listen {
    /// The socket and `seq` of a `socket.event` line.
    static func eventPosition(_ line: [UInt8]) -> (socket: String, seq: UInt64)? {
        guard case .object(let message)? = try? JSON(parsing: line), message["method"] == "socket.event",
              let params = message["params"]?.objectValue, let socket = params["socket"]?.stringValue,
              let seq = params["seq"]?.intValue, seq >= 0
        else { return nil }
        return (socket, UInt64(seq))
    }
}

struct Outbox: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A socket's durable outbox: {pending: […], failed: […]}.")
    @OptionGroup var connection: Connection
    @Argument(help: "The socket's name.") var name: String

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            try self.connection.client().call("socket.outbox", ["socket": .string(self.name)])
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A socket's status, or siod's (daemon.info) without a name.")
    @OptionGroup var connection: Connection
    @Argument(help: "The socket's name.") var name: String?

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            let client = try self.connection.client()
            guard let name else { return try client.call("daemon.info", nil) }
            return try client.call("socket.status", ["socket": .string(name)])
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every socket's status, one JSON line each.")
    @OptionGroup var connection: Connection

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            let result = try self.connection.client().call("socket.list", nil)
            for socket in result.objectValue?["sockets"]?.arrayValue ?? [] { Output.line(socket) }
            return nil
        }
    }
}

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Disconnect a socket and forget it.")
    @OptionGroup var connection: Connection
    @Argument(help: "The socket's name.") var name: String

    func run() throws {
        try self.perform { () throws(ClientFailure) in
            try self.connection.client().call("socket.close", ["socket": .string(self.name)])
        }
    }
}

/// Lines on stdout, written at once (a pipe to jq sees each as it comes).
enum Output {
    static func line(_ value: JSON) {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        self.raw(bytes)
    }

    static func raw(_ line: [UInt8]) {
        self.write(1, line + [UInt8(ascii: "\n")])
    }

    static func error(_ text: String) {
        self.write(2, Array((text + "\n").utf8))
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8]) {
        _ = writeAll(fd, bytes)
    }
}
