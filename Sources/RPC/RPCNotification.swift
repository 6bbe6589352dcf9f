import SioJSON

/// A server-to-client notification: `{"jsonrpc":"2.0","method":…,"params":…}`, no `id`
/// (jsonrpc.org/specification § 4.1; servers may send their own, as LSP and MCP do).
public struct RPCNotification: Sendable, Hashable {
    /// The notification's method, e.g. `socket.event`.
    public var method: String
    /// Its params, if any.
    public var params: JSON?

    /// A notification.
    public init(method: String, params: JSON? = nil) {
        self.method = method
        self.params = params
    }

    /// The notification as one `\n`-terminated line.
    public var line: [UInt8] {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(self.method)]
        if let params = self.params { object["params"] = params }
        var out: [UInt8] = []
        JSON.object(object).write(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
