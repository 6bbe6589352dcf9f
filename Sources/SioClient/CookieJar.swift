/// The cookies a server set on this Manager's connection, sent back on every polling request
/// and on the WebSocket upgrade, so sticky sessions behind a load balancer keep working
/// (engine.io-client `globals.node.ts` `CookieJar`: name and value kept, `Max-Age` and
/// `Expires` honoured, `Domain`/`Path`/`Secure` ignored, as the reference does).
///
/// Cookie values are secrets: they never reach a log.
struct CookieJar: Sendable {
    private var cookies: [(name: String, value: String, expires: Int64?)] = []

    /// Reads `Set-Cookie` header values received at `now` (monotonic milliseconds).
    mutating func store(_ headers: [String], now: Int64) {
        for header in headers {
            let parts = header.split(separator: ";", omittingEmptySubsequences: false)
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = pair[..<equals].trimmingSpaces
            var value = pair[pair.index(after: equals)...].trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard !name.isEmpty else { continue }
            var expires: Int64?
            for attribute in parts.dropFirst() {
                let field = attribute.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
                if field.first?.lowercased() == "max-age", field.count == 2, let seconds = Int64(field[1]) {
                    expires = now + seconds * 1000
                }
            }
            self.cookies.removeAll { $0.name == name }
            if let expires, expires <= now { continue }
            self.cookies.append((name, value, expires))
        }
    }

    /// The `Cookie` header for a request at `now`, or nil when there is nothing to send.
    mutating func header(now: Int64) -> String? {
        self.cookies.removeAll { $0.expires.map { $0 <= now } ?? false }
        guard !self.cookies.isEmpty else { return nil }
        return self.cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
