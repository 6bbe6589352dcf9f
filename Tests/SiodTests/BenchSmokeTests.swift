import Foundation
import SioJSON
import Testing
import TestSupport

/// The benchmark (scripts/bench) runs every scenario, tiny, on the debug build: the numbers mean
/// nothing here, but each scenario must complete against siod and python-socketio alike.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(3)))
struct BenchSmokeTests {
    @Test func helpPrintsUsage_andRunsNothing() async throws {
        let run = try await runCommand(Built.directory + "/siod-bench", ["--help"], within: .seconds(10))
        #expect(run.status == 0)
        #expect(run.out.hasPrefix("usage: siod-bench"), "\(run.out)")
        #expect(!run.out.contains("repetitions, median"), "no scenario ran")
    }

    @Test func everyScenarioRuns_forSiodAndPython() async throws {
        let scratch = Scratch()
        let python = try #require(PythonServer.python)
        let json = scratch.path + "/bench.json"
        let run = try await runCommand(Built.directory + "/siod-bench", ["--smoke", "--python", python, "--json", json], within: .seconds(150))
        #expect(run.status == 0, "\(run.err)\n\(run.out)")
        let report = try JSON(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: json))))
        let rows = try #require(report.objectValue?["rows"]?.arrayValue)
        #expect(rows.count >= 20)
        for row in rows {
            let figure = row.objectValue?["figure"]?.stringValue ?? "?"
            let unit = row.objectValue?["unit"]?.stringValue
            let siod = row.objectValue?["siod"]?.objectValue?["median"]?.doubleValue
            #expect(siod != nil, "\(figure): no siod figure")
            if unit == "/s" || unit == "µs" { #expect((siod ?? 0) > 0, "\(figure): \(siod ?? 0)") }
        }
        let compared = rows.filter { $0.objectValue?["python"]?.objectValue?["median"] != nil }
        #expect(compared.count >= 15, "python-socketio ran the side-by-side scenarios")
    }
}
