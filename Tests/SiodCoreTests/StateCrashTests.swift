import Foundation
import SioJSON
import Testing
import TestSupport
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
        var generations: [Int] = []
        for round in 0..<12 {
            try await Self.runWriterAndKill(directory: directory, afterChunks: Int.random(in: 1...6, using: &random))
            let state = try StateStore(directory: directory).load()
            let open = try #require(state.sockets["s"]?.open, "round \(round)")
            let generation = try #require(open["generation"]?.intValue, "round \(round)")
            #expect(open["padding"]?.stringValue?.utf8.count == 200_000, "round \(round): a whole state")
            generations.append(generation)
        }
        #expect(generations.allSatisfy { $0 >= 1 })
    }

    /// Starts the writer, lets it report progress `afterChunks` times, kills it with SIGKILL
    /// and waits until it is gone. Only non-empty reads count: an empty read is not taken for
    /// the end of the output (another test's child may hold the pipe open), and the kill
    /// does not wait for the end of the output at all.
    private static func runWriterAndKill(directory: String, afterChunks: Int) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.writerPath)
        process.arguments = [directory]
        let output = Pipe()
        process.standardOutput = output
        let exited = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        try process.run()
        // Read by a thread in read(2), which ends with the output (the handle is its to close).
        var seen = 0
        for await _ in chunks(of: output.fileHandleForReading) {
            seen += 1
            if seen >= afterChunks { break }
        }
        kill(process.processIdentifier, SIGKILL)
        for await _ in exited.stream {}
    }
}
