#if canImport(Glibc)
import Glibc
#endif

/// A connected Unix stream socket for the tests' blocking clients: every receive is bounded
/// by a timeout, so no wait in a test can hang.
public struct UnixStream: Sendable {
    public let fd: Int32

    /// Connects to `path`; `receiveBuffer` shrinks SO_RCVBUF (to play a slow reader).
    public init(path: String, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnixAddress(path) { connect(fd, $0, $1) }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw UnixStreamError(description: "connect \(path): errno \(code)")
        }
        self.fd = fd
    }

    /// Writes all of `text` (stops quietly if the peer is gone).
    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    public func shutdownWrite() { shutdown(self.fd, Int32(SHUT_WR)) }

    public func close() { Glibc.close(self.fd) }
}

public struct UnixStreamError: Error, CustomStringConvertible {
    public var description: String
}

/// Calls `body` with a `sockaddr_un` for `path` (for `bind`, `connect`).
public func withUnixAddress<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
