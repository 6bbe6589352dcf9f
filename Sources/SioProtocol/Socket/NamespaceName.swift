/// The rule for a namespace name, in one place: it starts with `/` (socket.io-protocol §
/// Packet format: the namespace is written before a `,`), and contains no `,`, which would end
/// it early on the wire. The reference client sends `admin` as `0admin,` and breaks the
/// server's parse; we refuse it (docs/quirks.md).
///
/// Bytes, not characters: the wire is bytes, and a combining mark after `,` makes one
/// `Character` of the two, which `String.contains(",")` does not see (found by Fuzz/).
public enum NamespaceName {
    public static func isValid(_ name: String) -> Bool {
        name.utf8.first == UInt8(ascii: "/") && !name.utf8.contains(UInt8(ascii: ","))
    }
}
