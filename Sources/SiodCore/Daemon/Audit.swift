import Logging
import RPC
import SioJSON

/// The audit trail: every call that changes something is logged with who made it
/// (`SIOD_PEER_UID`, `SIOD_PEER_PID` in the journal), the method and the socket it names;
/// never its other arguments (auth payloads, tokens, event data).
enum Audit {
    /// Logged at info: they change what siod holds.
    static let changes: Set<String> = [
        "socket.open", "socket.close", "socket.connect", "socket.disconnect", "socket.setAuth", "socket.setSession",
        "socket.ack", "daemon.reload",
        // Who watches which sockets: what a subscription covers is theirs to read.
        "events.subscribe", "events.unsubscribe",
    ]
    /// Logged at debug: too frequent for info.
    static let frequent: Set<String> = ["socket.emit"]

    /// `methods` with the audited ones logging each call before it runs.
    static func wrap(_ methods: [String: RPCMethod], logger: Logger) -> [String: RPCMethod] {
        methods.reduce(into: [:]) { wrapped, entry in
            let (name, method) = entry
            let level: Logger.Level
            if Self.changes.contains(name) {
                level = .info
            } else if Self.frequent.contains(name) {
                level = .debug
            } else {
                wrapped[name] = method
                return
            }
            @Sendable func log(_ params: JSON?, _ context: RPCRequestContext) {
                logger.log(level: level, "rpc call", metadata: Self.metadata(name, params, context))
            }
            switch method {
            case .immediate(let body):
                wrapped[name] = .immediate { params, context, reply in
                    log(params, context)
                    body(params, context, reply)
                }
            case .task(let body):
                wrapped[name] = .task { params, context throws(RPCError) in
                    log(params, context)
                    return try await body(params, context)
                }
            }
        }
    }

    static func metadata(_ method: String, _ params: JSON?, _ context: RPCRequestContext) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["rpc.method": "\(method)", "rpc.client": "\(context.connectionID)"]
        if let peer = context.peer {
            metadata["peer.uid"] = "\(peer.uid)"
            metadata["peer.pid"] = "\(peer.pid)"
        }
        if let socket = params?.objectValue?["socket"]?.stringValue { metadata["socket"] = "\(socket)" }
        return metadata
    }
}
