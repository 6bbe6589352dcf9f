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

/// One element of a batch, or the validation of a single request.
public enum RPCBatchItem: Sendable, Hashable {
    /// A valid call to run.
    case call(RPCCall)
    /// An invalid element, answered by this response without running anything.
    case answered(RPCResponse)
}
