import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One file descriptor passed by socket activation, with its `FileDescriptorName=` (or `FDNAME=`).
public struct ListenFD: Hashable, Sendable {
    /// The descriptor, `SD_LISTEN_FDS_START` (3) or above; `FD_CLOEXEC` is set.
    public let fd: Int32
    /// Its name; libsystemd reports `unknown` when the unit names none.
    public let name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }
}

/// Socket activation (sd_listen_fds(3), systemd.socket(5)).
///
/// The daemon must not unlink a passed socket's path, nor `shutdown()` it: PID 1 holds a duplicate.
/// Nothing here does either.
public enum ListenFDs {
    /// The name of the RPC socket in siod's socket unit (`FileDescriptorName=rpc`).
    public static let rpcName = "rpc"

    /// The descriptors passed to this process (`$LISTEN_PID` must be ours), in order.
    /// Unsets `$LISTEN_PID`, `$LISTEN_FDS` and `$LISTEN_FDNAMES`, so only the first call sees them
    /// and children don't inherit them.
    /// - Returns: an empty array when the process was not socket-activated.
    /// - Throws: ``SystemdError/listenFDs(errno:)`` when the variables are malformed.
    public static func take() throws(SystemdError) -> [ListenFD] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            if let names {
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        if count < 0 {
            throw .listenFDs(errno: -count)
        }
        return (0..<Int(count)).map { index in
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            return ListenFD(fd: SD_LISTEN_FDS_START + Int32(index), name: name)
        }
    }

    /// The descriptor to serve RPC on: the one named `name`, else the only one passed, else `nil`
    /// (none passed, or several and none named so).
    public static func choose(_ fds: [ListenFD], named name: String = ListenFDs.rpcName) -> ListenFD? {
        if let named = fds.first(where: { $0.name == name }) {
            return named
        }
        return fds.count == 1 ? fds[0] : nil
    }
}
