import SioProtocol
import Testing

/// The namespace rule reads bytes, as the wire does.
@Suite struct NamespaceNameTests {
    @Test(arguments: ["/", "/admin", "/a/b", "/\u{301}admin", "/ünïcode"])
    func valid(name: String) {
        #expect(NamespaceName.isValid(name))
    }

    /// `"/a,\u{301}b"`: the comma and the combining accent are one `Character`, but the
    /// comma is still a byte that would end the namespace on the wire (found by Fuzz/).
    @Test(arguments: ["", "admin", "/a,b", "/a,\u{301}b", ",/", "\u{301}/admin"])
    func invalid(name: String) {
        #expect(!NamespaceName.isValid(name))
    }
}
