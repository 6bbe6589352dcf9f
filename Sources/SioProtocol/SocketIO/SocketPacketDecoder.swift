import SioJSON

/// Decodes Socket.IO packets from Engine.IO messages, reassembling binary packets across
/// messages (socket.io-parser `Decoder`, socket.io-protocol § Packet encoding).
///
/// Validation is the reference decoder's (`isPayloadValid`): CONNECT carries an object,
/// DISCONNECT nothing, EVENT a non-empty array whose first element is a number or a string that
/// is not a reserved name, ACK an array, CONNECT_ERROR an object or a string.
///
/// Decisions on the reference's lenient cases (`Decoder.decodeString`; docs/quirks.md
/// § Other decisions):
/// - `2` (EVENT without payload) decodes to a packet without data; sockets ignore it, as the
///   reference does.
/// - `3` (ACK without payload) decodes as an ACK with no arguments (docs/quirks.md #26: the
///   reference would crash on it).
/// - `2 ["x"]`: the reference reads the space as ack id 0 (`Number(" ") == 0`); here only digits
///   make an ack id, and the payload `["x"]` is an event without ack.
/// - `5-[…]`: the reference accepts an empty attachment count (`"" == 0`); here it is
///   ``SocketParseError/illegalAttachments``.
/// - `50-["x"]`: a binary packet with no attachments is delivered at once, as in the reference.
///
/// Event arguments are kept as the original JSON text: no value tree is built on this path,
/// except for binary packets, whose placeholders are checked when the last attachment arrives.
public struct SocketPacketDecoder: Sendable {
    /// The most attachments one packet may announce (reference default 10; docs/quirks.md #14: more
    /// is a parse error, which closes the whole connection, so the Manager makes it configurable).
    public var maxAttachments: Int

    /// A binary packet waiting for its attachments.
    private var reconstructing: Reconstruction?

    private struct Reconstruction: Sendable {
        var packet: SocketPacket
        var expected: Int
        var attachments: [[UInt8]]
    }

    public init(maxAttachments: Int = 10) {
        self.maxAttachments = maxAttachments
    }

    /// Whether a binary packet is waiting for attachments.
    public var isReconstructing: Bool { self.reconstructing != nil }

    /// Drops a half-assembled packet (socket.io-parser `Decoder.destroy`).
    public mutating func reset() {
        self.reconstructing = nil
    }

    /// Feeds one Engine.IO message; returns a packet when one is complete.
    public mutating func decode(_ message: EngineData) throws(SocketParseError) -> SocketPacket? {
        switch message {
        case .text(let text):
            return try self.decode(text: text)
        case .binary(let bytes):
            return try self.decode(attachment: bytes)
        }
    }

    /// Feeds a text message.
    public mutating func decode(text: String) throws(SocketParseError) -> SocketPacket? {
        if self.reconstructing != nil {
            self.reconstructing = nil
            throw .plaintextWhileReconstructing
        }
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(SocketParseError) -> (SocketPacket, Int) in
                try Self.parse(buffer, maxAttachments: self.maxAttachments)
            }
        }
        let (packet, attachmentCount) = try result.get()
        guard packet.type.isBinary, attachmentCount > 0 else { return packet }
        self.reconstructing = Reconstruction(packet: packet, expected: attachmentCount, attachments: [])
        return nil
    }

    /// Feeds a binary message: the next attachment of the packet being reconstructed.
    public mutating func decode(attachment: [UInt8]) throws(SocketParseError) -> SocketPacket? {
        guard var pending = self.reconstructing else { throw .binaryWhileNotReconstructing }
        pending.attachments.append(attachment)
        guard pending.attachments.count == pending.expected else {
            self.reconstructing = pending
            return nil
        }
        self.reconstructing = nil
        var packet = pending.packet
        switch packet.data {
        case .event(let name, let arguments):
            let complete = EventArguments(text: arguments.text, attachments: pending.attachments)
            try Self.checkPlaceholders(complete)
            packet.data = .event(name, complete)
        case .ack(let arguments):
            let complete = EventArguments(text: arguments.text, attachments: pending.attachments)
            try Self.checkPlaceholders(complete)
            packet.data = .ack(complete)
        case .json, nil:
            break
        }
        return packet
    }

    private static func checkPlaceholders(_ arguments: EventArguments) throws(SocketParseError) {
        do {
            _ = try arguments.values()
        } catch {
            throw .illegalAttachments
        }
    }
}

// MARK: - Parsing the text part

extension SocketPacketDecoder {
    /// Parses `<type>[<attachments>-][<namespace>,][<ack id>][<payload>]`; returns the packet and
    /// the number of attachments it announces.
    static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>, maxAttachments: Int
    ) throws(SocketParseError) -> (SocketPacket, Int) {
        let end = buffer.count
        guard end > 0, buffer[0] >= UInt8(ascii: "0"),
              let type = SocketPacketType(rawValue: buffer[0] &- UInt8(ascii: "0"))
        else { throw .unknownPacketType }
        var index = 1

        var attachmentCount = 0
        if type.isBinary {
            let start = index
            var count = 0
            while index < end, buffer[index] != UInt8(ascii: "-") {
                let digit = buffer[index] &- UInt8(ascii: "0")
                guard digit < 10, count <= (Int.max - 9) / 10 else { throw SocketParseError.illegalAttachments.at(index) }
                count = count * 10 + Int(digit)
                index += 1
            }
            guard index < end, index > start else { throw SocketParseError.illegalAttachments.at(index) }
            guard count <= maxAttachments else { throw SocketParseError.tooManyAttachments.at(start) }
            attachmentCount = count
            index += 1  // "-"
        }

        var namespace = "/"
        if index < end, buffer[index] == UInt8(ascii: "/") {
            let start = index
            while index < end, buffer[index] != UInt8(ascii: ",") { index += 1 }
            let bytes = UnsafeBufferPointer(rebasing: buffer[start..<index])
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw SocketParseError.invalidNamespace.at(start)
            }
            namespace = name
            if index < end { index += 1 }  // ","
        }

        var id: UInt64?
        if index < end, buffer[index] &- UInt8(ascii: "0") < 10 {
            var value: UInt64 = 0
            while index < end, case let digit = buffer[index] &- UInt8(ascii: "0"), digit < 10 {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                guard !o1, !o2 else { throw SocketParseError.invalidAckID.at(index) }
                value = sum
                index += 1
            }
            id = value
        }

        let payload = UnsafeBufferPointer(rebasing: buffer[index..<end])
        let data = try Self.payload(payload, for: type, offset: index)
        return (SocketPacket(type: type, namespace: namespace, id: id, data: data), attachmentCount)
    }

    /// Validates the payload for `type` and keeps it in wire form.
    private static func payload(
        _ payload: UnsafeBufferPointer<UInt8>, for type: SocketPacketType, offset: Int
    ) throws(SocketParseError) -> SocketPacketData? {
        if payload.isEmpty {
            switch type {
            case .ack, .binaryAck: return .ack(.empty)
            case .connect, .disconnect, .event, .binaryEvent, .connectError: return nil
            }
        }
        switch type {
        case .disconnect:
            throw SocketParseError.invalidPayload.at(offset)
        case .connect, .connectError:
            let raw: RawJSON
            do { raw = try RawJSON(validating: payload) } catch { throw SocketParseError.invalidPayload.at(offset) }
            let first = raw.bytes.first
            let valid = first == UInt8(ascii: "{") || (type == .connectError && first == UInt8(ascii: "\""))
            guard valid else { throw SocketParseError.invalidPayload.at(offset) }
            return .json(raw)
        case .event, .binaryEvent:
            guard let ranges = try? JSONScanner.scanArray(payload), let first = ranges.first else {
                throw SocketParseError.invalidPayload.at(offset)
            }
            let name: EventName
            switch payload[first.lowerBound] {
            case UInt8(ascii: "\""):
                guard let text = try? JSONScanner.decodeString(payload, first),
                      !EventName.reserved.contains(text)
                else { throw SocketParseError.invalidPayload.at(offset) }
                name = .string(text)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let text = String(decoding: UnsafeBufferPointer(rebasing: payload[first]), as: UTF8.self)
                name = .number(JSONNumber(unchecked: text))
            default:
                throw SocketParseError.invalidPayload.at(offset)
            }
            var arguments: [UInt8] = [UInt8(ascii: "[")]
            if ranges.count > 1, let last = ranges.last {
                let slice = UnsafeBufferPointer(rebasing: payload[ranges[1].lowerBound..<last.upperBound])
                arguments.reserveCapacity(slice.count + 2)
                arguments.append(contentsOf: slice)
            }
            arguments.append(UInt8(ascii: "]"))
            return .event(name, EventArguments(text: RawJSON(unchecked: arguments)))
        case .ack, .binaryAck:
            guard (try? JSONScanner.scanArray(payload)) != nil else {
                throw SocketParseError.invalidPayload.at(offset)
            }
            let raw: RawJSON
            do { raw = try RawJSON(validating: payload) } catch { throw SocketParseError.invalidPayload.at(offset) }
            return .ack(EventArguments(text: raw))
        }
    }
}
