import HTTPTypes
import Logging
import NIOCore
import NIOSSL
import SioProtocol
import WSClient
import WSCompression
import WSCore

// WebSocket (engine.io-protocol § WebSocket) on hummingbird's swift-websocket: one child task
// per connection, reading frames into the pump's inputs and writing what the pump sends.
extension ManagerDriver {
    func openWebSocket(_ id: ConnectionID, sid: String?, group: inout DiscardingTaskGroup) {
        let options = self.manager.options
        let url = self.manager.engineURL.string(transport: .websocket, timestamp: self.timestamp(), sid: sid)
        var headers = HTTPFields()
        for (name, value) in self.requestHeaders(now: self.now) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: options.maxWebSocketMessageSize,
            additionalHeaders: headers,
            // Node's ws default `{threshold: 1024}`: smaller messages go uncompressed. The per-emit
            // `compress: false` flag cannot be honoured over WebSocket: swift-websocket applies
            // the extension to every frame at or above the threshold.
            extensions: options.perMessageDeflate
                ? [.perMessageDeflate(maxDecompressedFrameSize: options.maxWebSocketMessageSize, minFrameSizeToCompress: 1024)]
                : []
        )
        let (outbound, outboundContinuation) = AsyncStream.makeStream(of: SioProtocol.WebSocketMessage.self)
        self.webSockets[id] = outboundContinuation
        self.liveWebSockets.insert(id)
        let input = self.manager.input
        // swift-websocket logs frame bytes at trace level: a CONNECT's auth payload must not
        // reach a log, so it gets at most debug.
        let logger = {
            var logger = self.manager.logger
            logger.logLevel = max(logger.logLevel, .debug)
            return logger
        }()
        let eventLoopGroup = self.manager.eventLoopGroup
        let maxSize = options.maxWebSocketMessageSize
        let proxy = self.proxy
        let tls = options.tls
        group.addTask {
            // swift-websocket cannot abandon a connection whose upgrade the server never
            // answers (a stopped process still accepts TCP), so the connection runs in a task
            // of its own and this child, which a shutdown waits for, stops waiting when it is
            // cancelled. The abandoned connection ends once the server answers or drops it: its
            // outbound stream is finished by then, so it closes at once.
            let (ended, end) = AsyncStream.makeStream(of: Never.self)
            let connection = Task {
                defer { end.finish() }
                await ManagerDriver.runWebSocket(
                    id, url: url, configuration: configuration, tls: tls, proxy: proxy, outbound: outbound,
                    input: input, maxSize: maxSize, eventLoopGroup: eventLoopGroup, logger: logger
                )
            }
            await withTaskCancellationHandler {
                for await _ in ended {}
            } onCancel: {
                connection.cancel()
            }
        }
    }

    /// One WebSocket connection, from the upgrade request to the close; everything it learns
    /// goes to the pump as inputs.
    private static func runWebSocket(
        _ id: ConnectionID, url: String, configuration: WebSocketClientConfiguration, tls: TLSConfiguration?,
        proxy: ManagerOptions.Proxy?, outbound: AsyncStream<SioProtocol.WebSocketMessage>, input: ManagerInbox,
        maxSize: Int, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) async {
        let handler: WebSocketDataHandler<WebSocketClient.Context> = { inbound, writer, _ in
            input.yield(.webSocketOpened(id))
            try await withThrowingTaskGroup(of: Void.self) { connection in
                connection.addTask {
                    for try await message in inbound.messages(maxSize: maxSize) {
                        switch message {
                        case .text(let text): input.yield(.webSocketReceived(id, .text(text)))
                        case .binary(let buffer): input.yield(.webSocketReceived(id, .binary(Array(buffer.readableBytesView))))
                        }
                    }
                }
                connection.addTask {
                    for await message in outbound {
                        switch message {
                        case .text(let text): try await writer.write(.text(text))
                        case .binary(let bytes): try await writer.write(.binary(ByteBuffer(bytes: bytes)))
                        }
                    }
                    try await writer.close(.normalClosure, reason: nil)
                }
                try await connection.next()
                connection.cancelAll()
            }
        }
        do {
            let closeFrame: WebSocketCloseFrame?
            if let proxy {
                closeFrame = try await WebSocketClient.connect(
                    url: url, configuration: configuration, tlsConfiguration: tls,
                    proxySettings: WebSocketProxySettings(host: proxy.host, port: proxy.port, type: .http()),
                    eventLoopGroup: eventLoopGroup, logger: logger, handler: handler
                )
            } else {
                closeFrame = try await WebSocketClient.connect(
                    url: url, configuration: configuration, tlsConfiguration: tls,
                    eventLoopGroup: eventLoopGroup, logger: logger, handler: handler
                )
            }
            input.yield(.webSocketClosed(id, description: closeFrame.map { "websocket connection closed (\($0.closeCode))" }))
        } catch {
            input.yield(.webSocketFailed(id, TransportError(message: "websocket error", description: "\(error)")))
        }
    }
}
