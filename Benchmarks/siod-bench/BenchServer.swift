// The benchmark's Socket.IO server: just the protocol subset the scenarios need, on one event
// loop so that it costs less CPU than any client it measures (the run reports both).
//
// Engine.IO v4 over WebSocket (no upgrade: a client picks its transport) and long-polling;
// Socket.IO v5 on "/" with these events from the client:
//   start {n, size}  a firehose of n `tick` events of about `size` bytes ({"n":i,"p":"xx…"})
//   sink …           counted
//   flush (ack)      answered with the number of sinks received since the last flush
//   echo … (ack)     answered at once with its arguments
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

final class BenchServer: @unchecked Sendable {
    /// Confined to the server's single event loop.
    private var sessions: [String: Session] = [:]
    private var nextSession = 0
    let loop: any EventLoop
    static let pingInterval = 25_000

    init(loop: any EventLoop) { self.loop = loop }

    func makeSession() -> Session {
        self.nextSession += 1
        let session = Session(sid: "s\(self.nextSession)", server: self)
        self.sessions[session.sid] = session
        return session
    }

    func session(_ sid: String) -> Session? { self.sessions[sid] }
    func remove(_ session: Session) { self.sessions[session.sid] = nil }

    /// Serves on 127.0.0.1:`port` until the process ends; returns the bound port.
    static func start(port: Int) throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = BenchServer(loop: group.next())
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 24,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let session = server.makeSession()
                    try channel.pipeline.syncOperations.addHandler(WebSocketEngine(session: session))
                }
            }
        )
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let polling = PollingHTTP(server: server)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.syncOperations.removeHandler(polling, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(polling)
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        return channel.localAddress?.port ?? 0
    }
}

/// One Engine.IO session and its Socket.IO state (used on the server's loop only).
final class Session: @unchecked Sendable {
    let sid: String
    unowned let server: BenchServer
    /// The WebSocket, or nil for a polling session.
    weak var webSocket: WebSocketEngine?
    var sinks = 0
    /// Polling: packets waiting for a GET, and a firehose still to generate.
    var queue: [String] = []
    var firehose: Firehose?
    var parkedGet: PollingHTTP?
    var ping: RepeatedTask?

    init(sid: String, server: BenchServer) {
        self.sid = sid
        self.server = server
    }

    var handshake: String {
        #"0{"sid":"\#(self.sid)","upgrades":[],"pingInterval":\#(BenchServer.pingInterval),"pingTimeout":20000,"maxPayload":1000000}"#
    }

    /// One Engine.IO packet from the client.
    func receive(_ packet: Substring) {
        guard let type = packet.first else { return }
        switch type {
        case "4": self.receiveSocketIO(packet.dropFirst())
        case "1": self.close()
        default: break  // "3" pong; nothing else is expected
        }
    }

    private func receiveSocketIO(_ packet: Substring) {
        guard let type = packet.first else { return }
        switch type {
        case "0":
            self.send(#"40{"sid":"n\#(self.sid)"}"#)
        case "2":
            // 2[ackId]["name",…]
            var rest = packet.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            guard rest.hasPrefix("[\"") else { return }
            let afterQuote = rest.dropFirst(2)
            guard let quote = afterQuote.firstIndex(of: "\"") else { return }
            let name = afterQuote[..<quote]
            let arguments = afterQuote[afterQuote.index(after: quote)...].dropFirst()  // after the comma
            switch name {
            case "sink":
                self.sinks += 1
                if !digits.isEmpty { self.send("43\(digits)[\(self.sinks)]") }
            case "flush":
                self.send("43\(digits)[\(self.sinks)]")
                self.sinks = 0
            case "echo":
                if !digits.isEmpty { self.send("43\(digits)[\(arguments.isEmpty ? "]" : arguments)") }
            case "start":
                let object = (try? JSONSerialization.jsonObject(with: Data(arguments.dropLast().utf8))) as? [String: Any]
                self.startFirehose(count: object?["n"] as? Int ?? 0, size: object?["size"] as? Int ?? 0)
            default:
                break
            }
        default:
            break
        }
    }

    func send(_ packet: String) {
        if let webSocket {
            webSocket.send(packet)
        } else {
            self.queue.append(packet)
            self.parkedGet?.flushQueue(self)
        }
    }

    func startFirehose(count: Int, size: Int) {
        if let webSocket {
            webSocket.startFirehose(count: count, size: size)
        } else {
            self.firehose = Firehose(count: count, size: size)
            self.parkedGet?.flushQueue(self)
        }
    }

    func startPing() {
        self.ping = self.server.loop.scheduleRepeatedTask(
            initialDelay: .milliseconds(Int64(BenchServer.pingInterval)), delay: .milliseconds(Int64(BenchServer.pingInterval))
        ) { [weak self] _ in self?.send("2") }
    }

    func close() {
        // A GET still parked ends with a noop, as engine.io's server does on close.
        if self.webSocket == nil, self.parkedGet != nil {
            self.queue.append("6")
            self.parkedGet?.flushQueue(self)
        }
        self.ping?.cancel()
        self.server.remove(self)
    }
}

/// The events of one `start`: `42["tick",{"n":i}]`, padded with `"p":"xx…"` to about `size` bytes.
struct Firehose {
    var next = 0
    let count: Int
    let padding: String

    init(count: Int, size: Int) {
        self.count = count
        self.padding = size > 40 ? String(repeating: "x", count: size - 30) : ""
    }

    var done: Bool { self.next >= self.count }

    mutating func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"42["tick",{"n":"#)
        buffer.writeString(String(self.next))
        if !self.padding.isEmpty {
            buffer.writeStaticString(#","p":""#)
            buffer.writeString(self.padding)
            buffer.writeStaticString("\"")
        }
        buffer.writeStaticString("}]")
        self.next += 1
    }
}

// MARK: - WebSocket

final class WebSocketEngine: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let session: Session
    private var context: ChannelHandlerContext?
    private var firehose: Firehose?
    private var pumping = false

    init(session: Session) { self.session = session }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.session.webSocket = self
        self.send(self.session.handshake)
        self.session.startPing()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.session.close()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            self.session.receive(text[...])
        case .connectionClose:
            context.close(promise: nil)
        case .ping:
            context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        default:
            break
        }
    }

    func send(_ packet: String) {
        guard let context else { return }
        let buffer = context.channel.allocator.buffer(string: packet)
        context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
    }

    func startFirehose(count: Int, size: Int) {
        self.firehose = Firehose(count: count, size: size)
        self.pump()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.pump() }
    }

    /// Writes firehose frames while the channel takes them, flushing every 64. A flush can
    /// report writability at once, re-entering here: the state lives in `firehose` throughout.
    private func pump() {
        guard let context, !self.pumping else { return }
        self.pumping = true
        defer { self.pumping = false }
        var written = 0
        repeat {
            while var firehose = self.firehose, context.channel.isWritable {
                var buffer = context.channel.allocator.buffer(capacity: 32 + firehose.padding.utf8.count)
                firehose.write(into: &buffer)
                self.firehose = firehose.done ? nil : firehose
                context.write(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
                written += 1
                if written % 64 == 0 { context.flush() }
            }
            // Unflushed frames count against writability: the flush may free it again (and the
            // event it raises is swallowed above), so look once more.
            context.flush()
        } while self.firehose != nil && context.channel.isWritable
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

// MARK: - Long-polling

/// Used on its channel's loop only (also by the upgrade's completion handler).
final class PollingHTTP: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: BenchServer
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// The session whose GET this connection holds.
    private weak var parkedFor: Session?
    /// Packets per GET response at most (and about 1 MB): python-engineio's client refuses a
    /// payload of more than 16 (`max_decode_packets`), so every client gets at most 16.
    static let batch = 16

    init(server: BenchServer) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        if let session = self.parkedFor, session.parkedGet === self { session.parkedGet = nil }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
        case .body(var chunk):
            self.body.writeBuffer(&chunk)
        case .end:
            guard let head = self.head else { return }
            self.handle(head)
        }
    }

    private func handle(_ head: HTTPRequestHead) {
        let query = URLComponents(string: head.uri)?.queryItems ?? []
        let sid = query.first { $0.name == "sid" }?.value
        guard query.first(where: { $0.name == "transport" })?.value == "polling" else {
            return self.respond(status: .badRequest, "transport")
        }
        guard let sid else {
            let session = self.server.makeSession()
            session.startPing()
            return self.respond(session.handshake)
        }
        guard let session = self.server.session(sid) else { return self.respond(status: .badRequest, "sid") }
        if head.method == .POST {
            let text = String(buffer: self.body)
            for packet in text.split(separator: "\u{1e}", omittingEmptySubsequences: true) { session.receive(packet) }
            self.respond("ok")
        } else {
            session.parkedGet = self
            self.parkedFor = session
            self.flushQueue(session)
        }
    }

    /// Answers the parked GET if the session has anything to say.
    func flushQueue(_ session: Session) {
        guard session.parkedGet === self, !session.queue.isEmpty || !(session.firehose?.done ?? true) else { return }
        var buffer = self.context?.channel.allocator.buffer(capacity: 1 << 16) ?? ByteBuffer()
        var packets = 0
        for packet in session.queue {
            if packets > 0 { buffer.writeStaticString("\u{1e}") }
            buffer.writeString(packet)
            packets += 1
        }
        session.queue.removeAll(keepingCapacity: true)
        if var firehose = session.firehose {
            while !firehose.done, packets < Self.batch, buffer.readableBytes < 1_000_000 {
                if packets > 0 { buffer.writeStaticString("\u{1e}") }
                firehose.write(into: &buffer)
                packets += 1
            }
            session.firehose = firehose.done ? nil : firehose
        }
        session.parkedGet = nil
        self.parkedFor = nil
        self.respond(buffer)
    }

    private func respond(status: HTTPResponseStatus = .ok, _ text: String) {
        self.respond(status: status, ByteBuffer(string: text))
    }

    private func respond(status: HTTPResponseStatus = .ok, _ body: ByteBuffer) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=UTF-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
