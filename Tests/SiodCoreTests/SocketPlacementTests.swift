import SioJSON
import Testing
@testable import SiodCore

/// The multiplexing rule of docs/rpc.md § `socket.open`, as `io()` applies it.
@Suite struct SocketPlacementTests {
    private func connection(_ url: String = "http://h:1", _ extra: JSONObject = [:]) throws -> ConnectionOptions {
        var params: JSONObject = ["socket": "x", "url": .string(url)]
        for member in extra { params[member.key] = member.value }
        return try SocketOpenRequest(params: .object(params)).connection
    }

    @Test func sameOptions_shareAManager_whileTheNamespaceIsFree() throws {
        var placement = SocketPlacement()
        let first = try placement.place(name: "a", namespace: "/", connection: try self.connection(), forceNew: false)
        guard case .created(let manager) = first else { Issue.record("\(first)"); return }
        #expect(try placement.place(name: "b", namespace: "/admin", connection: try self.connection(), forceNew: false) == .joined(manager))
        // The namespace `/` is held by `a`, connected or not: a second `/` needs a new connection.
        let third = try placement.place(name: "c", namespace: "/", connection: try self.connection(), forceNew: false)
        guard case .created(let other) = third else { Issue.record("\(third)"); return }
        #expect(other != manager)
        // The first Manager with a free namespace wins.
        #expect(try placement.place(name: "d", namespace: "/chat", connection: try self.connection(), forceNew: false) == .joined(manager))
        #expect(placement.sockets(on: manager) == ["a", "b", "d"])
    }

    @Test func otherOptions_orForceNew_makeANewManager_andForceNewOnesStayPrivate() throws {
        var placement = SocketPlacement()
        let base = try placement.place(name: "a", namespace: "/", connection: try self.connection(), forceNew: false).manager
        let websocket = try placement.place(name: "b", namespace: "/x", connection: try self.connection("http://h:1", ["transports": ["websocket"]]), forceNew: false)
        #expect(websocket.manager != base)
        let forced = try placement.place(name: "c", namespace: "/y", connection: try self.connection(), forceNew: true)
        #expect(forced.manager != base)
        #expect(try placement.place(name: "d", namespace: "/z", connection: try self.connection(), forceNew: false) == .joined(base))
        #expect(placement.sockets(on: forced.manager) == ["c"], "nobody joins a forceNew manager")
    }

    /// A closed socket's namespace is not taken again on its Manager (`io()`'s `sameNamespace`):
    /// an event the server sent the closed socket, still on its way, names only the namespace
    /// and would reach the new socket.
    @Test func removing_leavesTheNamespaceTaken_andReportsAnEmptyManager() throws {
        var placement = SocketPlacement()
        let manager = try placement.place(name: "a", namespace: "/", connection: try self.connection(), forceNew: false).manager
        _ = try placement.place(name: "b", namespace: "/admin", connection: try self.connection(), forceNew: false)
        #expect(placement.remove(name: "a")! == (manager, false))
        let other = try placement.place(name: "a2", namespace: "/", connection: try self.connection(), forceNew: false)
        #expect(other != .joined(manager))
        #expect(try placement.place(name: "c", namespace: "/c", connection: try self.connection(), forceNew: false) == .joined(manager))
        _ = placement.remove(name: "a2")
        _ = placement.remove(name: "c")
        #expect(placement.remove(name: "b")! == (manager, true))
        #expect(placement.remove(name: "b") == nil)
        #expect(placement.manager(of: "b") == nil)
    }

    @Test func names_areUnique() throws {
        var placement = SocketPlacement()
        _ = try placement.place(name: "a", namespace: "/", connection: try self.connection(), forceNew: false)
        #expect(throws: PlacementError.nameInUse("a")) {
            try placement.place(name: "a", namespace: "/other", connection: try self.connection(), forceNew: false)
        }
    }
}
