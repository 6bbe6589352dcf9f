// Shared by every fuzz target (compiled into each one): reading structured input out of the
// fuzzer's bytes, and failing loudly with a description libFuzzer prints next to the stack.

/// Reads values off the front of the fuzz input. Past the end every read gives zeros, so a
/// target never has to check lengths and a short input is still a valid (short) program.
struct FuzzInput {
    let bytes: [UInt8]
    private(set) var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        self.bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    var isAtEnd: Bool { self.index >= self.bytes.count }

    mutating func byte() -> UInt8 {
        guard self.index < self.bytes.count else { return 0 }
        defer { self.index += 1 }
        return self.bytes[self.index]
    }

    mutating func bool() -> Bool { self.byte() & 1 == 1 }

    /// A value in `0..<count` (`count` > 0), from one byte or two when the range needs it.
    mutating func int(below count: Int) -> Int {
        precondition(count > 0)
        if count <= 256 { return Int(self.byte()) % count }
        return (Int(self.byte()) << 8 | Int(self.byte())) % count
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[self.int(below: choices.count)]
    }

    /// One length byte, then that many bytes (fewer at the end of the input).
    mutating func lengthPrefixed() -> [UInt8] {
        self.take(Int(self.byte()))
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(self.bytes.count, self.index + count)
        defer { self.index = max(self.index, end) }
        return self.index < end ? Array(self.bytes[self.index..<end]) : []
    }

    mutating func rest() -> [UInt8] {
        self.take(self.bytes.count - self.index)
    }
}

/// Stops the run as a crash when an invariant does not hold; the message says which.
@inline(__always)
func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition {
        fatalError("fuzz invariant violated: \(message())", file: file, line: line)
    }
}

/// Bytes as an escaped string for failure messages, e.g. `"40{\"a\":1}\x1e"`.
func escaped(_ bytes: some Sequence<UInt8>) -> String {
    var out = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out + "\""
}

func escaped(_ text: String) -> String { escaped(text.utf8) }
