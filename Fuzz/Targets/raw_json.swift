// `RawJSON` validation, the parser's binary codecs (Socket.IO's `Attachments`, the RPC's
// `DollarBinary`), and number texts.
//
// Input: one byte choosing the codec (modulo 3: none, attachments, `$binary`), then for
// attachments a count byte and that many length-prefixed attachments, then the JSON text.
// The last eight bytes, read as a Double, also exercise `JSONNumber(Double)`.
//
// Checks, besides "never crashes":
// - `RawJSON(validating:)` accepts exactly what `JSON(parsing:)` accepts, keeps the text
//   without its surrounding whitespace, and `decode()` gives the parsed value;
// - a codec only turns objects into `.binary` or refuses them: what parses with one parses
//   without, and what fails without fails with it;
// - a value parsed with a codec, written back with it (placeholders and attachments, or
//   `$binary`), parses with it to the same value; `RawJSON(value)` re-validates;
// - `JSONNumber(text)` accepts exactly the texts the grammar does; `intValue` is exact; a
//   Double's ECMAScript text is a valid number that reads back as the same Double.

import RPC
import SioJSON
import SioProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRawJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let codec = input.byte() % 3
    let attachments = codec == 1 ? Attachments((0..<(input.byte() % 8)).map { _ in input.lengthPrefixed() }) : nil
    let text = input.rest()
    let shown = escaped(text)

    let plain = try? JSON(parsing: text)
    let raw = try? RawJSON(validating: text)
    check((plain == nil) == (raw == nil), "RawJSON and JSON disagree on \(shown)")
    if let raw, let plain {
        let trimmed = text.drop { isWhitespace($0) }.reversed().drop { isWhitespace($0) }.reversed()
        check(raw.bytes == Array(trimmed), "RawJSON kept \(escaped(raw.bytes)) of \(shown)")
        check((try? raw.decode()) == plain, "RawJSON.decode differs for \(shown)")
        let again = RawJSON(plain)
        check((try? RawJSON(validating: again.bytes)) == again, "RawJSON(value) does not validate: \(escaped(again.bytes))")
    }

    let options: JSONParseOptions
    switch codec {
    case 1: options = JSONParseOptions(binary: attachments)
    case 2: options = JSONParseOptions(binary: DollarBinary())
    default: options = JSONParseOptions()
    }
    let withOptions = try? JSON(parsing: text, options: options)
    if withOptions != nil { check(plain != nil, "parses only with a codec: \(shown)") }
    if plain == nil { check(withOptions == nil, "a codec made \(shown) parse") }
    if let value = withOptions {
        switch codec {
        case 1:
            var out: [UInt8] = []
            var written = Attachments()
            value.write(to: &out, binary: &written)
            let back = try? JSON(parsing: out, options: JSONParseOptions(binary: written))
            check(back == value, "placeholder round trip of \(shown) via \(escaped(out))")
        case 2:
            var out: [UInt8] = []
            value.writeRPC(to: &out)
            check((try? JSON(parsingRPC: out)) == value, "$binary round trip of \(shown) via \(escaped(out))")
        default:
            check(value == plain, "no codec, yet another value for \(shown)")
        }
    }

    checkNumber(text)
    if size >= 8 {
        let bits = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(data[size - 8 + $1]) }
        checkDouble(Double(bitPattern: bits))
    }
    return 0
}

private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

/// The whole text as a number literal.
private func checkNumber(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let number = JSONNumber(text)
    let isNumber: Bool
    if case .number? = try? JSON(parsing: bytes), bytes.first.map({ !isWhitespace($0) }) == true,
       bytes.last.map({ !isWhitespace($0) }) == true {
        isNumber = true
    } else {
        isNumber = false
    }
    check((number != nil) == isNumber, "JSONNumber and the parser disagree on \(escaped(bytes))")
    guard let number, let integer = number.intValue else { return }
    // An exact integer: the decimal value of the text. Compare through Double only where exact.
    if integer.magnitude < 1 << 53 {
        check(Double(integer) == number.doubleValue, "intValue \(integer) of \(escaped(bytes)) is not its value")
    }
}

private func checkDouble(_ value: Double) {
    guard let number = JSONNumber(value) else {
        check(!value.isFinite, "no text for the finite \(value)")
        return
    }
    check(JSONNumber(number.text) != nil, "ECMAScript text \(number.text) of \(value) is not a JSON number")
    check(number.doubleValue == value || (value == 0 && number.doubleValue == 0), "\(value) written as \(number.text)")
}
