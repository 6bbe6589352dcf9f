import Foundation
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import SioProtocol

// WebSocket (engine.io-protocol § WebSocket): one channel per connection on the Manager's
// event loop, set up by SwiftNIO's HTTP client upgrader, framed by its WebSocket codec, and
// handled by a `WebSocketTransport` that calls the driver synchronously.
extension ManagerDriver {
    func openWebSocket(_ id: ConnectionID, sid: String?) {
        let target = self.engineURL.requestTarget(transport: .websocket, timestamp: self.timestamp(), sid: sid)
        var headers = HTTPHeaders(self.requestHeaders(now: self.now))
        headers.replaceOrAdd(name: "Host", value: self.engineURL.authority)
        if self.options.perMessageDeflate {
            headers.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflate.offer)
        }
        let transport = WebSocketTransport(
            id: id, driver: self, maxMessageSize: self.options.maxWebSocketMessageSize,
            masks: MaskKeys.forEventLoop(self.eventLoop)
        )
        self.webSockets[id] = transport
        let tls: NIOSSLContext?
        do {
            tls = self.engineURL.secure ? try NIOSSLContext(configuration: self.options.tls ?? .makeClientConfiguration()) : nil
        } catch {
            self.eventLoop.execute {
                self.handle(.webSocketFailed(id, TransportError(message: "websocket error", description: "\(error)")))
            }
            return
        }
        transport.connect(
            host: self.engineURL.host, port: self.engineURL.port ?? (self.engineURL.secure ? 443 : 80),
            requestURI: target, headers: headers, tls: tls, proxy: self.proxy
        )
    }
}

/// One WebSocket connection of a Manager, confined to its event loop: it connects (through a
/// CONNECT proxy and TLS when asked), upgrades, then turns frames into the driver's inputs
/// and the driver's messages into masked frames, written without a flush each and flushed
/// once per turn of the loop.
final class WebSocketTransport: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let id: ConnectionID
    /// Nil once the transport's end was reported.
    private var driver: ManagerDriver?
    private let maxMessageSize: Int
    private let masks: MaskKeys
    private var state = State.connecting
    private var context: ChannelHandlerContext?
    private var deflate: PerMessageDeflate?
    private var fragments: Fragments?
    private var flushScheduled = false
    /// Reported writes not yet handed to the kernel (see ``send(_:compress:)``).
    private var writesAwaitingDrain = 0
    private var receivedClose: WebSocketErrorCode?

    private enum State {
        /// TCP, proxy, TLS or upgrade under way.
        case connecting
        /// The driver closed us before the connection was up.
        case abandoned
        case open
        /// We sent a close frame and wait for the server's, or for the deadline.
        case closing
        case closed
    }

    /// A message arriving in several frames.
    private struct Fragments {
        var opcode: WebSocketOpcode
        var compressed: Bool
        var data: ByteBuffer
    }

    private enum Upgrade: Sendable {
        case upgraded
        case refused
    }

    init(id: ConnectionID, driver: ManagerDriver, maxMessageSize: Int, masks: MaskKeys) {
        self.id = id
        self.driver = driver
        self.maxMessageSize = maxMessageSize
        self.masks = masks
    }

    // MARK: - Connecting

    func connect(host: String, port: Int, requestURI: String, headers: HTTPHeaders, tls: NIOSSLContext?, proxy: ManagerOptions.Proxy?) {
        guard let driver = self.driver else { return }
        let eventLoop = driver.eventLoop
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: requestURI, headers: headers)
        let connected = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // The channel keeps its receive buffer between reads: start it small (an idle
            // socket reads a ping every 25 s), it grows under a firehose.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 1 << 16))
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                self.channel = channel
                return channel.eventLoop.makeCompletedFuture {
                    if let proxy {
                        try self.addProxy(to: channel, host: host, port: port, head: head, tls: tls, proxy: proxy)
                    } else {
                        try self.addUpgrade(to: channel, host: host, head: head, tls: tls)
                    }
                }
            }
            .connect(host: proxy?.host ?? host, port: proxy?.port ?? port)
        connected.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                if case .abandoned = self.state { channel.close(promise: nil) }
            case .failure(let error):
                self.failed("\(error)")
            }
        }
    }

    /// The upgrade's outcome arrives here, on the loop.
    private var upgrade: EventLoopPromise<Upgrade>?

    private func addUpgrade(to channel: any Channel, host: String, head: HTTPRequestHead, tls: NIOSSLContext?) throws {
        let maxMessageSize = self.maxMessageSize
        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
            maxFrameSize: maxMessageSize,
            upgradePipelineHandler: { channel, response in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(self)
                    self.negotiated(response)
                    return .upgraded
                }
            }
        )
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.refused) }
        )
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        pipeline.leftOverBytesStrategy = .forwardBytes
        if let tls {
            let serverHostname = host.isIPAddress ? nil : host
            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
        }
        let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
        upgraded.assumeIsolated().whenComplete { result in
            switch result {
            case .success(.upgraded):
                self.opened()
            case .success(.refused):
                self.failed("the server refused the upgrade")
                channel.close(promise: nil)
            case .failure(let error):
                self.failed("\(error)")
                channel.close(promise: nil)
            }
        }
        // A connection that ends before the upgrade completes ends the transport too.
        channel.closeFuture.assumeIsolated().whenComplete { _ in self.closed() }
    }

    private func addProxy(to channel: any Channel, host: String, port: Int, head: HTTPRequestHead, tls: NIOSSLContext?, proxy: ManagerOptions.Proxy) throws {
        let connected = channel.eventLoop.makePromise(of: Void.self)
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let handler = NIOHTTP1ProxyConnectHandler(
            targetHost: host, targetPort: port, headers: [:], deadline: .now() + .seconds(10), promise: connected
        )
        try channel.pipeline.syncOperations.addHandlers([encoder, decoder, handler])
        connected.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                // The HTTP codec of the CONNECT leaves (the decoder only once it has finished
                // the read it is in), then the WebSocket upgrade runs through the tunnel.
                channel.pipeline.removeHandler(encoder).flatMap {
                    channel.pipeline.removeHandler(decoder)
                }.assumeIsolated().whenComplete { result in
                    do {
                        try result.get()
                        try self.addUpgrade(to: channel, host: host, head: head, tls: tls)
                    } catch {
                        self.failed("\(error)")
                        channel.close(promise: nil)
                    }
                }
            case .failure(let error):
                self.failed("proxy: \(error)")
                channel.close(promise: nil)
            }
        }
    }

    private func negotiated(_ response: HTTPResponseHead) {
        guard let offer = response.headers.first(name: "Sec-WebSocket-Extensions") else { return }
        self.deflate = try? PerMessageDeflate(response: offer)
    }

    // MARK: - Driver side

    /// Sends `messages` in order; one flush for everything sent in this turn of the loop.
    func send(_ messages: [WebSocketMessage], compress: Bool) {
        guard case .open = self.state, let context = self.context else { return }
        // `drain` once these frames have left, only when asked: a promise per write costs.
        let reportsDrain = self.driver?.reportsEnginePackets.withLockedValue { $0 } == true
        for (index, message) in messages.enumerated() {
            var frame: WebSocketFrame
            switch message {
            case .text(let text):
                frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
            case .binary(let bytes):
                frame = WebSocketFrame(fin: true, opcode: .binary, data: context.channel.allocator.buffer(bytes: bytes))
            }
            if compress, let deflate = self.deflate, frame.data.readableBytes >= PerMessageDeflate.threshold {
                do {
                    frame.data = try deflate.compress(frame.data, allocator: context.channel.allocator)
                    frame.rsv1 = true
                } catch {
                    self.failed("permessage-deflate: \(error)")
                    context.close(promise: nil)
                    return
                }
            }
            frame.maskKey = self.masks.next()
            guard reportsDrain, index == messages.count - 1 else {
                context.write(self.wrapOutboundOut(frame), promise: nil)
                continue
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            self.writesAwaitingDrain += 1
            written.futureResult.assumeIsolated().whenComplete { result in
                self.writesAwaitingDrain -= 1
                if case .success = result, self.writesAwaitingDrain == 0 { self.driver?.reportDrain() }
            }
            context.write(self.wrapOutboundOut(frame), promise: written)
        }
        self.flushSoon()
    }

    /// Closes gracefully: a close frame, then the channel once the server answers (or after a
    /// second). Before the upgrade, the connection is simply dropped.
    func close() {
        switch self.state {
        case .connecting:
            self.state = .abandoned
            self.closeChannel()
        case .open:
            guard let context = self.context else { return }
            self.state = .closing
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: self.masks.next(), data: data)), promise: nil)
            let channel = context.channel
            channel.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        case .abandoned, .closing, .closed:
            break
        }
    }

    /// Closes at once, reporting nothing more.
    func abort() {
        self.driver = nil
        self.state = .abandoned
        self.closeChannel()
        self.context?.close(promise: nil)
    }

    /// The connection's channel, from the moment it exists (before the upgrade, when
    /// `context` is still nil); a connection abandoned before that is closed in ``connect``.
    private var channel: (any Channel)?

    private func closeChannel() {
        self.channel?.close(promise: nil)
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            guard self.fragments == nil else { return self.protocolError(context, "a new message inside a fragmented one") }
            if frame.fin {
                self.received(opcode: frame.opcode, compressed: frame.rsv1, data: frame.unmaskedData, context: context)
            } else {
                self.fragments = Fragments(opcode: frame.opcode, compressed: frame.rsv1, data: frame.unmaskedData)
            }
        case .continuation:
            guard var fragments = self.fragments else { return self.protocolError(context, "a continuation without a message") }
            self.fragments = nil
            var data = frame.unmaskedData
            guard fragments.data.readableBytes + data.readableBytes <= self.maxMessageSize else {
                return self.protocolError(context, "a message over \(self.maxMessageSize) bytes")
            }
            fragments.data.writeBuffer(&data)
            if frame.fin {
                self.received(opcode: fragments.opcode, compressed: fragments.compressed, data: fragments.data, context: context)
            } else {
                self.fragments = fragments
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: self.masks.next(), data: frame.unmaskedData)
            context.write(self.wrapOutboundOut(pong), promise: nil)
            self.flushSoon()
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            self.receivedClose = data.readWebSocketErrorCode() ?? .unknown(1005)
            if case .open = self.state {
                // Echo the close (RFC 6455 § 5.5.1), then end the connection.
                var reply = context.channel.allocator.buffer(capacity: 2)
                reply.write(webSocketErrorCode: self.receivedClose ?? .normalClosure)
                self.state = .closing
                context.writeAndFlush(self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: self.masks.next(), data: reply)), promise: nil)
            }
            context.close(promise: nil)
        default:
            self.protocolError(context, "an unknown opcode")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After a close frame (ours or the server's), a TLS connection ending uncleanly is
        // still a close, not a failure.
        if case .open = self.state { self.failed("\(error)") }
        context.close(promise: nil)
    }

    private func received(opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer, context: ChannelHandlerContext) {
        var data = data
        if compressed {
            guard let deflate = self.deflate else { return self.protocolError(context, "a compressed frame without permessage-deflate") }
            do {
                data = try deflate.decompress(data, maxSize: self.maxMessageSize, allocator: context.channel.allocator)
            } catch {
                return self.protocolError(context, "permessage-deflate: \(error)")
            }
        }
        guard case .open = self.state, let driver = self.driver else { return }
        if opcode == .text {
            driver.handle(.webSocketReceived(self.id, .text(String(buffer: data))))
        } else {
            driver.handle(.webSocketReceived(self.id, .binary(Array(data.readableBytesView))))
        }
    }

    private func protocolError(_ context: ChannelHandlerContext, _ description: String) {
        self.failed(description)
        context.close(promise: nil)
    }

    private func flushSoon() {
        guard !self.flushScheduled, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    // MARK: - Reports to the driver

    private func opened() {
        guard case .connecting = self.state else {
            self.closeChannel()
            return
        }
        self.state = .open
        self.driver?.handle(.webSocketOpened(self.id))
    }

    private func failed(_ description: String) {
        self.state = .closed
        guard let driver = self.driver else { return }
        self.driver = nil
        driver.handle(.webSocketFailed(self.id, TransportError(message: "websocket error", description: description)))
    }

    private func closed() {
        if case .connecting = self.state { return self.failed("the connection closed before the upgrade") }
        self.state = .closed
        guard let driver = self.driver else { return }
        self.driver = nil
        driver.handle(.webSocketClosed(self.id, description: self.receivedClose.map { "websocket connection closed (\($0))" }))
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 address (TLS sends no SNI for those, RFC 6066 § 3).
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: 0)) != nil
    }
}
