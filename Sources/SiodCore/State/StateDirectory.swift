/// Where siod keeps its state (docs/rpc.md § State): `--state-dir`, else `$STATE_DIRECTORY`
/// (systemd's `StateDirectory=siod`; the first entry when it lists several), else
/// `$XDG_STATE_HOME/siod`, else `~/.local/state/siod`.
public enum StateDirectory {
    /// The state directory for these inputs.
    public static func resolve(flag: String?, environment: [String: String], home: String) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let systemd = environment["STATE_DIRECTORY"], let first = systemd.split(separator: ":").first, !first.isEmpty {
            return String(first)
        }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return xdg + "/siod"
        }
        return home + "/.local/state/siod"
    }
}
