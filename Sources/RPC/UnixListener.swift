#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creating the listening Unix socket ourselves, so the file is born with its mode (umask
/// around `bind`) and a stale file is told from a live one by connecting to it.
enum UnixListener {
    /// Binds and listens on `path`: mode 0600, or 0660 and group `group`; the parent directory
    /// is created 0700 (0755 with a group) when missing. Returns the listening descriptor.
    static func bindAndListen(path: String, group: UInt32?, backlog: Int32) throws(RPCServerError) -> CInt {
        try self.makeParent(of: path, mode: group == nil ? 0o700 : 0o755)
        try self.removeStale(path)
        var address = try self.address(path)
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { throw .system("socket", path) }
        // umask is process-wide: the window is one bind() call.
        let oldMask = umask(group == nil ? 0o177 : 0o117)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindErrno = errno
        umask(oldMask)
        guard bound == 0 else {
            close(fd)
            if bindErrno == EADDRINUSE {
                throw RPCServerError(code: .addressInUse, description: "\(path) is in use")
            }
            throw .system("bind", path, errno: bindErrno)
        }
        if let group {
            guard chown(path, uid_t.max, gid_t(group)) == 0 else { let e = errno; self.abandon(fd, path); throw .system("chown", path, errno: e) }
        }
        guard chmod(path, group == nil ? 0o600 : 0o660) == 0 else { let e = errno; self.abandon(fd, path); throw .system("chmod", path, errno: e) }
        guard listen(fd, backlog) == 0 else { let e = errno; self.abandon(fd, path); throw .system("listen", path, errno: e) }
        return fd
    }

    /// Whether something accepts connections on `path`.
    static func isLive(_ path: String) -> Bool {
        guard var address = try? self.address(path) else { return false }
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 || errno == EAGAIN
    }

    private static func removeStale(_ path: String) throws(RPCServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw RPCServerError(code: .notASocket, description: "\(path) exists and is not a socket")
        }
        guard !self.isLive(path) else {
            throw RPCServerError(code: .addressInUse, description: "\(path): another server is listening there")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw .system("unlink stale socket", path) }
    }

    private static func makeParent(of path: String, mode: mode_t) throws(RPCServerError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let parent = String(path[..<slash])
        var info = stat()
        guard stat(parent, &info) != 0 else { return }
        try self.makeParent(of: parent, mode: mode)
        guard mkdir(parent, mode) == 0 else {
            guard errno == EEXIST else { throw .system("mkdir", parent) }
            return
        }
        // The umask (ours around bind, or the process's) must not narrow or widen it.
        guard chmod(parent, mode) == 0 else { throw .system("chmod", parent) }
    }

    private static func address(_ path: String) throws(RPCServerError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw RPCServerError(code: .pathTooLong, description: "\(path): a socket path has at most \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private static func abandon(_ fd: CInt, _ path: String) {
        close(fd)
        unlink(path)
    }
}
