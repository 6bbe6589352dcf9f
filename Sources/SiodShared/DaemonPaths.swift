/// Where siod and siodctl meet, and where siod reads its configuration (docs/rpc.md § The socket).
public enum DaemonPaths {
    /// The RPC socket: `--socket`, else `$SIOD_SOCKET`, else `/run/siod/siod.sock` for root,
    /// else `$XDG_RUNTIME_DIR/siod/siod.sock`, else `/tmp/siod-<uid>/siod.sock` (a directory
    /// siod creates mode 0700; siod refuses one it does not own).
    public static func socket(flag: String?, environment: [String: String], uid: UInt32) -> String {
        self.socketLocation(flag: flag, environment: environment, uid: uid).path
    }

    /// ``socket(flag:environment:uid:)``, and who must own its directory when it is a default
    /// (`nil` for a path given with `--socket` or `$SIOD_SOCKET`: taken as given).
    public static func socketLocation(
        flag: String?, environment: [String: String], uid: UInt32
    ) -> (path: String, directoryOwner: SocketDirectory.Owner?) {
        if let flag, !flag.isEmpty { return (flag, nil) }
        if let path = environment["SIOD_SOCKET"], !path.isEmpty { return (path, nil) }
        if uid == 0 { return ("/run/siod/siod.sock", .root) }
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") { return (runtime + "/siod/siod.sock", .user(uid)) }
        return ("/tmp/siod-\(uid)/siod.sock", .user(uid))
    }

    /// The directory of a socket path.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The configuration file and whether it was named explicitly (a missing explicit file
    /// is an error; a missing default one means "no sockets declared"): `--config`, else
    /// `$CONFIGURATION_DIRECTORY/siod.json` (systemd's `ConfigurationDirectory=siod`), else
    /// `/etc/siod/siod.json` for root, else `$XDG_CONFIG_HOME/siod/siod.json`, else
    /// `~/.config/siod/siod.json`.
    public static func config(flag: String?, environment: [String: String], uid: UInt32, home: String) -> (path: String, explicit: Bool) {
        if let flag, !flag.isEmpty { return (flag, true) }
        if let systemd = environment["CONFIGURATION_DIRECTORY"], let first = systemd.split(separator: ":").first, !first.isEmpty {
            return (first + "/siod.json", false)
        }
        if uid == 0 { return ("/etc/siod/siod.json", false) }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return (xdg + "/siod/siod.json", false) }
        return (home + "/.config/siod/siod.json", false)
    }
}
