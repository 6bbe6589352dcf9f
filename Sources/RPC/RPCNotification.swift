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
        JSON.object(object).writeRPC(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// The line of a notification whose params object is already JSON text (`paramsText` must
    /// be one valid JSON object): the daemon's hot path, which forwards event arguments as the
    /// server wrote them instead of parsing and re-serializing them.
    public static func line(method: String, paramsText: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(paramsText.count + method.utf8.count + 40)
        out += #"{"jsonrpc":"2.0","method":"#.utf8
        JSON.string(method).write(to: &out)
        out += #","params":"#.utf8
        out += paramsText
        out += "}\n".utf8
        return out
    }
}
