// Writing values as compact JSON text, as JavaScript's `JSON.stringify` does.

extension JSON {
    /// Appends the compact JSON text of this value to `out` (see ``serialized``).
    public func write(to out: inout [UInt8]) {
        var binary = NodeBufferBinary()
        JSONWriter.write(self, to: &out, binary: &binary)
    }

    /// Appends the compact JSON text of this value to `out`, each `.binary` as `binary` writes
    /// it (depth-first, arrays in order, objects in member order).
    public func write(to out: inout [UInt8], binary: inout some JSONBinaryCoding) {
        JSONWriter.write(self, to: &out, binary: &binary)
    }

    /// The compact JSON text, exactly as `JSON.stringify` writes it: no whitespace; `"`, `\`
    /// and control characters escaped, `/` and non-ASCII as they are; numbers as their text;
    /// `.binary` as a Node.js `Buffer`: `{"type":"Buffer","data":[…]}`.
    public var serialized: String {
        var out: [UInt8] = []
        self.write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSON: CustomStringConvertible {
    /// The compact JSON text (``serialized``).
    public var description: String {
        self.serialized
    }
}
