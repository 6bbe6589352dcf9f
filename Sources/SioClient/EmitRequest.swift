import SioJSON
import SioProtocol

/// An emit on its way to the pump.
struct EmitRequest: Sendable {
    var namespace: String
    var name: EventName
    var arguments: EventArguments
    var options: EmitOptions
    var wantsAck: Bool
}

/// The pump's answer to an emit: refused, or its status and (when asked) the ack's outcome.
enum EmitReply: Sendable {
    case refused(ClientError)
    case done(EmitStatus, Result<EventArguments, ClientError>?)
}
