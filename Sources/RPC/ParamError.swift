/// A parameter of an RPC call that cannot be used: JSON-RPC `-32602 Invalid params`, naming
/// the parameter (``RPCError/invalidParams(_:_:)`` keeps it as ``RPCError/parameterError``).
public struct ParamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The parameter, as a path (`tls.ca`, `transports[1]`).
    public var parameter: String
    /// What is wrong with it.
    public var reason: String

    public init(_ parameter: String, _ reason: String) {
        self.parameter = parameter
        self.reason = reason
    }

    public var description: String { "invalid parameter \(self.parameter): \(self.reason)" }
}
