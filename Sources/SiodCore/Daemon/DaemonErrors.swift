import RPC
import SioClient
import SioJSON
import SioProtocol

/// siod's application errors (docs/rpc.md § Errors). Codes are stable, and so is each
/// `data.type`, which is what a client should match on.
extension RPCError {
    /// −32001: no socket of that name is open.
    static func noSuchSocket(_ name: String) -> RPCError {
        RPCError(code: -32001, type: "no_such_socket", message: "No socket named \(name)", data: ["socket": .string(name)])
    }

    /// −32002: a socket of that name is open with other options.
    static func socketExists(_ name: String, _ detail: String) -> RPCError {
        RPCError(
            code: -32002, type: "socket_exists", message: "A socket named \(name) exists \(detail)",
            data: ["socket": .string(name)]
        )
    }

    /// −32003: the call needs a connected socket (`socket.ack`).
    static func notConnected(_ name: String) -> RPCError {
        RPCError(code: -32003, type: "not_connected", message: "Socket \(name) is not connected", data: ["socket": .string(name)])
    }

    /// −32004: the server did not acknowledge within the timeout.
    static func ackTimeout(_ name: String, timeout: Int64?) -> RPCError {
        var data: JSONObject = ["socket": .string(name)]
        if let timeout { data["timeout"] = .number(JSONNumber(Int(timeout))) }
        return RPCError(code: -32004, type: "ack_timeout", message: "Operation has timed out", data: data)
    }

    /// −32005: the socket disconnected (or was closed) after sending; the ack will not come.
    static func disconnected(_ name: String, _ why: String) -> RPCError {
        RPCError(code: -32005, type: "disconnected", message: "Socket \(name): \(why)", data: ["socket": .string(name)])
    }

    /// −32006: the event name is reserved by Socket.IO.
    static func reservedEvent(_ event: String) -> RPCError {
        RPCError(
            code: -32006, type: "reserved_event", message: "\"\(event)\" is a reserved event name",
            data: ["event": .string(event)]
        )
    }

    /// −32011: the client may not do this (its uid is not allowed to).
    static func forbidden(_ what: String) -> RPCError {
        RPCError(code: -32011, type: "forbidden", message: "Forbidden: \(what)")
    }

    /// −32007: siod is shutting down.
    static let shuttingDown = RPCError(code: -32007, type: "shutting_down", message: "siod is shutting down")

    /// −32008: no subscription of that id on this connection.
    static func noSuchSubscription(_ id: Int) -> RPCError {
        RPCError(
            code: -32008, type: "no_such_subscription", message: "No subscription \(id) on this connection",
            data: ["subscription": .number(JSONNumber(id))]
        )
    }

    /// −32009: the configuration file is invalid; nothing changed.
    static func invalidConfig(_ error: ConfigError) -> RPCError {
        RPCError(code: -32009, type: "invalid_config", message: "Invalid configuration: \(error)", data: ["path": .string(error.path)])
    }

    /// −32010: the state directory could not be written.
    static func stateError(_ error: StateError) -> RPCError {
        RPCError(code: -32010, type: "state_error", message: "Cannot save state: \(error)")
    }

    /// −32010 too: the database (`siod.db`) could not be written; nothing was kept.
    static func databaseError(_ error: any Error) -> RPCError {
        RPCError(code: -32010, type: "state_error", message: "Cannot save state: \(error)")
    }

    /// −32012: no consumer of that name exists (it is made by `events.subscribe`).
    static func noSuchConsumer(_ name: String) -> RPCError {
        RPCError(code: -32012, type: "no_such_consumer", message: "No consumer named \(name)", data: ["consumer": .string(name)])
    }

    /// The error for a failed emit or ack of socket `name`.
    init(_ error: ClientError, socket name: String, timeout: Int64?) {
        if let ack = error.ackError {
            self = ack == .timedOut ? .ackTimeout(name, timeout: timeout) : .disconnected(name, ack.description)
        } else if let emit = error.emitError {
            if let event = emit.reservedEventName {
                self = .reservedEvent(event)
            } else if emit == .notConnected {
                self = .notConnected(name)
            } else if let limit = emit.sendBufferLimit {
                self = .overloaded("the send buffer of \(name) holds \(limit) packets")
            } else {
                // No socket for the namespace: it was closed meanwhile.
                self = .disconnected(name, "socket has been closed")
            }
        } else if error == .notRunning || error == .alreadyRunning {
            self = .disconnected(name, "socket has been closed")
        } else if let why = error.invalidArgumentsReason {
            self = .internalError("the server's ack is not valid JSON: \(why)")
        } else {
            self = .internalError(error.description)
        }
    }
}
