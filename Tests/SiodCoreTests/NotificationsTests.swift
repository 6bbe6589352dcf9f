import SioJSON
import SioProtocol
import Testing
@testable import SiodCore

/// The notifications for each event, one line per event as the subscriber reads its params
/// (docs/rpc.md § Notifications), and the Manager's attempt counter carried between them.
@Suite struct NotificationsTests {
    private func line(_ notification: (method: String, params: JSONObject)?) -> String {
        guard let notification else { return "-" }
        var out: [UInt8] = []
        JSON.object(notification.params).write(to: &out)
        return notification.method + " " + String(decoding: out, as: UTF8.self)
    }

    @Test func socketEvents() {
        let transcript: [(SocketEvent, Bool, String)] = [
            (.connect(id: "sid1", recovered: false), true, #"socket.connect {"id":"sid1","recovered":false}"#),
            (.connectError(.refused(message: "not authorized", data: ["code": 4])), false,
             #"socket.connect_error {"message":"not authorized","data":{"code":4},"active":false}"#),
            (.connectError(.transport(TransportError(message: "xhr poll error", description: "503"))), true,
             #"socket.connect_error {"message":"xhr poll error","data":"503","active":true}"#),
            (.disconnect(.transportClose, description: nil), true, #"socket.disconnect {"reason":"transport close","active":true}"#),
            (.disconnect(.ioServerDisconnect, description: "bye"), false,
             #"socket.disconnect {"reason":"io server disconnect","details":"bye","active":false}"#),
            (.authRequested, true, "-"),
            (.eventsDropped(3), true, "-"),
        ]
        for (event, active, expected) in transcript {
            #expect(self.line(Notifications.socket(event, active: active)) == expected)
        }
    }

    @Test func managerEvents_carryTheAttempt() {
        var attempt = 0
        var lines: [String] = []
        let events: [ManagerEvent] = [
            .close(.transportClose, description: nil),
            .reconnectAttempt(1),
            .reconnectError(TransportError(message: "xhr poll error")),
            .reconnectAttempt(2),
            .reconnect(2),
            .reconnectFailed,
            .upgrade(.websocket),
            .ping,
            .drain,
            .error(TransportError(message: "xhr poll error", description: "503")),
            .close(.pingTimeout, description: nil),
            .close(.transportError, description: "websocket error"),
            .open,
        ]
        for event in events {
            let notification = Notifications.manager(event, attempt: &attempt)
            lines.append(notification.map { self.line(($0.method, $0.params)) + ($0.engineOnly ? " (engine)" : "") } ?? "-")
        }
        #expect(lines == [
            #"engine.close {"reason":"transport close"} (engine)"#,
            #"manager.reconnect_attempt {"attempt":1}"#,
            #"manager.reconnect_error {"attempt":1,"message":"xhr poll error"}"#,
            #"manager.reconnect_attempt {"attempt":2}"#,
            #"manager.reconnect {"attempt":2}"#,
            #"manager.reconnect_failed {"attempt":0}"#,
            #"manager.upgrade {"transport":"websocket"} (engine)"#,
            "manager.ping {} (engine)",
            "engine.drain {} (engine)",
            #"manager.error {"message":"xhr poll error: 503"} (engine)"#,
            #"engine.close {"reason":"ping timeout"} (engine)"#,
            #"engine.close {"reason":"transport error","description":"websocket error"} (engine)"#,
            "-",
        ])
    }

    @Test func enginePackets_neverShowACONNECTsAuth() {
        var attempt = 0
        let sent = Notifications.manager(.enginePacket(.sent, .message(.text(#"0{"token":"s3cret","sessionId":"abc"}"#))), attempt: &attempt)
        #expect(sent.map { self.line(($0.method, $0.params)) } == #"engine.packetCreate {"type":"message","data":"0{\"redacted\":\"auth\"}"}"#)
        let event = Notifications.manager(.enginePacket(.sent, .message(.text(#"20["e",1]"#))), attempt: &attempt)
        #expect(event.map { self.line(($0.method, $0.params)) } == #"engine.packetCreate {"type":"message","data":"20[\"e\",1]"}"#)
        let received = Notifications.manager(.enginePacket(.received, .ping("")), attempt: &attempt)
        #expect(received.map { self.line(($0.method, $0.params)) } == #"engine.packet {"type":"ping","data":""}"#)
    }
}
