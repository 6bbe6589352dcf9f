#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The checks on the directory of a default socket path, made by siod before it binds and by
/// siodctl before it connects: a directory another user controls could hold their listener
/// in place of siod's, and receive what a client sends (auth tokens).
public enum SocketDirectory {
    /// Who must own the directory.
    public enum Owner: Sendable, Equatable {
        /// A per-user default (`$XDG_RUNTIME_DIR/siod`, `/tmp/siod-<uid>`): that user, and no
        /// write access for group or others.
        case user(UInt32)
        /// The system socket's directory (`/run/siod`): root, and no write access for group or
        /// others (0755 is fine).
        case root
    }

    /// What is wrong with `directory`, in words that say how to fix it; `nil` when it is fine
    /// or does not exist yet (siod creates it, mode 0700).
    public static func problem(_ directory: String, owner: Owner) -> String? {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            return errno == ENOENT ? nil : "cannot inspect \(directory): \(String(cString: strerror(errno)))"
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            return "\(directory) is a symbolic link; remove it (rm \(directory)) or name the socket with --socket"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return "\(directory) is not a directory; remove it or name the socket with --socket"
        }
        let expected: UInt32 = switch owner {
        case .user(let uid): uid
        case .root: 0
        }
        if info.st_uid != expected {
            let who = owner == .root ? "root" : "you (uid \(expected))"
            return "\(directory) is owned by uid \(info.st_uid), not by \(who): another user may have made it to intercept the "
                + "socket; remove it (rm -r \(directory)) or name the socket with --socket"
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            let mode = String(info.st_mode & 0o7777, radix: 8)
            return "\(directory) is writable by \(info.st_mode & S_IWOTH != 0 ? "others" : "its group") (mode \(mode)): "
                + "chmod 0700 \(directory), or name the socket with --socket"
        }
        return nil
    }
}
