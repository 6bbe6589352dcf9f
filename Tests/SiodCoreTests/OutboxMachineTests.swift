import Testing
@testable import SiodCore

/// The durable outbox's rules (docs/rpc.md § Durable emits) as transcripts: what the machine
/// says to send, deliver or fail after each input.
@Suite struct OutboxMachineTests {
    typealias Machine = OutboxMachine<String>

    private func entry(_ id: Int64, bytes: Int = 10) -> Machine.Entry {
        Machine.Entry(id: id, event: "e\(id)", payload: "p\(id)", bytes: bytes, attempts: 0)
    }

    /// The actions in a short form: `send 1`, `plain 7`, `delivered 1`, `failed 2`.
    private func lines(_ actions: [Machine.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .send(let id, _): "send \(id)"
            case .sendPlain(let token): "plain \(token)"
            case .delivered(let id): "delivered \(id)"
            case .failed(let id, _): "failed \(id)"
            }
        }
    }

    /// The attempt of the last `send` of `id` in `actions`.
    private func attempt(of id: Int64, in actions: [Machine.Action]) -> UInt64? {
        actions.compactMap { if case .send(id, let attempt) = $0 { attempt } else { nil } }.last
    }

    @Test func entriesGoInOrder_onlyOnceWritten_andOnlyWhileConnected() {
        var machine = Machine(connected: true)
        let r1 = machine.add(self.entry(1))
        let r2 = machine.add(self.entry(2))
        #expect(r1 && r2)
        let r3 = machine.written(2)
        #expect(self.lines(r3).isEmpty, "2 may not overtake 1, still being written")
        let r4 = machine.written(1)
        #expect(self.lines(r4) == ["send 1", "send 2"])
        machine.socketDisconnected()
        let r5 = machine.add(self.entry(3))
        #expect(r5)
        let r6 = machine.written(3)
        #expect(self.lines(r6).isEmpty, "not connected")
        let r7 = machine.socketConnected()
        #expect(self.lines(r7) == ["send 1", "send 2", "send 3"], "go-back-N from the oldest unacked")
    }

    @Test func theWindowBoundsWhatIsInFlight() {
        var machine = Machine(limits: .init(window: 2, retries: 0, entries: 100, bytes: 1_000), connected: true)
        for id in 1...4 {
            _ = machine.add(self.entry(Int64(id)))
        }
        var sent: [String] = []
        for id in 1...4 { sent += self.lines(machine.written(Int64(id))) }
        #expect(sent == ["send 1", "send 2"])
        let r8 = machine.acked(2)
        #expect(self.lines(r8) == ["delivered 2", "send 3"], "an ack out of order frees a place too")
        let r9 = machine.acked(1)
        #expect(self.lines(r9) == ["delivered 1", "send 4"])
        let r10 = machine.acked(1)
        #expect(self.lines(r10).isEmpty, "a second ack of one entry is ignored")
        #expect(machine.count == 2)
    }

    @Test func plainEmitsWaitBehindDurableOnes_butNotBehindOnesInFlight() {
        var machine = Machine(connected: false)
        let r11 = machine.plain(7)
        #expect(self.lines(r11) == ["plain 7"], "nothing durable: straight to the socket")
        _ = machine.add(self.entry(1))
        let r12 = machine.plain(8)
        #expect(self.lines(r12).isEmpty, "behind entry 1, still being written")
        _ = machine.written(1)
        let r13 = machine.plain(9)
        #expect(self.lines(r13).isEmpty)
        let r14 = machine.socketConnected()
        #expect(self.lines(r14) == ["send 1", "plain 8", "plain 9"])
        let r15 = machine.plain(10)
        #expect(self.lines(r15) == ["plain 10"], "entry 1 is on the wire already")
    }

    @Test func aTimeoutCostsAnAttempt_andGoesBackFromThatEntry() {
        var machine = Machine(limits: .init(window: 8, retries: 1, entries: 100, bytes: 1_000), connected: true)
        _ = machine.add(self.entry(1))
        _ = machine.add(self.entry(2))
        let first = machine.written(1) + machine.written(2)
        #expect(self.lines(first) == ["send 1", "send 2"])
        let retry = machine.missed(1, attempt: self.attempt(of: 1, in: first)!, .timedOut)
        #expect(self.lines(retry) == ["send 1", "send 2"], "1 and everything after it, in order")
        let r16 = machine.missed(2, attempt: self.attempt(of: 2, in: first)!, .timedOut)
        #expect(r16.isEmpty, "a stale attempt's timeout is ignored")
        let failed = machine.missed(1, attempt: self.attempt(of: 1, in: retry)!, .timedOut)
        #expect(self.lines(failed) == ["failed 1"], "retries: 1 allows two attempts")
        #expect(machine.failed.map(\.entry.id) == [1])
        #expect(machine.failed.first?.reason == "no ack after 2 attempts")
        #expect(machine.count == 2, "a failed entry still counts against the limits until removed")
        let r17 = machine.acked(2)
        #expect(self.lines(r17) == ["delivered 2"])
    }

    @Test func aDisconnectCostsNoAttempt() {
        var machine = Machine(limits: .init(window: 8, retries: 0, entries: 100, bytes: 1_000), connected: true)
        _ = machine.add(self.entry(1))
        let sent = machine.written(1)
        // The failed ack may come before or after the disconnect event: either way, no attempt.
        let r18 = machine.missed(1, attempt: self.attempt(of: 1, in: sent)!, .disconnected)
        #expect(r18.isEmpty)
        machine.socketDisconnected()
        let r19 = machine.socketConnected()
        #expect(self.lines(r19) == ["send 1"])
        #expect(machine.entry(1)?.attempts == 0)
    }

    @Test func aRefusedSendWaitsForTheNextConnection() {
        var machine = Machine(connected: true)
        _ = machine.add(self.entry(1))
        _ = machine.add(self.entry(2))
        let sent = machine.written(1) + machine.written(2)
        let r20 = machine.missed(2, attempt: self.attempt(of: 2, in: sent)!, .refused)
        #expect(r20.isEmpty)
        let r21 = machine.missed(1, attempt: self.attempt(of: 1, in: sent)!, .refused)
        #expect(r21.isEmpty)
        let r22 = machine.socketConnected()
        #expect(self.lines(r22) == ["send 1", "send 2"])
    }

    @Test func limitsRefuseAFullOutbox_andAFailedWriteLeavesNoTrace() {
        var machine = Machine(limits: .init(window: 8, retries: 0, entries: 2, bytes: 25), connected: true)
        let r23 = machine.add(self.entry(1))
        #expect(r23)
        let r24 = machine.add(self.entry(2, bytes: 20))
        #expect(!r24, "bytes")
        let r25 = machine.add(self.entry(3))
        #expect(r25)
        let r26 = machine.add(self.entry(4, bytes: 1))
        #expect(!r26, "entries")
        _ = machine.plain(9)
        let r27 = machine.writeFailed(1)
        #expect(self.lines(r27).isEmpty, "3 still being written")
        let r28 = machine.written(3)
        #expect(self.lines(r28) == ["send 3", "plain 9"])
        #expect(machine.count == 1 && machine.bytes == 10)
    }

    @Test func removeTakesQueuedAndFailedEntries() {
        var machine = Machine(connected: false)
        _ = machine.load(
            pending: [self.entry(5), self.entry(6)],
            failed: [Machine.Failed(entry: self.entry(2), reason: "no ack after 1 attempt")]
        )
        #expect(machine.count == 3)
        let (removed, actions) = machine.remove([2, 5, 99])
        #expect(removed.sorted() == [2, 5] && actions.isEmpty)
        #expect(machine.pending.map(\.entry.id) == [6] && machine.failed.isEmpty)
        let r29 = machine.socketConnected()
        #expect(self.lines(r29) == ["send 6"])
    }
}
