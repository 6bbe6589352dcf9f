#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SioJSON

/// The state file in the state directory, written atomically: the new state goes to a
/// temporary file that is flushed to disk (`fsync`), renamed over the old one, and the
/// directory is flushed too. A crash (even `kill -9`) at any moment leaves either the previous
/// or the new state, never a torn one. The file holds secrets (session IDs, auth payloads):
/// it is created mode 0600 in a directory created mode 0700.
public struct StateStore: Sendable {
    /// The state directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The state file.
    public var path: String { self.directory + "/state.json" }

    /// Makes sure the state directory, when it exists, is siod's alone (the file holds
    /// secrets): one owned by another user is refused, group and other access to one siod owns
    /// is removed. Returns the mode it had when it was changed. A symbolic link is followed
    /// (systemd's `StateDirectory=` with `DynamicUser=` is one).
    @discardableResult
    public func secureDirectory() throws(StateError) -> mode_t? {
        var info = stat()
        guard stat(self.directory, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .io("cannot inspect \(self.directory)", errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .invalid("\(self.directory) is not a directory") }
        let uid = geteuid()
        guard info.st_uid == uid else {
            throw .invalid(
                "\(self.directory) is owned by uid \(info.st_uid), not by siod (uid \(uid)): it would read and write its "
                    + "secrets there; choose another --state-dir, or chown it"
            )
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        guard chmod(self.directory, mode & 0o700) == 0 else { throw .io("cannot chmod \(self.directory)", errno) }
        return mode
    }

    /// The saved state; an empty one when nothing was saved yet.
    public func load() throws(StateError) -> DaemonState {
        let read: [UInt8]?
        do throws(FileReadError) { read = try FileBytes.read(self.path) } catch {
            throw .io("cannot \(error.operation) \(self.path)", error.errno)
        }
        guard let bytes = read else { return DaemonState() }
        let json: JSON
        do { json = try JSON(parsingRPC: bytes) } catch { throw .invalid("\(self.path) is not valid JSON: \(error)") }
        return try DaemonState(json: json)
    }

    /// Replaces the saved state atomically.
    public func save(_ state: DaemonState) throws(StateError) {
        try self.makeDirectory()
        var bytes: [UInt8] = []
        state.json.writeRPC(to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        let temporary = self.path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("cannot create \(temporary)", errno) }
        // The mode is set explicitly: it must not depend on the process's umask.
        fchmod(descriptor, 0o600)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                throw .io("cannot write \(temporary)", code)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw .io("cannot flush \(temporary)", code)
        }
        close(descriptor)
        guard rename(temporary, self.path) == 0 else { throw .io("cannot rename \(temporary)", errno) }
        let directory = open(self.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// `mkdir -p` with mode 0700 for what it creates.
    func makeDirectory() throws(StateError) {
        var prefix = self.directory.hasPrefix("/") ? "" : "."
        for component in self.directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 {
                // Independent of the umask (another thread may have changed it for a moment).
                chmod(prefix, 0o700)
            } else if errno != EEXIST {
                throw .io("cannot create \(prefix)", errno)
            }
        }
    }
}

/// Why the state could not be read or written.
public enum StateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed (`errno` attached).
    case io(String, Int32)
    /// The file exists but is not a state siod can read.
    case invalid(String)

    public var description: String {
        switch self {
        case .io(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .invalid(let why): why
        }
    }
}
