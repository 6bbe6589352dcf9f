import Foundation

/// The cookies a server set on this Manager's connection, sent back on every polling request
/// and on the WebSocket upgrade, so sticky sessions behind a load balancer keep working
/// (engine.io-client `globals.node.ts` `CookieJar`: name and value kept, `Max-Age` and
/// `Expires` honoured, `Domain`/`Path`/`Secure` ignored, as the reference does).
///
/// Cookie values are secrets: they never reach a log.
struct CookieJar: Sendable {
    /// Reads an HTTP date (`Expires=Wed, 21 Oct 2026 07:28:00 GMT`).
    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()

    private var cookies: [(name: String, value: String, expires: Int64?)] = []

    /// Reads `Set-Cookie` header values received at `now` (monotonic milliseconds; `date` is
    /// the wall clock at the same moment, for `Expires`).
    mutating func store(_ headers: [String], now: Int64, date: Date = Date()) {
        for header in headers {
            let parts = header.split(separator: ";", omittingEmptySubsequences: false)
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = pair[..<equals].trimmingSpaces
            var value = pair[pair.index(after: equals)...].trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard !name.isEmpty else { continue }
            var maxAge: Int64?
            var expiresAt: Int64?
            for attribute in parts.dropFirst() {
                let field = attribute.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
                guard field.count == 2 else { continue }
                switch field[0].lowercased() {
                case "max-age":
                    // Overflow (a hostile `Max-Age`) means "no expiry", never a trap.
                    if let seconds = Int64(field[1]) {
                        let (milliseconds, o1) = seconds.multipliedReportingOverflow(by: 1000)
                        let (deadline, o2) = now.addingReportingOverflow(milliseconds)
                        maxAge = o1 || o2 ? (seconds < 0 ? Int64.min : nil) : deadline
                    }
                case "expires":
                    if let when = Self.httpDate.date(from: field[1]) {
                        let seconds = when.timeIntervalSince(date)
                        expiresAt = seconds.isFinite && abs(seconds) < 1e12 ? now + Int64(seconds * 1000) : nil
                    }
                default:
                    break
                }
            }
            // `Max-Age` wins over `Expires` (RFC 6265 § 5.3).
            let expires = maxAge ?? expiresAt
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
