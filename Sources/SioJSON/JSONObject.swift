/// A JSON object: members in the order written, duplicates kept.
///
/// Lookup follows JavaScript's `JSON.parse`: of several members with one key, the last wins.
/// Serializing writes every member back in order, so a parsed object round-trips exactly.
public struct JSONObject: Sendable, Hashable {
    /// One `"key": value` member.
    public struct Member: Sendable, Hashable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSON

        /// A member.
        public init(key: String, value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// The members, in order.
    public var members: [Member]

    /// An object with these members, in this order.
    public init(members: [Member] = []) {
        self.members = members
    }
}

// MARK: - Access

extension JSONObject {
    /// The value of the last member named `key`, like `JSON.parse`.
    ///
    /// Setting a value replaces the first member named `key` in place and removes any later
    /// duplicates (the position JavaScript keeps), or appends a member. Setting `nil` removes
    /// every member named `key`.
    public subscript(key: String) -> JSON? {
        get {
            self.members.last { $0.key == key }?.value
        }
        set {
            guard let newValue else {
                self.members.removeAll { $0.key == key }
                return
            }
            guard let first = self.members.firstIndex(where: { $0.key == key }) else {
                self.members.append(Member(key: key, value: newValue))
                return
            }
            self.members[first].value = newValue
            var index = first + 1
            while index < self.members.count {
                if self.members[index].key == key {
                    self.members.remove(at: index)
                } else {
                    index += 1
                }
            }
        }
    }

    /// The members' keys in order, one per member (duplicates included).
    public var keys: [String] {
        self.members.map(\.key)
    }

    /// The number of members (duplicates included).
    public var count: Int {
        self.members.count
    }

    /// Whether the object has no members.
    public var isEmpty: Bool {
        self.members.isEmpty
    }
}

// MARK: - Conformances

extension JSONObject: Sequence {
    /// Iterates over the members in order.
    public func makeIterator() -> IndexingIterator<[Member]> {
        self.members.makeIterator()
    }

    /// The number of members.
    public var underestimatedCount: Int {
        self.members.count
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object with the literal's members in the order written (duplicates kept).
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }
}
