import NIOCore
import SioJSON

extension Registry {
    /// The durable outbox of `named` (on its Manager's loop), reporting to its subscribers; it
    /// reads the name's entries left on disk, if any.
    func makeOutbox(for named: NamedSocket, on loop: any EventLoop) -> Outbox {
        let subscriptions = self.subscriptions
        let reports = Outbox.Reports(
            delivered: { [weak named] id, args in
                guard let named else { return }
                subscriptions.publishDelivered(socket: named, outboxId: id, args: args)
            },
            failed: { [weak named, logger] id, event, reason in
                guard let named else { return }
                logger.warning("durable emit failed", metadata: ["socket": "\(named.key)", "outboxId": "\(id)", "reason": "\(reason)"])
                subscriptions.publish("socket.outbox_failed", socket: named, [
                    "outboxId": .number(JSONNumber(Int(id))), "event": .string(event), "reason": .string(reason),
                ])
            }
        )
        return Outbox(
            key: named.key, loop: loop, socket: named.socket, store: self.durable, limits: named.request.outbox,
            stored: self.durable.hasOutbox(named.key.description), reports: reports
        )
    }
}
