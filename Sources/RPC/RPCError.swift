import SioJSON

/// A JSON-RPC 2.0 error object (jsonrpc.org/specification § 5.1), thrown by handlers and
/// written as `{"code":…,"message":…,"data":{"type":"<symbolic>",…}}`.
///
/// `type` is a stable symbolic name clients can match on (`parse_error`, `invalid_params`,
/// `overloaded`, or an application's own such as `no_such_socket`); `data` holds further
/// members merged after `type`.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The integer code: the spec's reserved ones, −32000…−32099 for server errors, or an
    /// application's own outside −32768…−32000.
    public var code: Int
    /// A short, single-sentence description.
    public var message: String
    /// The symbolic name written as `data.type`.
    public var type: String
    /// Extra members of `data`, written after `type`.
    public var data: JSONObject
    /// For `invalid_params`: the parameter and what is wrong with it (a configuration file
    /// reports them in its own words).
    public var parameterError: ParamError?

    /// An error with any code; use this for application errors, e.g.
    /// `RPCError(code: -32001, type: "no_such_socket", message: "no socket named chat")`.
    public init(code: Int, type: String, message: String, data: JSONObject = [:]) {
        self.code = code
        self.type = type
        self.message = message
        self.data = data
    }

    /// `code message (type)`.
    public var description: String {
        "\(self.code) \(self.message) (\(self.type))"
    }
}

// MARK: - The standard errors (jsonrpc.org/specification § 5.1)

extension RPCError {
    /// −32700: the line is not valid JSON.
    public static func parseError(_ detail: String? = nil) -> RPCError {
        RPCError(code: -32700, type: "parse_error", message: detail.map { "Parse error: \($0)" } ?? "Parse error")
    }

    /// −32600: the JSON is not a valid Request object.
    public static func invalidRequest(_ detail: String? = nil) -> RPCError {
        RPCError(
            code: -32600,
            type: "invalid_request",
            message: detail.map { "Invalid Request: \($0)" } ?? "Invalid Request"
        )
    }

    /// −32601: no method of that name; `data.method` names it.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, type: "method_not_found", message: "Method not found", data: ["method": .string(method)])
    }

    /// −32602: a parameter is missing or has the wrong type; `data.param` names it.
    public static func invalidParams(_ parameter: String, _ reason: String) -> RPCError {
        RPCError(ParamError(parameter, reason))
    }

    /// −32602 from a ``ParamError``.
    public init(_ error: ParamError) {
        self.init(
            code: -32602,
            type: "invalid_params",
            message: "Invalid params: \(error.parameter) \(error.reason)",
            data: ["param": .string(error.parameter)]
        )
        self.parameterError = error
    }

    /// −32603: the handler failed in a way the client cannot fix.
    public static func internalError(_ detail: String? = nil) -> RPCError {
        RPCError(code: -32603, type: "internal_error", message: detail.map { "Internal error: \($0)" } ?? "Internal error")
    }

    /// −32000: a limit was reached (requests in flight, clients); retry later.
    public static func overloaded(_ detail: String) -> RPCError {
        RPCError(code: -32000, type: "overloaded", message: "Overloaded: \(detail)")
    }

    /// −32600 with type `line_too_long`: a line exceeded the limit; the connection closes.
    public static func lineTooLong(limit: Int) -> RPCError {
        RPCError(
            code: -32600,
            type: "line_too_long",
            message: "Invalid Request: line longer than \(limit) bytes",
            data: ["limit": .number(JSONNumber(limit))]
        )
    }

    /// The error object as JSON.
    public var json: JSON {
        var data: JSONObject = ["type": .string(self.type)]
        data.members.append(contentsOf: self.data.members.filter { $0.key != "type" })
        return .object([
            "code": .number(JSONNumber(self.code)),
            "message": .string(self.message),
            "data": .object(data),
        ])
    }
}
