import Logging
import NIOConcurrencyHelpers
import SioClient
import SioProtocol

// What the registry does with the events of its sockets and Managers: counters, the log,
// `STATUS=`, the saved recovery state, and the notifications of their subscribers.

extension Registry {
    /// Turns a socket's event into notifications (on its Manager's event loop), and keeps the
    /// counters, the log, `STATUS=` and the saved recovery state up to date.
    func socketEvent(_ event: SocketEvent, of named: NamedSocket) {
        let name = named.key.description
        switch event {
        case .connect(_, let recovered):
            named.mutable.withLockedValue { $0.connects += 1 }
            named.outbox?.socketConnected()
            self.logger.info("socket connected", metadata: ["socket": "\(name)", "recovered": "\(recovered)"])
        case .connectError(let error):
            named.mutable.withLockedValue { $0.lastError = error.description }
            self.logger.notice("socket connect error", metadata: ["socket": "\(name)", "reason": "\(error.description)"])
            self.lastError.withLockedValue { $0 = "\(name): \(error.description)" }
        case .disconnect(let reason, _):
            named.outbox?.socketDisconnected()
            named.mutable.withLockedValue {
                $0.disconnects += 1
                $0.lastError = reason.rawValue
            }
            self.logger.info("socket disconnected", metadata: ["socket": "\(name)", "reason": "\(reason.rawValue)"])
            if reason.reconnects { self.lastError.withLockedValue { $0 = "\(name): \(reason.rawValue)" } }
        case .event(let message):
            // The first events of a name never seen wait (a millisecond) until its first block
            // of numbers is on disk.
            if named.journal.isReserved {
                self.received(message, of: named)
            } else {
                named.journal.whenReserved { self.received(message, of: named) }
            }
            return
        case .sent(let message):
            // Written to the transport: `socket.outgoing`, numbered `outSeq`.
            let seq = named.mutable.withLockedValue { mutable -> UInt64 in
                mutable.outgoing += 1
                return mutable.outgoing
            }
            self.subscriptions.publishEvent(
                socket: named, event: message.name.description, arguments: message.arguments, ackId: message.ackId, seq: seq,
                outgoing: true
            )
            return
        case .eventsDropped(let count):
            self.logger.warning("events dropped before CONNECT", metadata: ["socket": "\(name)", "count": "\(count)"])
            return
        case .ackResult, .authRequested:
            return
        }
        if let (method, params) = Notifications.socket(event, active: named.socket.active) {
            self.subscriptions.publish(method, socket: named, params)
        }
        self.changed()
        // A persistent socket's recovery session changes with each connect and disconnect.
        switch event {
        case .connect, .disconnect:
            guard named.isPersistent else { break }
            self.save(self.machine.withLockedValue { $0.recoveryChanged(named.socket.recovery, of: named.key) })
        default:
            break
        }
    }

    /// An event the server emitted: numbered and kept by the journal, published under its lock
    /// (a replay cannot cross), and its recovery offset saved.
    private func received(_ message: IncomingEvent, of named: NamedSocket) {
        named.mutable.withLockedValue { $0.received += 1 }
        let name = message.name.description
        if let disk = named.journal.disk {
            // Published once on disk, with its recovery offset (the same row).
            let recovery = message.recovery.map { SocketRecord.Recovery(pid: $0.pid, offset: $0.offset) }
            named.journal.recordDurably(event: name, arguments: message.arguments, ackId: message.ackId, recovery: recovery, disk: disk) { seq in
                self.subscriptions.publishEvent(socket: named, event: name, arguments: message.arguments, ackId: message.ackId, seq: seq)
            }
            return
        }
        named.journal.record(event: name, arguments: message.arguments, ackId: message.ackId) { seq in
            self.subscriptions.publishEvent(socket: named, event: name, arguments: message.arguments, ackId: message.ackId, seq: seq)
        }
        // Connection state recovery: a persistent socket's offset is saved within 100 ms (one
        // state write for all the events meanwhile), so that a restart after a crash asks the
        // server for little it already delivered.
        if named.isPersistent, let point = message.recovery {
            self.save(self.machine.withLockedValue { $0.recoveryChanged(.init(pid: point.pid, offset: point.offset), of: named.key) })
        }
    }

    /// Sends a Manager's events to each named socket on it (on its event loop); `attempt` is
    /// the Manager's current reconnection attempt.
    func managerEvent(_ event: ManagerEvent, id: SocketPlacement.ManagerID, attempt: inout Int) {
        guard let notification = Notifications.manager(event, attempt: &attempt) else { return }
        for named in self.machine.withLockedValue({ $0.sockets(on: id) }) {
            self.subscriptions.publish(notification.method, socket: named, notification.params, engineOnly: notification.engineOnly)
        }
    }
}

/// Hands a socket's events to the registry; the named socket is set once it exists (before
/// the socket connects, so before its first event).
final class SocketEventForwarder: Sendable {
    weak let registry: Registry?
    let named = NIOLockedValueBox<NamedSocket?>(nil)

    init(registry: Registry) { self.registry = registry }

    func forward(_ event: SocketEvent) {
        guard let named = self.named.withLockedValue({ $0 }) else { return }
        self.registry?.socketEvent(event, of: named)
    }
}

/// Hands a Manager's events to the registry, with the Manager's reconnection attempt (touched
/// only on the Manager's event loop, where its events are delivered).
final class ManagerEventForwarder: @unchecked Sendable {
    weak let registry: Registry?
    let id: SocketPlacement.ManagerID
    private var attempt = 0

    init(registry: Registry, id: SocketPlacement.ManagerID) {
        self.registry = registry
        self.id = id
    }

    func forward(_ event: ManagerEvent) {
        self.registry?.managerEvent(event, id: self.id, attempt: &self.attempt)
    }
}
