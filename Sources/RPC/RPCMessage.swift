import SioJSON

/// One call of a request line: a Request (with `id`) or a Notification (without).
public struct RPCCall: Sendable, Hashable {
    /// The id to echo (`.number`, `.string` or `.null`); `nil` for a notification.
    public var id: JSON?
    /// The method name.
    public var method: String
    /// `params`, an array or object, when present.
    public var params: JSON?

    /// Whether this is a notification (no `id`): it gets no response, not even an error.
    public var isNotification: Bool { self.id == nil }
}

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

/// One element of a batch, or the validation of a single request.
public enum RPCBatchItem: Sendable, Hashable {
    /// A valid call to run.
    case call(RPCCall)
    /// An invalid element, answered by this response without running anything.
    case answered(RPCResponse)
}

/// What one request line holds (jsonrpc.org/specification § 4, § 6).
public enum RPCMessage: Sendable, Hashable {
    /// A single Request or Notification.
    case single(RPCCall)
    /// A batch: each element a call or the error answering it (an invalid element), in order.
    case batch([RPCBatchItem])
    /// A line that gets exactly this one response and nothing else: a parse error, an
    /// invalid single request, or an empty batch.
    case invalid(RPCResponse)

    /// Decodes one line. `{"$binary":"…"}` in params becomes `.binary`.
    public init(line: some Collection<UInt8>) {
        let value: JSON
        do {
            value = try JSON(parsing: line, options: JSONParseOptions(dollarBinary: true))
        } catch {
            self = .invalid(RPCResponse(id: .null, outcome: .failure(.parseError(error.description))))
            return
        }
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else {
                self = .invalid(RPCResponse(id: .null, outcome: .failure(.invalidRequest("empty batch"))))
                return
            }
            self = .batch(elements.map(Self.call(from:)))
        default:
            switch Self.call(from: value) {
            case .call(let call): self = .single(call)
            case .answered(let response): self = .invalid(response)
            }
        }
    }

    /// Validates a Request object (§ 4). An invalid one is answered with the id echoed when it
    /// is a valid id, `null` otherwise, even when `id` is absent.
    static func call(from value: JSON) -> RPCBatchItem {
        guard case .object(let object) = value else {
            return .answered(RPCResponse(id: .null, outcome: .failure(.invalidRequest("not an object"))))
        }
        let id = object["id"]
        let validID: JSON?
        switch id {
        case nil: validID = nil
        case .null?, .number?, .string?: validID = id
        default:
            return .answered(RPCResponse(id: .null, outcome: .failure(.invalidRequest("id must be a string, number or null"))))
        }
        func invalid(_ detail: String) -> RPCBatchItem {
            .answered(RPCResponse(id: validID ?? .null, outcome: .failure(.invalidRequest(detail))))
        }
        guard object["jsonrpc"] == .string("2.0") else { return invalid("jsonrpc must be \"2.0\"") }
        guard case .string(let method)? = object["method"] else { return invalid("method must be a string") }
        let params = object["params"]
        switch params {
        case nil, .array?, .object?: break
        default: return invalid("params must be an array or an object")
        }
        return .call(RPCCall(id: validID, method: method, params: params))
    }
}

// MARK: - Writing lines

extension RPCResponse {
    /// The response as one `\n`-terminated line.
    public var line: [UInt8] {
        var out: [UInt8] = []
        self.json.write(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Responses of a batch as one array line.
    public static func batchLine(_ responses: [RPCResponse]) -> [UInt8] {
        var out: [UInt8] = []
        JSON.array(responses.map(\.json)).write(to: &out)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

/// A server-to-client notification line: `{"jsonrpc":"2.0","method":…,"params":…}`.
public func rpcNotificationLine(method: String, params: JSON?) -> [UInt8] {
    var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
    if let params { object["params"] = params }
    var out: [UInt8] = []
    JSON.object(object).write(to: &out)
    out.append(UInt8(ascii: "\n"))
    return out
}
