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
        .library(name: "SioProtocol", targets: ["SioProtocol"]),
        .library(name: "SioJSON", targets: ["SioJSON"]),
    ],
    targets: [
        // The JSON value type shared by the protocol codecs and (later) the RPC layer.
        .target(name: "SioJSON"),
        .target(name: "SioProtocol", dependencies: ["SioJSON"]),
        .executableTarget(name: "siod", dependencies: ["SioProtocol"]),
        .executableTarget(
            name: "sioproto-bench",
            dependencies: ["SioProtocol"],
            path: "Benchmarks/sioproto-bench"
        ),
        .testTarget(name: "SioJSONTests", dependencies: ["SioJSON"]),
        .testTarget(name: "SioProtocolTests", dependencies: ["SioProtocol", "SioJSON"]),
    ]
)
