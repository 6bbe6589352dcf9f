import Foundation
import NIOSSL
import SioClient
import SioJSON
import SioProtocol
import Testing
import TestSupport

/// `Fixtures/tls_server.py` in one of its modes, with the certificates it generated (openssl CLI)
/// into a temporary directory before it listened.
struct TLSServer {
    enum Kind: String { case ca, mutual, selfsigned }

    let server: PythonServer
    let directory: TemporaryDirectory

    init(_ kind: Kind) async throws {
        let directory = try TemporaryDirectory()
        self.directory = directory
        self.server = try await PythonServer(["--dir", directory.path, "--mode", kind.rawValue], script: "tls_server")
    }

    /// `localhost`, not `127.0.0.1`: swift-websocket sends the URL's host as SNI, which NIOSSL
    /// refuses for an IP address (see `webSocket_toIPAddress_failsOnSNI`). The fixture listens on
    /// 127.0.0.1 only; a first try of ::1 is refused and the client falls back.
    var url: String { "https://localhost:\(self.server.port)" }
    var ipURL: String { "https://127.0.0.1:\(self.server.port)" }
    var caFile: String { self.directory.file("ca.pem") }

    /// Trusting the test CA only.
    var trustingCA: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(self.caFile)
        return tls
    }

    /// Trusting the test CA, presenting the client certificate it signed.
    func withClientCertificate() throws -> TLSConfiguration {
        var tls = self.trustingCA
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(self.directory.file("client.pem")).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: self.directory.file("client-key.pem"), format: .pem))
        return tls
    }

    func stop() { self.server.stop() }
}

/// TLS against python-socketio over aiohttp with `ssl.SSLContext`: a test CA, a client
/// certificate the server requires, and a self-signed server with and without verification.
@Suite(.enabled(if: PythonServer.available), .timeLimit(.minutes(2)))
struct TLSTests {
    private func options(_ mode: Mode, _ tls: TLSConfiguration?) -> ManagerOptions {
        var options = mode.options
        options.tls = tls
        options.reconnection = false
        options.timeout = .seconds(5)
        return options
    }

    /// Connects and round-trips an ack.
    private func connectsAndAcks(_ url: String, _ options: ManagerOptions) async throws {
        try await withManager(url, options) { manager in
            let (socket, events) = try await manager.connectedSocket()
            #expect(try await socket.emitWithAck("echo", ["over tls", 1], timeout: .seconds(5)) == ["over tls", 1])
        }
    }

    /// The first connect error, which must be a transport error of `mode`'s transport.
    private func failsWithTransportError(_ url: String, _ mode: Mode, _ options: ManagerOptions, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withManager(url, options) { manager in
            let socket = try manager.socket()
            let events = EventReader(socket.events)
            socket.connect()
            let error = try await events.first { $0.connectError }
            guard case .transport(let transport) = error else {
                Issue.record("expected a transport error, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(transport.message == (mode == .websocket ? "websocket error" : "xhr poll error"), sourceLocation: sourceLocation)
            #expect(!socket.connected && socket.id == nil, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [Mode.websocket, .polling])
    func trustedViaTestCA_connects(mode: Mode) async throws {
        let server = try await TLSServer(.ca)
        defer { server.stop() }
        try await self.connectsAndAcks(server.url, self.options(mode, server.trustingCA))
    }

    @Test func polling_toIPAddress_verifiesTheIPSubjectAltName() async throws {
        let server = try await TLSServer(.ca)
        defer { server.stop() }
        try await self.connectsAndAcks(server.ipURL, self.options(.polling, server.trustingCA))
    }

    /// `wss://<ip>`: no SNI for an IP address (RFC 6066 § 3), the certificate's IP subject
    /// alternative name verified, as over polling.
    @Test func webSocket_toIPAddress_verifiesTheIPSubjectAltName() async throws {
        let server = try await TLSServer(.ca)
        defer { server.stop() }
        try await self.connectsAndAcks(server.ipURL, self.options(.websocket, server.trustingCA))
    }

    @Test(arguments: [Mode.websocket, .polling])
    func testCA_notTrusted_byDefault_fails(mode: Mode) async throws {
        let server = try await TLSServer(.ca)
        defer { server.stop() }
        try await self.failsWithTransportError(server.url, mode, self.options(mode, nil))
    }

    @Test(arguments: [Mode.websocket, .polling])
    func clientCertificateRequired_presented_connects(mode: Mode) async throws {
        let server = try await TLSServer(.mutual)
        defer { server.stop() }
        try await withManager(server.url, self.options(mode, try server.withClientCertificate())) { manager in
            let (socket, events) = try await manager.connectedSocket()
            #expect(try await socket.emitWithAck("echo", ["mutual"], timeout: .seconds(5)) == ["mutual"])
            #expect(try await socket.emitWithAck("peer-cert", [], timeout: .seconds(5)) == ["siod test client"])
        }
    }

    @Test(arguments: [Mode.websocket, .polling])
    func clientCertificateRequired_missing_isTransportConnectError(mode: Mode) async throws {
        let server = try await TLSServer(.mutual)
        defer { server.stop() }
        try await self.failsWithTransportError(server.url, mode, self.options(mode, server.trustingCA))
    }

    @Test(arguments: [Mode.websocket, .polling])
    func selfSigned_verificationOff_connects(mode: Mode) async throws {
        let server = try await TLSServer(.selfsigned)
        defer { server.stop() }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        try await self.connectsAndAcks(server.url, self.options(mode, tls))
    }

    @Test(arguments: [Mode.websocket, .polling])
    func selfSigned_defaultVerification_isTransportConnectError(mode: Mode) async throws {
        let server = try await TLSServer(.selfsigned)
        defer { server.stop() }
        try await self.failsWithTransportError(server.url, mode, self.options(mode, nil))
        try await self.failsWithTransportError(server.url, mode, self.options(mode, .makeClientConfiguration()))
    }
}
