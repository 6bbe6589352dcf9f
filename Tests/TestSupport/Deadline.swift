/// `body`'s result, or ``DeadlinePassed`` once `bound` has passed: every wait in the tests
/// goes through here (or through a socket's receive timeout), so none can hang. `body` is
/// cancelled at the deadline and must end when cancelled (a stream's `next()` does).
public func withDeadline<T: Sendable>(
    _ bound: Duration, _ what: @autoclosure () -> String = "the event",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: bound)
            throw DeadlinePassed(description: "\(description) did not come within \(bound)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

public struct DeadlinePassed: Error, CustomStringConvertible {
    public var description: String
}
