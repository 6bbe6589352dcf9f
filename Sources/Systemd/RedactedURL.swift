/// `url` fit for a log: user info (`user:password@`), the query and the fragment removed,
/// since Socket.IO servers commonly take tokens there. `https://u:p@h:1/socket.io/?token=x` → `https://h:1/socket.io/`.
/// Text that is not a URL is only cut at its first `?` or `#`.
public func redactedURL(_ url: String) -> String {
    var text = Substring(url)
    if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) {
        text = text[..<cut]
    }
    guard let schemeEnd = text.firstRange(of: "://")?.upperBound else {
        return String(text)
    }
    let rest = text[schemeEnd...]
    let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@") else {
        return String(text)
    }
    return String(text[..<schemeEnd]) + String(text[text.index(after: at)...])
}
