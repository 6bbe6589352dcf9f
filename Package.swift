// swift-tools-version: 6.1
import PackageDescription

// Layers (../shared/DESIGN.md): siod → (SioClient → SioProtocol), RPC, Systemd.
// SioProtocol is pure: no package dependencies, no I/O, no clock, no randomness of its own.
// System packages the later targets need are installed by scripts/setup (see README).
let package = Package(
    name: "siod",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "siod", targets: ["siod"]),
        .executable(name: "siodctl", targets: ["siodctl"]),
        .library(name: "SioProtocol", targets: ["SioProtocol"]),
        .library(name: "SioJSON", targets: ["SioJSON"]),
        .library(name: "SioClient", targets: ["SioClient"]),
        .library(name: "RPC", targets: ["RPC"]),
        .library(name: "Systemd", targets: ["Systemd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // The JSON value type shared by the protocol codecs and (later) the RPC layer.
        .target(name: "SioJSON"),
        // Pure (no Foundation): libm for Double's rounding, which Foundation used to bring.
        .target(name: "SioProtocol", dependencies: ["SioJSON"], linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        // The live client: a Manager on one event loop driving SioProtocol, its transports channels
        // on that loop (WebSocket on NIOWebSocket, polling on async-http-client).
        .target(
            name: "SioClient",
            dependencies: [
                "SioProtocol",
                "SioJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // libsystemd, seen through a shim header (sd-daemon.h, sd-journal.h).
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"]), .yum(["systemd-devel"])]
        ),
        // sd_notify, watchdog, socket activation and a journald log handler; knows nothing of Socket.IO or RPC.
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        // JSON-RPC 2.0 over a Unix stream socket, NDJSON framed; knows nothing of Socket.IO.
        .target(
            name: "RPC",
            dependencies: [
                "SioJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What siod and siodctl share (socket and config paths, siod's version): no NIO, no
        // Foundation, so that siodctl starts fast.
        .target(name: "SiodShared"),
        // The daemon's logic (state store, registry, RPC methods), kept apart from its `main`
        // so the tests can reach it.
        .target(
            name: "SiodCore",
            dependencies: [
                "SioJSON", "SioProtocol", "SioClient", "RPC", "Systemd", "SiodShared",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The outbox, the disk journal, consumers' positions and event counters
                // (needs apt libsqlite3-dev).
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The daemon: flags, signals and systemd around SiodCore.
        .executableTarget(
            name: "siod",
            dependencies: [
                "SiodCore", "SiodShared", "RPC", "Systemd", "SioProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The shell's client: one JSON-RPC call per run, or a listener.
        .executableTarget(
            name: "siodctl",
            dependencies: ["SioJSON", "SiodShared", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "sioproto-bench",
            dependencies: ["SioProtocol"],
            path: "Benchmarks/sioproto-bench"
        ),
        // siod against python-socketio's client, with its own loopback server (scripts/bench).
        .executableTarget(
            name: "siod-bench",
            dependencies: [
                "SioJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/siod-bench"
        ),
        .executableTarget(
            name: "sioclient-bench",
            dependencies: ["SioClient", "SioProtocol", "SioJSON"],
            path: "Benchmarks/sioclient-bench"
        ),
        .testTarget(name: "SioJSONTests", dependencies: ["SioJSON"]),
        .testTarget(name: "SiodCoreTests", dependencies: ["SiodCore", "RPC", "SioJSON", "SioProtocol", "TestSupport", "siod-state-writer"]),
        // Run by SiodCoreTests and killed with SIGKILL in the middle of its state writes.
        .executableTarget(name: "siod-state-writer", dependencies: ["SiodCore", "SioJSON"], path: "Tests/SiodStateWriter"),
        .testTarget(
            name: "RPCTests",
            dependencies: [
                "RPC", "SioJSON", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SioProtocolTests", dependencies: ["SioProtocol", "SioJSON"]),
        .testTarget(
            name: "SioClientTests",
            dependencies: [
                "SioClient", "SioProtocol", "SioJSON",
                "TestSupport",
                // TLS configurations (test CA, client certificates) for the TLS tests.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The Python fixture servers (python-socketio and our own fault, TLS, proxy fixtures)
        // and the helper that starts them, shared by the test targets.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Tests/TestSupport",
            resources: [.copy("Fixtures")]
        ),
        // siod driven through its socket: the daemon and siodctl as processes, python-socketio
        // as the server.
        .testTarget(
            name: "SiodTests",
            dependencies: ["TestSupport", "SioJSON", "siod", "siodctl", "siod-bench"]
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", "systemd-listen-fds-probe", .product(name: "Logging", package: "swift-log")]
        ),
        // Run by SystemdTests under systemd-socket-activate: prints what ListenFDs received.
        .executableTarget(
            name: "systemd-listen-fds-probe",
            dependencies: ["Systemd"],
            path: "Tests/SystemdListenFDsProbe"
        ),
    ]
)
