import RPC
import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// `socket.open` params: the reference client's names and defaults, errors naming the parameter,
/// and the multiplexing key.
@Suite struct SocketOpenRequestTests {
    private func request(_ params: JSON) throws -> SocketOpenRequest { try SocketOpenRequest(params: params) }

    private func expectError(_ params: JSON, parameter: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            try SocketOpenRequest(params: params)
        } throws: { error in
            (error as? RPCError)?.parameterError?.parameter == parameter
        }
    }

    @Test func defaults_areTheReferenceClients() throws {
        let request = try self.request(["socket": "chat", "url": "http://127.0.0.1:3000"])
        #expect(request.name == "chat")
        #expect(request.namespace == "/")
        #expect(request.auth == [:])
        #expect(request.session == .key("sessionId"))
        #expect(request.lifetime == .daemon)
        #expect(request.autoConnect && !request.forceNew)
        let connection = request.connection
        #expect(connection.url == "http://127.0.0.1:3000")
        #expect(connection.path == "/socket.io")
        #expect(connection.transports == [.polling, .websocket])
        #expect(connection.upgrade && !connection.rememberUpgrade && !connection.tryAllTransports)
        #expect(connection.timeout == 20000 && connection.reconnection && connection.reconnectionAttempts == nil)
        #expect(connection.reconnectionDelay == 1000 && connection.reconnectionDelayMax == 5000)
        #expect(connection.randomizationFactor == 0.5)
        #expect(connection.proxy == .environment && connection.tls == nil)
        let options = try connection.managerOptions()
        #expect(options.path == "/socket.io" && options.timeout == .milliseconds(20000))
    }

    @Test func everyOption_isRead() throws {
        let request = try self.request([
            "socket": "s", "url": "wss://example.com:8443/admin?room=1", "auth": ["token": "t"],
            "session": ["key": "sid"], "lifetime": "persistent", "autoConnect": false, "ackTimeout": 500, "retries": 3,
            "multiplex": false, "path": "/io", "query": ["v": 2], "extraHeaders": ["x-a": "1"],
            "transports": ["websocket"], "upgrade": false, "rememberUpgrade": true, "tryAllTransports": true,
            "timestampRequests": true, "timeout": false, "reconnection": false, "reconnectionAttempts": 4,
            "reconnectionDelay": 10, "reconnectionDelayMax": 20, "randomizationFactor": 0, "perMessageDeflate": true,
            "tls": ["rejectUnauthorized": false], "proxy": "http://proxy:3128",
        ])
        #expect(request.namespace == "/admin", "the URL's path is the namespace, as io() reads it")
        #expect(request.session == .key("sid") && request.lifetime == .persistent && !request.autoConnect)
        #expect(request.ackTimeout == 500 && request.retries == 3 && request.forceNew)
        let connection = request.connection
        #expect(connection.url == "wss://example.com:8443")
        #expect(connection.query == [.init(name: "room", value: "1"), .init(name: "v", value: "2")])
        #expect(connection.extraHeaders == [.init(name: "x-a", value: "1")])
        #expect(connection.transports == [.websocket] && !connection.upgrade && connection.rememberUpgrade)
        #expect(connection.timeout == nil && !connection.reconnection && connection.reconnectionAttempts == 4)
        #expect(connection.proxy == .server(host: "proxy", port: 3128))
        let options = try connection.managerOptions()
        #expect(options.tls?.certificateVerification == .some(.none))
        #expect(options.proxy == .init(host: "proxy", port: 3128))
    }

    @Test func badParams_nameTheParameter() {
        self.expectError(["url": "http://h"], parameter: "socket")
        self.expectError(["socket": "s"], parameter: "url")
        self.expectError(["socket": "s", "url": "localhost:3000"], parameter: "url")
        self.expectError(["socket": "s", "url": "ftp://h"], parameter: "url")
        self.expectError(["socket": "s", "url": "http://h", "namespace": "admin"], parameter: "namespace")
        self.expectError(["socket": "s", "url": "http://h", "auth": "token"], parameter: "auth")
        self.expectError(["socket": "s", "url": "http://h", "lifetime": "forever"], parameter: "lifetime")
        self.expectError(["socket": "s", "url": "http://h", "transports": ["carrier-pigeon"]], parameter: "transports[0]")
        self.expectError(["socket": "s", "url": "http://h", "reconnectionDelay": -1], parameter: "reconnectionDelay")
        self.expectError(["socket": "s", "url": "http://h", "reconnectionDelay": 1.5], parameter: "reconnectionDelay")
        self.expectError(["socket": "s", "url": "http://h", "randomizationFactor": 2], parameter: "randomizationFactor")
        self.expectError(["socket": "s", "url": "http://h", "reconectionDelay": 5], parameter: "reconectionDelay")
        self.expectError(["socket": "s", "url": "http://h", "tls": ["cert": "/c.pem"]], parameter: "tls.key")
        self.expectError(["socket": "s", "url": "http://h", "tls": ["ca": 1]], parameter: "tls.ca")
        self.expectError(["socket": "s", "url": "http://h", "query": ["a": ["b"]]], parameter: "query.a")
        self.expectError("not an object", parameter: "params")
    }

    /// One reader for every method: a mistake gets the same error from `socket.open` as from
    /// any other method, and a null counts as absent everywhere.
    @Test func mistakes_getTheSameErrorsAsEveryOtherMethod() throws {
        let open = { (params: JSON) -> RPCError? in
            do { _ = try SocketOpenRequest(params: params); return nil } catch { return error as? RPCError }
        }
        let emit = try RPCParams(["volatile": "yes", "timeout": 1.5, "args": "x", "n": -1])
        #expect(open(["socket": "s", "url": "http://h", "autoConnect": "yes"])?.parameterError?.reason == self.reason { () throws(RPCError) in try emit.optionalBool("volatile") })
        #expect(open(["socket": "s", "url": "http://h", "timeout": 1.5])?.parameterError?.reason == self.reason { () throws(RPCError) in try emit.optionalInt("timeout") })
        #expect(open(["socket": "s", "url": "http://h", "retries": -1])?.parameterError?.reason == self.reason { () throws(RPCError) in try emit.optionalInt("n", minimum: 0) })
        #expect(open(["socket": "s", "url": "http://h", "auth": "x"])?.parameterError?.reason == "must be an object")
        #expect(open(["socket": "s", "url": "http://h", "namespace": .null, "auth": .null, "tls": .null]) == nil, "null is absent")
        #expect(open(.null)?.parameterError == ParamError("socket", "is required"), "null params are {}, as for every method")
        #expect(throws: Never.self) { try RPCParams(.null) }
    }

    private func reason(_ body: () throws(RPCError) -> Any?) -> String? {
        do { _ = try body(); return nil } catch { return error.parameterError?.reason }
    }

    @Test func tlsContents_thatAreNotPEM_nameTheParameter() throws {
        let request = try self.request(["socket": "s", "url": "https://h", "tls": ["ca": "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"]])
        #expect(request.connection.tls?.paths == [], "contents, not a path")
        #expect(throws: RPCError.invalidParams("tls.ca", "is not a PEM certificate")) { try request.connection.managerOptions() }
        let byPath = try self.request(["socket": "s", "url": "https://h", "tls": ["ca": "/etc/ca.pem", "cert": "/c", "key": "-----BEGIN KEY"]])
        #expect(byPath.connection.tls?.paths == ["tls.ca", "tls.cert"])
    }

    @Test func missingTLSFiles_nameTheParameter() throws {
        let request = try self.request(["socket": "s", "url": "https://h", "tls": ["ca": "/nonexistent/ca.pem"]])
        #expect(throws: RPCError.invalidParams("tls.ca", "cannot read /nonexistent/ca.pem")) { try request.connection.managerOptions() }
    }

    @Test func multiplexing_sameConnectionOptions_shareAKey() throws {
        let a = try self.request(["socket": "a", "url": "http://h:1", "namespace": "/a", "auth": ["x": 1], "lifetime": "connection"])
        let b = try self.request(["socket": "b", "url": "http://h:1/b", "session": false])
        let c = try self.request(["socket": "c", "url": "http://h:1", "transports": ["websocket"]])
        #expect(a.connection == b.connection, "namespace, auth, session and lifetime are not connection options")
        #expect(a.connection != c.connection)
        #expect(b.namespace == "/b")
    }
}
