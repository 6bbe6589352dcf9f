#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the server could not listen.
public struct RPCServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable {
        private enum Base: Hashable { case addressInUse, notASocket, pathTooLong, system }
        private let base: Base
        /// Another process answers on the socket path.
        public static let addressInUse = Code(base: .addressInUse)
        /// The path exists and is not a socket; it is left alone.
        public static let notASocket = Code(base: .notASocket)
        /// The path does not fit in `sockaddr_un`.
        public static let pathTooLong = Code(base: .pathTooLong)
        /// A system call failed.
        public static let system = Code(base: .system)
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, for people.
    public let description: String

    static func system(_ call: String, _ path: String, errno: Int32 = errno) -> RPCServerError {
        RPCServerError(code: .system, description: "\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
