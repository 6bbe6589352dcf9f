import SioJSON

/// A response to one call: `{"jsonrpc":"2.0","id":…,"result"|"error":…}`.
public struct RPCResponse: Sendable, Hashable {
    /// The request's id, or `.null` when it could not be determined.
    public var id: JSON
    /// The result or the error.
    public var outcome: Result<JSON, RPCError>

    /// A response.
    public init(id: JSON, outcome: Result<JSON, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    /// The response object.
    public var json: JSON {
        var object: JSONObject = ["jsonrpc": "2.0", "id": self.id]
        switch self.outcome {
        case .success(let result): object["result"] = result
        case .failure(let error): object["error"] = error.json
        }
        return .object(object)
    }
}

// MARK: - Writing lines

extension RPCResponse {
    /// The response as one `\n`-terminated line.
    public var line: [UInt8] {
        var out: [UInt8] = []
        self.json.writeRPC(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Responses of a batch as one array line.
    public static func batchLine(_ responses: [RPCResponse]) -> [UInt8] {
        var out: [UInt8] = []
        JSON.array(responses.map(\.json)).writeRPC(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
