import Foundation
import SioJSON
import Testing
@testable import SiodCore

/// `kill -9` while the state is being written leaves the previous or the new state.
@Suite(.timeLimit(.minutes(2))) struct StateCrashTests {
    /// The writer executable built next to the test bundle (a dependency of this test target).
    private static let writerPath: String = {
        let bundle = Bundle.main.executablePath ?? CommandLine.arguments[0]
        let directory = (bundle as NSString).deletingLastPathComponent
        return directory + "/siod-state-writer"
    }()

    @Test func killNineDuringWrites_neverLeavesATornState() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.writerPath), "siod-state-writer is built with the tests")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("siod-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SystemRandomNumberGenerator()
        for round in 0..<12 {
            let target = Int.random(in: 2...25, using: &random)
            let saved = try await Self.runWriterAndKill(directory: directory, afterGeneration: target)
            let state = try StateStore(directory: directory).load()
            let generation = try #require(state.sockets["s"]?.open?["generation"]?.intValue, "round \(round)")
            // `saved` was the last generation reported; the next one may have completed too.
            #expect(generation >= saved && generation <= saved + 1, "round \(round): \(generation) vs \(saved)")
        }
    }

    /// Starts the writer, waits for it to report `afterGeneration`, kills it with SIGKILL and
    /// waits for it to be gone; returns the last generation it reported.
    private static func runWriterAndKill(directory: String, afterGeneration target: Int) async throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.writerPath)
        process.arguments = [directory]
        let output = Pipe()
        process.standardOutput = output
        let (lines, continuation) = AsyncStream.makeStream(of: Data.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            continuation.yield(chunk)
            if chunk.isEmpty { continuation.finish() }
        }
        let exited = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        try process.run()
        var text = ""
        var killed = false
        for await chunk in lines {
            text += String(decoding: chunk, as: UTF8.self)
            let reported = text.split(separator: "\n").compactMap { Int($0) }.last ?? 0
            if !killed && reported >= target {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        if !killed { kill(process.processIdentifier, SIGKILL) }
        for await _ in exited.stream {}
        output.fileHandleForReading.readabilityHandler = nil
        // Everything it printed before dying: the last generation it had fully saved.
        let complete = text.hasSuffix("\n") ? text : String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
        return complete.split(separator: "\n").compactMap { Int($0) }.last ?? 0
    }
}
