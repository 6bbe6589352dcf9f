// The SioJSON scanner and parser, against each other and against Foundation's
// `JSONSerialization` (`.fragmentsAllowed`).
//
// Checks, besides "never crashes":
// - the tree parser (`JSON(parsing:)`), the validating scanner (`RawJSON(validating:)`,
//   `JSONScanner.scanArray`) agree on valid/invalid and on the error code; `kind(of:)` names
//   the parsed value's kind; the ranges of `scanArray` parse to the array's elements and
//   `decodeString` decodes its string elements as the parser does;
// - serializing a parsed value and parsing it again gives the same value and the same text;
// - Foundation agrees on valid/invalid and, where both accept, on the value, except for the
//   differences listed in Fuzz/README.md § Known differences, each recognised below by what
//   causes it; any other disagreement stops the run.

import Foundation
import SioJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONDiff(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let ours = parse(bytes)
    checkScanner(bytes, against: ours)
    if case .success(let value) = ours {
        checkSerialization(value)
    }
    compareWithFoundation(bytes, ours)
    return 0
}

private func parse(_ bytes: [UInt8]) -> Result<JSON, JSONError> {
    do throws(JSONError) {
        return .success(try JSON(parsing: bytes))
    } catch {
        return .failure(error)
    }
}

// MARK: - SioJSON against itself

private func checkScanner(_ bytes: [UInt8], against ours: Result<JSON, JSONError>) {
    let input = escaped(bytes)
    let raw: Result<RawJSON, JSONError>
    do throws(JSONError) { raw = .success(try RawJSON(validating: bytes)) } catch { raw = .failure(error) }
    switch (ours, raw) {
    case (.success, .success), (.failure, .failure):
        break
    default:
        check(false, "parser says \(ours), scanner says \(raw) for \(input)")
    }
    if case .failure(let parseError) = ours, case .failure(let scanError) = raw {
        check(parseError.code == scanError.code, "parser error \(parseError), scanner error \(scanError) for \(input)")
    }

    bytes.withUnsafeBufferPointer { buffer in
        let ranges: Result<[Range<Int>]?, JSONError>
        do throws(JSONError) { ranges = .success(try JSONScanner.scanArray(buffer)) } catch { ranges = .failure(error) }
        guard case .success(let value) = ours else {
            check(ranges.isFailure, "scanArray accepts what the parser refuses: \(input)")
            return
        }
        check(JSONScanner.kind(of: buffer) == kind(of: value), "kind(of:) is wrong for \(input)")
        guard case .success(let found) = ranges else {
            check(false, "scanArray refuses what the parser accepts: \(input)")
            return
        }
        guard case .array(let elements) = value else {
            check(found == nil, "scanArray returned ranges for a non-array: \(input)")
            return
        }
        check(found?.count == elements.count, "scanArray found \(found?.count ?? -1) elements, the parser \(elements.count): \(input)")
        for (range, element) in zip(found ?? [], elements) {
            let slice = Array(bytes[range])
            check((try? JSON(parsing: slice)) == element, "element \(escaped(slice)) parses differently alone: \(input)")
            if case .string(let text) = element {
                let decoded = try? JSONScanner.decodeString(buffer, range)
                check(decoded.map { Array($0.unicodeScalars) } == Array(text.unicodeScalars), "decodeString differs for \(escaped(slice))")
            }
        }
    }
}

private func kind(of value: JSON) -> JSONKind {
    switch value {
    case .null: .null
    case .bool: .bool
    case .number: .number
    case .string: .string
    case .array: .array
    case .object: .object
    case .binary: .object  // never produced without options
    }
}

/// Writing is the parser's inverse: the text of a value parses back to it and writes the same.
private func checkSerialization(_ value: JSON) {
    var text: [UInt8] = []
    value.write(to: &text)
    guard case .success(let again) = parse(text) else {
        check(false, "serialized text does not parse: \(escaped(text))")
        return
    }
    check(again == value, "serialized text parses to another value: \(escaped(text))")
    var second: [UInt8] = []
    again.write(to: &second)
    check(second == text, "serialization is not stable: \(escaped(text)) then \(escaped(second))")
}

// MARK: - SioJSON against Foundation

private func compareWithFoundation(_ bytes: [UInt8], _ ours: Result<JSON, JSONError>) {
    let input = escaped(bytes)
    let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
    switch (ours, theirs) {
    case (.failure, nil):
        return
    case (.success(let value), let theirs?):
        if let difference = compare(value, theirs) {
            check(false, "Foundation reads another value (\(difference)) from \(input)")
        }
    case (.success(let value), nil):
        // Known: lone surrogate escapes (we read U+FFFD), numbers beyond Double (we keep the text).
        check(
            hasLoneSurrogateEscape(bytes) || containsInfiniteNumber(value),
            "Foundation refuses what SioJSON accepts: \(input)"
        )
    case (.failure(let error), let theirs?):
        // Known: Foundation's encoding detection (UTF-16/32, BOMs) and trailing commas.
        if guessesAnotherEncoding(bytes) { return }
        guard let repaired = parsingWithKnownRepairs(bytes) else {
            check(false, "Foundation accepts what SioJSON refuses (\(error)): \(input)")
            return
        }
        if let difference = compare(repaired, theirs) {
            check(false, "Foundation reads another value (\(difference)) from \(input)")
        }
    }
}

/// Foundation decodes as UTF-16 or UTF-32 when the data starts with their BOM or has a zero
/// byte among its first four (`JSONSerialization.detectEncoding`); RFC 8259 § 8.1 says UTF-8.
private func guessesAnotherEncoding(_ bytes: [UInt8]) -> Bool {
    bytes.prefix(4).contains(0) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE])
}

/// The value of `bytes` once what Foundation forgives and SioJSON does not is undone: a
/// leading UTF-8 BOM, and the trailing commas SioJSON stops at (`[1,]`, `{"a":1,}`). Nil if
/// there was nothing to undo, or the text still fails.
private func parsingWithKnownRepairs(_ bytes: [UInt8]) -> JSON? {
    var text = bytes
    var repaired = false
    if text.starts(with: [0xEF, 0xBB, 0xBF]) {
        text.removeFirst(3)
        repaired = true
    }
    while true {
        switch parse(text) {
        case .success(let value):
            return repaired ? value : nil
        case .failure(let error):
            let offset = error.byteOffset
            guard error.code == .unexpectedByte, offset < text.count,
                  text[offset] == UInt8(ascii: "]") || text[offset] == UInt8(ascii: "}"),
                  let comma = text[..<offset].lastIndex(where: { !isWhitespace($0) }),
                  text[comma] == UInt8(ascii: ",")
            else { return nil }
            text.remove(at: comma)
            repaired = true
        }
    }
}

private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

/// Whether valid JSON text has a `\uD800`–`\uDFFF` escape that is not half of a pair.
private func hasLoneSurrogateEscape(_ bytes: [UInt8]) -> Bool {
    func hex(at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        return UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16)
    }
    var index = 0
    while index < bytes.count {
        guard bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count else {
            index += 1
            continue
        }
        guard bytes[index + 1] == UInt8(ascii: "u"), let unit = hex(at: index + 2) else {
            index += 2
            continue
        }
        switch unit {
        case 0xD800...0xDBFF:
            guard index + 8 <= bytes.count, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                  let low = hex(at: index + 8), (0xDC00...0xDFFF).contains(low)
            else { return true }
            index += 12
        case 0xDC00...0xDFFF:
            return true
        default:
            index += 6
        }
    }
    return false
}

private func containsInfiniteNumber(_ value: JSON) -> Bool {
    switch value {
    case .number(let number): !number.doubleValue.isFinite
    case .array(let elements): elements.contains(where: containsInfiniteNumber)
    case .object(let object): object.members.contains { containsInfiniteNumber($0.value) }
    case .null, .bool, .string, .binary: false
    }
}

/// Nil when `ours` and Foundation's `theirs` hold the same value, else what differs.
///
/// Objects compare as JavaScript reads them, the last of duplicate keys winning (both sides).
/// Numbers: exact against Foundation's integers and doubles; against its `NSDecimalNumber`
/// (more digits than a double holds) within 1e-9 relative, as its `doubleValue` is not
/// correctly rounded. Strings compare scalar by scalar, not by canonical equivalence.
private func compare(_ ours: JSON, _ theirs: Any) -> String? {
    switch ours {
    case .null:
        return theirs is NSNull ? nil : "null vs \(theirs)"
    case .bool(let flag):
        guard let number = theirs as? NSNumber, isBoolean(number), number.boolValue == flag else { return "\(flag) vs \(theirs)" }
        return nil
    case .number(let number):
        guard let their = theirs as? NSNumber, !isBoolean(their) else { return "\(number) vs \(theirs)" }
        return sameNumber(number, their) ? nil : "\(number) vs \(their) (\(String(cString: their.objCType)))"
    case .string(let text):
        guard let their = theirs as? String else { return "string vs \(theirs)" }
        if Array(text.unicodeScalars) == Array(their.unicodeScalars) { return nil }
        // Known: Foundation drops a raw U+FEFF that starts a run of unescaped text (it decodes
        // each run as a UTF-8 string, which takes a leading U+FEFF for a byte order mark).
        return Array(withoutBOM(text).unicodeScalars) == Array(withoutBOM(their).unicodeScalars) ? nil : "\(escaped(text)) vs \(escaped(their))"
    case .array(let elements):
        guard let their = theirs as? [Any], their.count == elements.count else { return "array of \(elements.count) vs \(theirs)" }
        for (mine, other) in zip(elements, their) {
            if let difference = compare(mine, other) { return difference }
        }
        return nil
    case .object(let object):
        guard let their = theirs as? [String: Any] else { return "object vs \(theirs)" }
        // Keys without U+FEFF, which Foundation may drop from them as from strings.
        var lastWins: [String: JSON] = [:]
        for member in object.members { lastWins[withoutBOM(member.key)] = member.value }
        var others: [String: Any] = [:]
        for (key, value) in their where others.updateValue(value, forKey: withoutBOM(key)) != nil {
            return nil  // keys that differ only by U+FEFF: which one Foundation kept is unknown
        }
        guard lastWins.count == others.count else { return "\(lastWins.count) keys vs \(others.count)" }
        for (key, mine) in lastWins {
            guard let other = others[key] else { return "key \(escaped(key)) missing" }
            if let difference = compare(mine, other) { return difference }
        }
        return nil
    case .binary:
        return "binary"
    }
}

private func withoutBOM(_ text: String) -> String {
    guard text.unicodeScalars.contains("\u{FEFF}") else { return text }
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: text.unicodeScalars.filter { $0 != "\u{FEFF}" })
    return String(scalars)
}

private func isBoolean(_ number: NSNumber) -> Bool {
    type(of: number) == type(of: NSNumber(value: true))
}

private func sameNumber(_ number: JSONNumber, _ their: NSNumber) -> Bool {
    let mine = number.doubleValue
    if their is NSDecimalNumber {
        let other = their.doubleValue
        return mine == other || abs(mine - other) <= 1e-9 * max(abs(mine), abs(other))
    }
    switch String(cString: their.objCType) {
    case "d", "f":
        return mine == their.doubleValue
    case "Q":
        return UInt64(number.text) == their.uint64Value
    default:
        return number.intValue.map(Int64.init) == their.int64Value
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
