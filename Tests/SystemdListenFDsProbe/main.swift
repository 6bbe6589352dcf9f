// Run by SystemdTests under systemd-socket-activate; prints one `fd name` line per descriptor
// ListenFDs took, then `chosen fd`, then `env LISTEN_FDS=<value or unset>`.
import Systemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

do {
    let fds = try ListenFDs.take()
    for fd in fds {
        print("\(fd.fd) \(fd.name)")
    }
    print("chosen \(ListenFDs.choose(fds).map { String($0.fd) } ?? "none")")
    print("env LISTEN_FDS=\(getenv("LISTEN_FDS").map { String(cString: $0) } ?? "unset")")
} catch {
    print("error \(error)")
    exit(1)
}
