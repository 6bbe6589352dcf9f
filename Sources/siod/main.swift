import SioProtocol

// The daemon arrives with the daemon issue; until then `siod` reports what it is built from.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    usage: siod [--version]

    siod will own Socket.IO client connections and lend them to local processes over
    JSON-RPC on a Unix socket. This build contains the protocol core only.
    """)
} else {
    print("siod \(SiodVersion.string) (Engine.IO v\(SiodVersion.engineIOProtocol), Socket.IO v\(SiodVersion.socketIOProtocol))")
}
