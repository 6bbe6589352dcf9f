/// The rule for a namespace name, in one place: it starts with `/` (socket.io-protocol §
/// Packet format: the namespace is written before a `,`), and contains no `,`, which would end
/// it early on the wire. The reference client sends `admin` as `0admin,` and breaks the
/// server's parse; we refuse it (docs/quirks.md).
public enum NamespaceName {
    public static func isValid(_ name: String) -> Bool {
        name.hasPrefix("/") && !name.contains(",")
    }
}
