/// A JSON object: members in the order written.
public struct JSONObject: Sendable, Hashable {
    /// One `"key": value` member.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSON
        public init(key: String, value: JSON) { self.key = key; self.value = value }
    }
    /// The members, in order.
    public var members: [Member]
    public init(members: [Member] = []) { self.members = members }
}
