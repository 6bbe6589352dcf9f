// Run by SiodCoreTests: saves the state over and over (generation 1, 2, …) in the directory
// given as the first argument and prints each generation once it is saved, until it is
// killed. The test kills it with SIGKILL at random moments and checks the file.
import SioJSON
import SiodCore

#if canImport(Glibc)
import Glibc
#endif

let directory = CommandLine.arguments[1]
let store = StateStore(directory: directory)
// About 200 KB per write, so a kill often lands in the middle of one.
let padding = String(repeating: "x", count: 200_000)
var generation = 0
while true {
    generation += 1
    let record = SocketRecord(
        sessionId: "abcdefghijklmnopqrstuv",
        open: ["generation": .number(JSONNumber(generation)), "padding": .string(padding)]
    )
    do {
        try store.save(DaemonState(sockets: ["s": record]))
    } catch {
        let message = "save failed: \(error)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(1)
    }
    let line = "\(generation)\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}
