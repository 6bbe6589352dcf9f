import Testing
@testable import SioProtocol

// docs/behaviour.md § Request URL (key order as the reference client writes it).

@Suite struct EngineIOURLTests {
    @Test func url_pollingHandshake_defaultPathAndTimestamp() {
        let url = EngineURL(secure: false, host: "localhost", port: 3000, query: [("x", "42")])
        #expect(url.string(transport: .polling, timestamp: "mxyh27tc", sid: nil) == "http://localhost:3000/socket.io/?x=42&EIO=4&transport=polling&t=mxyh27tc")
        #expect(
            url.string(transport: .polling, timestamp: "mxyiglzi", sid: "ejrn")
                == "http://localhost:3000/socket.io/?x=42&EIO=4&transport=polling&t=mxyiglzi&sid=ejrn"
        )
    }

    @Test func url_webSocket_hasNoTimestampByDefault() {
        let url = EngineURL(secure: false, host: "localhost", port: 3000, query: [("x", "42")])
        #expect(url.string(transport: .websocket, timestamp: "rnd", sid: "ejrn") == "ws://localhost:3000/socket.io/?x=42&EIO=4&transport=websocket&sid=ejrn")
    }

    /// What a hand-written WebSocket upgrade sends: the request line's target and the Host header.
    @Test func requestTargetAndAuthority_areTheURLsParts() {
        let url = EngineURL(secure: true, host: "::1", port: 8443, query: [("x", "4 2")])
        #expect(url.authority == "[::1]:8443")
        #expect(url.requestTarget(transport: .websocket, timestamp: "r", sid: "s") == "/socket.io/?x=4%202&EIO=4&transport=websocket&sid=s")
        #expect(url.string(transport: .websocket, timestamp: "r", sid: "s") == "wss://[::1]:8443/socket.io/?x=4%202&EIO=4&transport=websocket&sid=s")
        #expect(EngineURL(secure: false, host: "h", port: 80).authority == "h")
    }

    @Test func url_timestampRequests_rules() {
        var url = EngineURL(secure: true, host: "example.com", timestampRequests: true)
        #expect(url.string(transport: .websocket, timestamp: "r", sid: nil) == "wss://example.com/socket.io/?EIO=4&transport=websocket&t=r")
        #expect(url.string(transport: .polling, timestamp: "r", sid: nil) == "https://example.com/socket.io/?EIO=4&transport=polling&t=r")
        url.timestampRequests = false
        #expect(url.string(transport: .polling, timestamp: "r", sid: nil) == "https://example.com/socket.io/?EIO=4&transport=polling")
        url.timestampParam = "ts"
        url.timestampRequests = nil
        #expect(url.string(transport: .polling, timestamp: "r", sid: nil) == "https://example.com/socket.io/?EIO=4&transport=polling&ts=r")
    }

    @Test func url_defaultPorts_areOmitted() {
        #expect(EngineURL(secure: true, host: "h", port: 443).string(transport: .polling, timestamp: "r", sid: nil).hasPrefix("https://h/socket.io/?"))
        #expect(EngineURL(secure: false, host: "h", port: 80).string(transport: .websocket, timestamp: "r", sid: nil).hasPrefix("ws://h/socket.io/?"))
        #expect(EngineURL(secure: true, host: "h", port: 80).string(transport: .polling, timestamp: "r", sid: nil).hasPrefix("https://h:80/socket.io/?"))
        #expect(EngineURL(secure: false, host: "h", port: 443).string(transport: .websocket, timestamp: "r", sid: nil).hasPrefix("ws://h:443/socket.io/?"))
    }

    @Test func url_ipv6Host_isBracketed() {
        #expect(EngineURL(secure: false, host: "::1", port: 8080).string(transport: .polling, timestamp: "r", sid: nil).hasPrefix("http://[::1]:8080/socket.io/?"))
        #expect(EngineURL(secure: false, host: "[::1]").string(transport: .polling, timestamp: "r", sid: nil).hasPrefix("http://[::1]/socket.io/?"))
    }

    @Test func url_path_isNormalised() {
        func path(_ path: String, slash: Bool) -> String {
            EngineURL(secure: false, host: "h", path: path, addTrailingSlash: slash, timestampRequests: false)
                .string(transport: .polling, timestamp: "", sid: nil)
        }
        #expect(path("/socket.io", slash: true) == "http://h/socket.io/?EIO=4&transport=polling")
        #expect(path("/socket.io/", slash: true) == "http://h/socket.io/?EIO=4&transport=polling")
        #expect(path("/socket.io/", slash: false) == "http://h/socket.io?EIO=4&transport=polling")
        #expect(path("/engine.io", slash: false) == "http://h/engine.io?EIO=4&transport=polling")
    }

    @Test func url_queryIsEncodeURIComponentAndReservedNamesAreOurs() {
        let url = EngineURL(
            secure: false,
            host: "h",
            query: [("a b", "c&d=e"), ("u", "€/?#"), ("safe", "-_.!~*'()"), ("EIO", "3"), ("sid", "x"), ("t", "y")],
            timestampRequests: false
        )
        #expect(
            url.string(transport: .polling, timestamp: "r", sid: "S+1")
                == "http://h/socket.io/?a%20b=c%26d%3De&u=%E2%82%AC%2F%3F%23&safe=-_.!~*'()&EIO=4&transport=polling&sid=S%2B1"
        )
    }
}
