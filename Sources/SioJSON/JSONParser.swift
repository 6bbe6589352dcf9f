/// Builds a ``JSON`` tree from bytes in one pass, using the scanner's grammar.
///
/// Recursion is bounded by ``JSONScanner/maximumDepth``. Objects are checked for Socket.IO
/// objects that stand for bytes as they close, as the options ask.
struct JSONParser {
    private let buffer: UnsafeBufferPointer<UInt8>
    private let options: JSONParseOptions
    private var index: Int

    /// Parses the whole buffer as one value with optional surrounding whitespace.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) throws(JSONError) -> JSON {
        var parser = JSONParser(buffer: buffer, options: options, index: JSONScanner.skipWhitespace(buffer, from: 0))
        let value = try parser.parseValue(depth: 0)
        try JSONScanner.expectEnd(buffer, from: parser.index)
        return value
    }

    /// Runs `body` on the bytes of `bytes`, contiguous without copying when they already are.
    static func withBuffer<Result>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws(JSONError) -> Result
    ) throws(JSONError) -> Result {
        let outcome: Swift.Result<Result, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(JSONError) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        if let outcome {
            return try outcome.get()
        }
        let copy = Array(bytes)
        let copied: Swift.Result<Result, JSONError> = copy.withUnsafeBufferPointer { buffer in
            do throws(JSONError) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try copied.get()
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSON {
        let start = self.index
        guard start < self.buffer.count else {
            throw JSONError(.unexpectedEnd, at: self.buffer.count)
        }
        switch self.buffer[start] {
        case UInt8(ascii: "\""):
            return .string(try self.parseString())
        case UInt8(ascii: "{"):
            return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return .array(try self.parseArray(depth: depth + 1))
        case UInt8(ascii: "t"):
            self.index = try JSONScanner.scanLiteral(self.buffer, at: start, "true")
            return .bool(true)
        case UInt8(ascii: "f"):
            self.index = try JSONScanner.scanLiteral(self.buffer, at: start, "false")
            return .bool(false)
        case UInt8(ascii: "n"):
            self.index = try JSONScanner.scanLiteral(self.buffer, at: start, "null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let end = try JSONScanner.scanNumber(self.buffer, at: start)
            self.index = end
            let text = String(decoding: UnsafeBufferPointer(rebasing: self.buffer[start..<end]), as: UTF8.self)
            return .number(JSONNumber(unchecked: text))
        case let byte:
            throw JSONError(.unexpectedByte, at: start, byte: byte)
        }
    }

    /// The string whose opening quote is at `index`.
    private mutating func parseString() throws(JSONError) -> String {
        let start = self.index
        let (end, hasEscapes) = try JSONScanner.scanString(self.buffer, at: start)
        self.index = end
        return JSONScanner.decodeContent(self.buffer, from: start + 1, to: end - 1, hasEscapes: hasEscapes)
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> [JSON] {
        guard depth <= JSONScanner.maximumDepth else {
            throw JSONError(.tooDeep, at: self.index)
        }
        var elements: [JSON] = []
        self.index = JSONScanner.skipWhitespace(self.buffer, from: self.index + 1)
        if self.index < self.buffer.count, self.buffer[self.index] == UInt8(ascii: "]") {
            self.index += 1
            return elements
        }
        while true {
            elements.append(try self.parseValue(depth: depth))
            let next = try JSONScanner.afterElement(self.buffer, at: self.index, closing: UInt8(ascii: "]"))
            self.index = next.index
            if next.closed {
                return elements
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSON {
        let start = self.index
        guard depth <= JSONScanner.maximumDepth else {
            throw JSONError(.tooDeep, at: start)
        }
        var members: [JSONObject.Member] = []
        self.index = JSONScanner.skipWhitespace(self.buffer, from: start + 1)
        if self.index < self.buffer.count, self.buffer[self.index] == UInt8(ascii: "}") {
            self.index += 1
            return .object(JSONObject())
        }
        while true {
            guard self.index < self.buffer.count else {
                throw JSONError(.unexpectedEnd, at: self.buffer.count)
            }
            guard self.buffer[self.index] == UInt8(ascii: "\"") else {
                throw JSONError(.unexpectedByte, at: self.index, byte: self.buffer[self.index])
            }
            let key = try self.parseString()
            self.index = try JSONScanner.scanKey(self.buffer, at: self.index, afterString: true)
            members.append(JSONObject.Member(key: key, value: try self.parseValue(depth: depth)))
            let next = try JSONScanner.afterElement(self.buffer, at: self.index, closing: UInt8(ascii: "}"))
            self.index = next.index
            if next.closed {
                return try self.finish(JSONObject(members: members), at: start)
            }
        }
    }

    // MARK: - Binary

    /// Replaces an object that stands for bytes by `.binary`, as the options' format says.
    private func finish(_ object: JSONObject, at start: Int) throws(JSONError) -> JSON {
        if let binary = self.options.binary {
            do throws(JSONBinaryError) {
                if let bytes = try binary.bytes(of: object) { return .binary(bytes) }
            } catch {
                throw JSONError(.invalidBinary(error.reason), at: start)
            }
        }
        return .object(object)
    }
}
