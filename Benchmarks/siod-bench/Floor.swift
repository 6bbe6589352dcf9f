// What the transport allows, to put siod's figures in proportion: the floor of an ack round
// trip (a relay that does no work between a Unix socket and the server) and the raw limit of
// inbound events (a NIO reader that only counts WebSocket frames). Both speak just enough
// Engine.IO/Socket.IO to the benchmark server: pre-formatted packets, nothing parsed.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
#if canImport(Glibc)
import Glibc
#endif

/// A minimal Socket.IO client on one WebSocket: answers pings, and hands every other text
/// frame to `onFrame` (on its event loop).
final class RawSocketIO: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var context: ChannelHandlerContext?
    private let connected: EventLoopPromise<Void>
    var onFrame: (ByteBuffer) -> Void = { _ in }

    private init(connected: EventLoopPromise<Void>) { self.connected = connected }

    /// Connects to the benchmark server at `port` and joins namespace `/`.
    static func connect(port: Int, on loop: any EventLoop) throws -> RawSocketIO {
        let handler = RawSocketIO(connected: loop.makePromise())
        let upgrade = loop.makePromise(of: Bool.self)
        _ = try ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: 1 << 24) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(handler)
                            return true
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/socket.io/?EIO=4&transport=websocket", headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(false) }
                    )
                    // The server's handshake may arrive in the same segment as its 101.
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    upgrade.completeWith(try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .wait()
        let upgraded = try upgrade.futureResult.wait()
        guard upgraded else { throw BenchError("the raw client was not upgraded") }
        let late = loop.scheduleTask(in: .seconds(10)) { handler.connected.fail(BenchError("the raw client got no CONNECT reply")) }
        try handler.connected.futureResult.wait()
        late.cancel()
        return handler
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        let data = frame.unmaskedData
        switch data.getInteger(at: data.readerIndex, as: UInt8.self) {
        case UInt8(ascii: "0"):
            self.send("40")
        case UInt8(ascii: "2"):
            self.send("3")
        case UInt8(ascii: "4") where data.getInteger(at: data.readerIndex + 1, as: UInt8.self) == UInt8(ascii: "0"):
            self.connected.succeed(())
        default:
            self.onFrame(data)
        }
    }

    /// Sends one text frame (masked, as a client must) and flushes it.
    func send(_ text: String) {
        guard let context = self.context else { return }
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: text))
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
    }
}

/// The raw limit: `n` ticks of the firehose read and counted by `RawSocketIO`; events/s.
func rawInbound(port: Int, n: Int) throws -> Sample {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let loop = group.next()
    let client = try RawSocketIO.connect(port: port, on: loop)
    let done = loop.makePromise(of: Void.self)
    let tick = Array(#"42["tick""#.utf8)
    final class Counter: @unchecked Sendable { var seen = 0 }
    let counter = Counter()
    let start = now()
    try loop.submit {
        client.onFrame = { data in
            guard data.readableBytesView.starts(with: tick) else { return }
            counter.seen += 1
            if counter.seen == n { done.succeed(()) }
        }
        client.send(#"42["start",{"n":\#(n),"size":0}]"#)
    }.wait()
    let late = loop.scheduleTask(in: .seconds(60)) { done.fail(BenchError("raw: \(counter.seen) of \(n) ticks in 60 s")) }
    try done.futureResult.wait()
    late.cancel()
    let elapsed = now() - start
    return Sample(rate: Double(n) / elapsed, clientCPU: 0, serverCPU: 0, seconds: elapsed)
}

/// `siod-bench relay --socket PATH --port N`: the floor of an ack round trip. Each line a
/// client writes on the Unix socket becomes `42<k>["echo",k]` to the server; the server's
/// `43<k>[…]` becomes the line `{"id":k}` back. One event loop, nothing parsed: what is left
/// of siod's round trip once its own work is taken away.
func runRelay(socket path: String, port: Int) throws -> Never {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let upstream = try RawSocketIO.connect(port: port, on: loop)
    let relay = Relay(upstream: upstream)
    try loop.submit { upstream.onFrame = relay.answered }.wait()
    unlink(path)
    _ = try ServerBootstrap(group: loop)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RelayClient(relay: relay)) }
        }
        .bind(unixDomainSocketPath: path)
        .wait()
    say("READY")
    while true { pause() }
}

/// The relay's state, on its one event loop.
final class Relay: @unchecked Sendable {
    let upstream: RawSocketIO
    private var next = 0
    private var waiting: [Int: RelayClient] = [:]

    init(upstream: RawSocketIO) { self.upstream = upstream }

    func request(from client: RelayClient) {
        self.next += 1
        self.waiting[self.next] = client
        self.upstream.send(#"42\#(self.next)["echo",\#(self.next)]"#)
    }

    /// `43<k>[…]`: the ack of request `k`.
    func answered(_ data: ByteBuffer) {
        let bytes = data.readableBytesView
        guard bytes.starts(with: Array("43".utf8)) else { return }
        var id = 0
        for byte in bytes.dropFirst(2) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            id = id * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self.waiting.removeValue(forKey: id)?.answer(id)
    }
}

/// One Unix-socket client of the relay: a request per line.
final class RelayClient: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let relay: Relay
    private var context: ChannelHandlerContext?

    init(relay: Relay) { self.relay = relay }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        for byte in buffer.readableBytesView where byte == UInt8(ascii: "\n") { self.relay.request(from: self) }
    }

    func answer(_ id: Int) {
        guard let context = self.context else { return }
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: #"{"id":\#(id)}"# + "\n")), promise: nil)
    }
}

/// The floor: `n` sequential round trips through a relay process.
func floorRoundTrips(binary: String, port: Int, n: Int) throws -> Sample {
    let path = "/tmp/siod-bench-relay-\(getpid()).sock"
    let child = try Child(binary, ["relay", "--socket", path, "--port", String(port)], keepStdinOpen: true)
    defer {
        child.stop()
        unlink(path)
    }
    guard try child.readLine() == "READY" else { throw BenchError("the relay did not start") }
    let connection = try LineConnection(path: path)
    var latencies = [Double](repeating: 0, count: n)
    let cpuBefore = cpuSeconds(child.pid)
    let start = now()
    for i in 0..<n {
        let sent = now()
        connection.send("{}\n")
        _ = try connection.readLine()
        latencies[i] = now() - sent
    }
    let elapsed = now() - start
    var sample = Sample(rate: Double(n) / elapsed, clientCPU: cpuSeconds(child.pid) - cpuBefore, serverCPU: 0, seconds: elapsed)
    sample.latencies = latencies.sorted()
    return sample
}
