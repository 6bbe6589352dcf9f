/// A parameter of an RPC call that siod cannot use: JSON-RPC `-32602 Invalid params`, naming
/// the parameter.
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
