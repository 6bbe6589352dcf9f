#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a small file whole, for the state and configuration files.
enum FileBytes {
    /// The file's bytes, or nil if it does not exist; `limit` bounds what is read. Throws
    /// what failed and its `errno`.
    static func read(_ path: String, limit: Int = 16 << 20) throws(FileReadError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw FileReadError(operation: "open", errno: errno)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(operation: "read", errno: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            if bytes.count > limit { throw FileReadError(operation: "read (larger than \(limit) bytes)", errno: EFBIG) }
        }
    }
}

/// A failed file read: the call and its `errno`.
struct FileReadError: Error {
    var operation: String
    var errno: Int32

    var reason: String { "cannot \(self.operation): \(String(cString: strerror(self.errno)))" }
}
