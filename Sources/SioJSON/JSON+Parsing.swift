// Parsing JSON text (RFC 8259) into values.

extension JSON {
    /// Parses UTF-8 bytes holding exactly one JSON value, with optional whitespace around it.
    ///
    /// Strict RFC 8259: no comments, trailing commas, leading zeros, `NaN`, single quotes, or
    /// invalid UTF-8; nesting beyond ``JSONScanner/maximumDepth`` throws. A lone surrogate
    /// escape such as `\ud800` decodes as U+FFFD. Contiguous input is read in place.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONError) {
        try self.init(parsing: bytes, options: JSONParseOptions())
    }

    /// Parses a JSON text, as ``init(parsing:)-(Collection<UInt8>)`` does its UTF-8.
    public init(parsing text: String) throws(JSONError) {
        var text = text
        let outcome: Result<JSON, JSONError> = text.withUTF8 { buffer in
            do throws(JSONError) {
                return .success(try JSONParser.parse(buffer, options: JSONParseOptions()))
            } catch {
                return .failure(error)
            }
        }
        self = try outcome.get()
    }

    /// Parses UTF-8 bytes as ``init(parsing:)-(Collection<UInt8>)`` does, turning Socket.IO
    /// placeholders and `$binary` objects into `.binary` as `options` asks.
    public init(parsing bytes: some Collection<UInt8>, options: JSONParseOptions) throws(JSONError) {
        self = try JSONParser.withBuffer(bytes) { buffer throws(JSONError) in
            try JSONParser.parse(buffer, options: options)
        }
    }
}
