import RPC
import SioJSON

/// The registry's rules, as values: what a reload does, and what a socket's saved record
/// becomes when the socket opens, closes, or is restored at start. Pure (no lock, no
/// Manager, no clock), so each rule is tested on its own; ``Registry`` carries them out.
enum RegistryRules {
    /// What a reload does, in this order: close, reopen (close then open with the new
    /// params), open. `unchanged` sockets stay connected.
    struct ReloadPlan: Sendable, Equatable {
        var close: [String] = []
        var reopen: [String] = []
        var open: [String] = []
        var unchanged: [String] = []
    }

    /// An open socket as a reload sees it.
    struct OpenSocket: Sendable, Equatable {
        var fromConfig: Bool
        var params: JSON
    }

    /// The plan to go from configuration `old` to `new` with `open` sockets, or why `new` is
    /// refused (then nothing changes): a name a client opened is not the file's to take.
    static func reload(from old: ConfigFile, to new: ConfigFile, open: [String: OpenSocket]) throws(RPCError) -> ReloadPlan {
        var plan = ReloadPlan()
        let declared = new.sockets.keys.sorted()
        for name in declared {
            if let existing = open[name], !existing.fromConfig {
                throw .invalidConfig(ConfigError(path: "", reason: "socket \"\(name)\" is open already, not from the configuration"))
            }
        }
        plan.close = old.sockets.keys.sorted().filter { new.sockets[$0] == nil }
        for name in declared {
            let params = new.params[name] ?? .null
            if let existing = open[name] {
                if existing.params == params, old.params[name] == params {
                    plan.unchanged.append(name)
                } else {
                    plan.reopen.append(name)
                }
            } else {
                plan.open.append(name)
            }
        }
        return plan
    }

    /// The record of a socket being opened: a persistent one remembers how to reopen it
    /// (and whether the file declared it), any other forgets that; the session ID stays.
    static func recordOnOpen(_ record: SocketRecord, params: JSON, persistent: Bool, fromConfig: Bool) -> SocketRecord {
        var record = record
        if persistent {
            record.open = params
            record.fromConfig = fromConfig
        } else {
            record = SocketRecord(sessionId: record.sessionId)
        }
        return record
    }

    /// The record of a socket closed for good: only its session ID stays, for a socket
    /// opened later under the same name.
    static func recordOnClose(_ record: SocketRecord) -> SocketRecord {
        SocketRecord(sessionId: record.sessionId)
    }

    /// At start: a persistent socket the configuration declared, and declares no more, is
    /// forgotten (`saved` changes; returns whether it did). Then the records to reopen, in
    /// name order: persistent sockets a client opened (the file reopens its own).
    static func restore(_ saved: inout DaemonState, config: ConfigFile) -> (changed: Bool, reopen: [(name: String, params: JSON)]) {
        var changed = false
        for (name, record) in saved.sockets where record.fromConfig && config.sockets[name] == nil {
            saved.sockets[name] = self.recordOnClose(record)
            changed = true
        }
        let reopen = saved.sockets.keys.sorted().compactMap { name -> (name: String, params: JSON)? in
            guard let record = saved.sockets[name], !record.fromConfig, let params = record.open else { return nil }
            return (name, params)
        }
        return (changed, reopen)
    }
}
