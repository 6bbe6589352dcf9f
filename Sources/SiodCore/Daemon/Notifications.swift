import SioClient
import SioJSON
import SioProtocol

/// The RPC notifications for a socket's and a Manager's events (docs/rpc.md § Notifications):
/// one event in, a method and its params out, with no state of their own but the Manager's
/// reconnection attempt. The registry adds the socket's name and sends them to subscribers.
enum Notifications {
    /// `socket.connect`, `socket.connect_error`, `socket.disconnect`; `nil` for the events
    /// that are not notified this way (`socket.event` has its own fast path, ``argsText(_:)``).
    /// `active`: whether the socket will reconnect by itself.
    static func socket(_ event: SocketEvent, active: Bool) -> (method: String, params: JSONObject)? {
        switch event {
        case .connect(let id, let recovered):
            return ("socket.connect", ["id": .string(id), "recovered": .bool(recovered)])
        case .connectError(let error):
            var params: JSONObject = ["message": .string(error.description)]
            switch error {
            case .refused(_, let data): params["data"] = data ?? .null
            case .transport(let transport): params["data"] = transport.description.map { .string($0) } ?? .null
            case .invalidReply: params["data"] = .null
            }
            params["active"] = .bool(active)
            return ("socket.connect_error", params)
        case .disconnect(let reason, let description):
            var params: JSONObject = ["reason": .string(reason.rawValue)]
            if let description { params["details"] = .string(description) }
            params["active"] = .bool(active)
            return ("socket.disconnect", params)
        case .event, .eventsDropped, .ackResult, .authRequested, .sent:
            return nil
        }
    }

    /// `manager.*` and `engine.*`; `engineOnly` ones go to subscribers that asked for
    /// `engine: true`. `attempt` follows the reconnection loop (reported with its errors).
    static func manager(_ event: ManagerEvent, attempt: inout Int) -> (method: String, params: JSONObject, engineOnly: Bool)? {
        switch event {
        case .reconnectAttempt(let n):
            attempt = n
            return ("manager.reconnect_attempt", ["attempt": .number(JSONNumber(n))], false)
        case .reconnect(let n):
            attempt = 0
            return ("manager.reconnect", ["attempt": .number(JSONNumber(n))], false)
        case .reconnectError(let error):
            return ("manager.reconnect_error", ["attempt": .number(JSONNumber(attempt)), "message": .string(error.summary)], false)
        case .reconnectFailed:
            return ("manager.reconnect_failed", ["attempt": .number(JSONNumber(attempt))], false)
        case .upgrade(let transport):
            return ("manager.upgrade", ["transport": .string(transport.rawValue)], true)
        case .enginePacket(let direction, let packet):
            var params = self.fields(of: packet)
            // A CONNECT carries the auth payload and the session ID: not for subscribers.
            if direction == .sent, case .message(.text(let text)) = packet, let shown = SocketPacket.redactingConnectAuth(text) {
                params["data"] = .string(shown)
            }
            return (direction == .received ? "engine.packet" : "engine.packetCreate", params, true)
        case .close(let reason, let description):
            var params: JSONObject = ["reason": .string(reason.rawValue)]
            if let description { params["description"] = .string(description) }
            return ("engine.close", params, true)
        case .drain:
            return ("engine.drain", [:], true)
        case .ping:
            return ("manager.ping", [:], true)
        case .error(let error):
            return ("manager.error", ["message": .string(error.summary)], true)
        case .open, .packet:
            return nil
        }
    }

    /// `{type, data?}` of an Engine.IO packet, as engine.io-client names the types.
    static func fields(of packet: EnginePacket) -> JSONObject {
        switch packet {
        case .open(let json): ["type": "open", "data": .string(json)]
        case .close: ["type": "close"]
        case .ping(let data): ["type": "ping", "data": .string(data)]
        case .pong(let data): ["type": "pong", "data": .string(data)]
        case .message(.text(let text)): ["type": "message", "data": .string(text)]
        case .message(.binary(let bytes)): ["type": "message", "data": .binary(bytes)]
        case .upgrade: ["type": "upgrade"]
        case .noop: ["type": "noop"]
        }
    }

    /// Event arguments in RPC form: the server's text as is, unless it carries binary
    /// attachments, which become `{"$binary":…}` values.
    static func argsText(_ arguments: EventArguments) -> [UInt8] {
        guard !arguments.attachments.isEmpty else { return arguments.text.bytes }
        guard let values = try? arguments.values() else { return Array("[]".utf8) }
        var out: [UInt8] = []
        JSON.array(values).writeRPC(to: &out)
        return out
    }

    /// About the size of ``argsText(_:)``, from sizes alone: the text, plus each attachment
    /// as standard base64 in `{"$binary":""}`.
    static func argsTextSize(_ arguments: EventArguments) -> Int {
        arguments.attachments.reduce(arguments.text.bytes.count) { $0 + ($1.count + 2) / 3 * 4 + 14 }
    }
}
