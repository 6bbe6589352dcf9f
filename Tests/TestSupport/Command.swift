import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// What a finished command left.
public struct CommandResult: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
}

public struct CommandError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs `executable` with `arguments` (and `stdin`, then end of input) and returns its exit
/// status and output, within `bound`: a command still running then is killed together with
/// its process group (Foundation starts every child in a group of its own, so a shell's
/// children go too) and the call throws.
///
/// It never calls `Process.waitUntilExit()`: on Linux, called off the main thread, it can miss
/// the child's exit and park its thread for good (swift-corelibs-foundation polls a run loop
/// that nothing wakes); that hung a whole CI run. The exit comes from the termination
/// handler, registered before the child starts so a fast exit is not missed.
public func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
    within bound: Duration = .seconds(60)
) async throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    let out = PipeCollector()
    let err = PipeCollector()
    let input = Pipe()
    process.standardOutput = out.pipe
    process.standardError = err.pipe
    process.standardInput = input
    let exit = OneShot<Int32>()
    process.terminationHandler = { exit.fulfil($0.terminationStatus) }
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()

    let command = ([executable] + arguments).joined(separator: " ")
    guard let status = await exit.value(within: bound) else {
        kill(-process.processIdentifier, SIGKILL)
        kill(process.processIdentifier, SIGKILL)
        throw CommandError(description: "`\(command)` did not exit within \(bound); stdout: \(out.text) stderr: \(err.text)")
    }
    // The output ends with the process, unless a child it left behind holds the pipe: then
    // what arrived within a second is the output.
    _ = await out.ended.value(within: .seconds(1))
    _ = await err.ended.value(within: .seconds(1))
    return CommandResult(status: status, out: out.text, err: err.text)
}

/// A value that is set once and awaited with a bound.
public final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Sets the value (the first call wins) and wakes every waiter.
    public func fulfil(_ value: Value) {
        let waiters = self.state.withLockedValue { state -> [CheckedContinuation<Value?, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, or nil if it is not set within `bound`.
    public func value(within bound: Duration) async -> Value? {
        try? await withDeadline(bound) { await self.value() }
    }

    /// The value, or nil once the waiting task is cancelled.
    private func value() async -> Value? {
        let id = self.state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = self.state.withLockedValue { state -> Value?? in
                    if let value = state.value { return .some(value) }
                    if state.cancelled.remove(id) != nil { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if case .some(let value) = ready { continuation.resume(returning: value) }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if waiter == nil, state.value == nil { state.cancelled.insert(id) }
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// Reads `handle` in read(2) on a thread of its own until its end, handing each chunk to
/// `chunk`, then calls `end`. No thread of the cooperative pool waits on it, and no libdispatch
/// source watches the descriptor (FileHandle's `readabilityHandler`, set to nil while a read is
/// in flight and the handle then closed, crashed libdispatch now and then). The thread keeps
/// the handle until the end of the output, so the caller must not close it.
private func readUntilEnd(_ handle: FileHandle, chunk: @escaping @Sendable (ArraySlice<UInt8>) -> Void, end: @escaping @Sendable () -> Void) {
    let thread = Thread {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            chunk(buffer[..<count])
        }
        end()
        withExtendedLifetime(handle) {}
    }
    thread.start()
}

/// The chunks read from `handle`, as they come, until its end (``readUntilEnd``).
public func chunks(of handle: FileHandle) -> AsyncStream<Data> {
    let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
    readUntilEnd(handle, chunk: { continuation.yield(Data($0)) }, end: { continuation.finish() })
    return stream
}

/// Collects what a child writes on a pipe (``readUntilEnd``).
final class PipeCollector: Sendable {
    let pipe = Pipe()
    let ended = OneShot<Bool>()
    private let data = NIOLockedValueBox(Data())

    init() {
        let data = self.data
        let ended = self.ended
        readUntilEnd(self.pipe.fileHandleForReading, chunk: { chunk in data.withLockedValue { $0.append(contentsOf: chunk) } }, end: { ended.fulfil(true) })
    }

    var text: String { String(decoding: self.data.withLockedValue { $0 }, as: UTF8.self) }
}
