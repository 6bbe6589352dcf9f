#if canImport(Glibc)
import Glibc
#endif
import SioJSON

/// A blocking JSON-RPC client on siod's Unix socket: one line out, lines in.
final class RPCClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1

    /// Connects to `path`; throws ``ClientFailure/unreachable`` with the reason.
    init(path: String) throws(ClientFailure) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .unreachable("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unreachable("socket: \(String(cString: strerror(errno)))") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .unreachable("cannot connect to \(path): \(reason) (is siod running? see --socket)")
        }
        self.fd = fd
    }

    deinit { close(self.fd) }

    /// Calls `method` and returns its result, or throws the error siod answered.
    func call(_ method: String, _ params: JSON?) throws(ClientFailure) -> JSON {
        let id = self.nextID
        self.nextID += 1
        var request: JSONObject = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method)]
        if let params { request["params"] = params }
        var line: [UInt8] = []
        JSON.object(request).write(to: &line)
        line.append(UInt8(ascii: "\n"))
        try self.send(line)
        while true {
            guard let reply = try self.readLine() else { throw .unreachable("siod closed the connection") }
            guard case .object(let object)? = try? JSON(parsing: reply) else { continue }
            // Notifications (no id) that arrive meanwhile are not ours.
            guard object["id"] == .number(JSONNumber(id)) else { continue }
            if let error = object["error"] { throw .rpc(error) }
            return object["result"] ?? .null
        }
    }

    /// Sends a notification: a call nobody answers (`events.commit` after each printed line).
    func notify(_ method: String, _ params: JSON) throws(ClientFailure) {
        var line: [UInt8] = []
        JSON.object(["jsonrpc": "2.0", "method": .string(method), "params": params]).write(to: &line)
        line.append(UInt8(ascii: "\n"))
        try self.send(line)
    }

    /// The next line siod sent (without its `\n`), or nil at end of stream.
    func readLine() throws(ClientFailure) -> [UInt8]? {
        while true {
            if let newline = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(self.buffer[..<newline])
                self.buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { read(self.fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreachable("read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return nil }
            self.buffer += chunk[..<count]
        }
    }

    private func send(_ bytes: [UInt8]) throws(ClientFailure) {
        if let failure = writeAll(self.fd, bytes) { throw .unreachable("write: \(String(cString: strerror(failure)))") }
    }
}

/// Writes all of `bytes` to `fd`; the errno of a failed write, else nil.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if count < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += count
    }
    return nil
}

/// Why a siodctl command failed.
enum ClientFailure: Error {
    /// siod could not be reached (exit status 2).
    case unreachable(String)
    /// siod answered with this JSON-RPC error object (exit status 1).
    case rpc(JSON)
    /// The command line was wrong in a way the parser cannot see (exit status 64).
    case usage(String)
}
