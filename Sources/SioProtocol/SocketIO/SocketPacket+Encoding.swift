import SioJSON

// socket.io-parser `Encoder.encodeAsString` / `encode` (socket.io-protocol § Packet encoding).
extension SocketPacket {
    /// The packet as Engine.IO message payloads: its text, then one binary message per attachment
    /// (socket.io-protocol § Binary packets).
    public func encoded() -> [EngineData] {
        let attachments = self.attachments
        var messages: [EngineData] = [.text(self.encodedText)]
        if !attachments.isEmpty {
            messages.reserveCapacity(1 + attachments.count)
            for attachment in attachments {
                messages.append(.binary(attachment))
            }
        }
        return messages
    }

    /// The text part: `<type>[<attachments>-][<namespace>,][<ack id>][<payload>]`.
    public var encodedText: String {
        var out: [UInt8] = []
        out.reserveCapacity(self.estimatedPayloadSize + self.namespace.utf8.count + 24)
        out.append(UInt8(ascii: "0") + self.type.rawValue)
        if self.type.isBinary {
            Self.appendDecimal(UInt64(self.attachments.count), to: &out)
            out.append(UInt8(ascii: "-"))
        }
        if self.namespace != "/" {
            out.append(contentsOf: self.namespace.utf8)
            out.append(UInt8(ascii: ","))
        }
        if let id = self.id {
            Self.appendDecimal(id, to: &out)
        }
        switch self.data {
        case .json(let raw):
            out.append(contentsOf: raw.bytes)
        case .event(let name, let arguments):
            out.append(UInt8(ascii: "["))
            name.json.write(to: &out)
            let inner = arguments.innerBytes
            if inner.contains(where: { !Self.isWhitespace($0) }) {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: inner)
            }
            out.append(UInt8(ascii: "]"))
        case .ack(let arguments):
            out.append(contentsOf: arguments.text.bytes)
        case nil:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    private var estimatedPayloadSize: Int {
        switch self.data {
        case .json(let raw): raw.bytes.count
        case .event(_, let arguments), .ack(let arguments): arguments.text.bytes.count + 32
        case nil: 0
        }
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        out.append(contentsOf: String(value).utf8)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

extension EventArguments {
    /// The bytes between the array's brackets.
    var innerBytes: ArraySlice<UInt8> {
        let bytes = self.text.bytes
        guard bytes.count >= 2 else { return [] }
        return bytes[(bytes.startIndex + 1)..<(bytes.endIndex - 1)]
    }
}
