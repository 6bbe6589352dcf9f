import SioJSON

/// What one request line holds (jsonrpc.org/specification § 4, § 6).
public enum RPCMessage: Sendable, Hashable {
    /// A single Request or Notification.
    case single(RPCCall)
    /// A batch: each element a call or the error answering it (an invalid element), in order.
    case batch([RPCBatchItem])
    /// A line that gets exactly this one response and nothing else: a parse error, an
    /// invalid single request, an empty batch or one longer than the limit.
    case invalid(RPCResponse)

    /// Decodes one line. `{"$binary":"…"}` in params becomes `.binary`; a batch of more than
    /// `maxBatchEntries` is refused whole.
    public init(line: some Collection<UInt8>, maxBatchEntries: Int = RPCLimits().maxBatchEntries) {
        // A batch over the limit is refused before its tree is built: a line of four million
        // `1,` took 140 MB to parse only to be refused. (Malformed, it is a parse error.)
        // Each entry takes at least two bytes (`1,`): a shorter line cannot be over the limit.
        let count = line.count <= 2 * maxBatchEntries ? nil : line.withContiguousStorageIfAvailable { JSONScanner.countElements($0) } ?? nil
        if let count, count > maxBatchEntries {
            let detail = "a batch of \(count) entries, more than \(maxBatchEntries)"
            self = .invalid(RPCResponse(id: .null, outcome: .failure(.invalidRequest(detail))))
            return
        }
        let value: JSON
        do {
            value = try JSON(parsingRPC: line)
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
            guard elements.count <= maxBatchEntries else {
                let detail = "a batch of \(elements.count) entries, more than \(maxBatchEntries)"
                self = .invalid(RPCResponse(id: .null, outcome: .failure(.invalidRequest(detail))))
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

    /// Validates a Request object (JSON-RPC 2.0 § 4). An invalid one is answered with the id
    /// echoed when it is a valid id, `null` otherwise, even when `id` is absent.
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
