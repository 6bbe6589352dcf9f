import SioJSON
import SioProtocol

/// An emit on its way to the driver.
struct EmitRequest: Sendable {
    var namespace: String
    var name: EventName
    var arguments: EventArguments
    var options: EmitOptions
    var wantsAck: Bool
}

/// The driver's answer to an emit: refused, or its status and (when asked) the ack's outcome.
enum EmitReply: Sendable {
    case refused(ClientError)
    case done(EmitStatus, Result<EventArguments, ClientError>?)
}

/// Called once with an emit's reply, on the Manager's event loop.
typealias EmitCompletion = @Sendable (EmitReply) -> Void
