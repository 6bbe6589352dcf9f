// The RPC request path without a network: bytes through `LineFramer` in arbitrary chunks,
// each line through `RPCMessage(line:maxBatchEntries:)`, as `RPCConnectionHandler` does, then
// the calls' params through `RPCParams` as the daemon's methods read them.
//
// Input: byte 0 picks the line limit (below 128: 1 + n % 64 bytes, else the default), byte 1
// the batch limit (high bit: 1 + n % 8, else the default), byte 2 seeds the chunk sizes; the
// rest is the byte stream a client sends.
//
// Checks, besides "never crashes":
// - however the stream is chunked, the framer emits the lines of a simple model (split on
//   `\n`, one `\r` stripped, empty lines skipped, `lineTooLong` once and then nothing), and
//   never buffers more than the limit + 1;
// - a line is a parse error exactly when it is not JSON; batches respect the limit;
// - every response the line gets (errors, and the method's answer) is one line of valid JSON
//   with `"jsonrpc":"2.0"` and a valid id, and so is a batch's response line;
// - RPCParams readers accept exactly the members of their type and name the member (with its
//   prefix) in their errors.
//
// Not reached: the SiodCore methods themselves (`socket.open`'s `SocketOpenRequest(params:)`
// and the rest): SiodCore needs SwiftNIO, NIOSSL and AsyncHTTPClient. Every method reads its
// params with the `RPCParams` readers checked here, see Fuzz/README.md.

import RPC
import SioJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPC(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let lineByte = input.byte()
    let maxLineLength = lineByte < 128 ? 1 + Int(lineByte) % 64 : RPCLimits().maxLineLength
    let batchByte = input.byte()
    let maxBatchEntries = batchByte & 0x80 != 0 ? 1 + Int(batchByte) % 8 : RPCLimits().maxBatchEntries
    var seed = UInt32(input.byte()) | 0x100
    let stream = input.rest()

    // Feed in chunks of 1 to 32 bytes.
    var framer = LineFramer(maxLineLength: maxLineLength)
    var events: [LineFramer.Event] = []
    var offset = 0
    while offset < stream.count {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5
        let end = min(stream.count, offset + 1 + Int(seed % 32))
        events += framer.feed(stream[offset..<end])
        check(framer.bufferedByteCount <= maxLineLength + 1, "framer buffers \(framer.bufferedByteCount) bytes")
        offset = end
    }
    if let last = framer.finish() { events.append(last) }
    let expected = modelLines(stream, maxLineLength: maxLineLength)
    check(events == expected, "framer gave \(events.count) events, the model \(expected.count), for \(escaped(stream))")

    for case .line(let line) in events {
        checkLine(line, maxBatchEntries: maxBatchEntries)
    }
    return 0
}

/// docs/rpc.md § Framing and limits, written the obvious way on the whole stream.
private func modelLines(_ stream: [UInt8], maxLineLength: Int) -> [LineFramer.Event] {
    var events: [LineFramer.Event] = []
    let pieces = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    for piece in pieces {
        // The framer refuses to buffer more than the limit + 1 bytes (room for a `\r`).
        if piece.count > maxLineLength + 1 { return events + [.lineTooLong] }
        var line = piece
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if line.count > maxLineLength { return events + [.lineTooLong] }
        if !line.isEmpty { events.append(.line(Array(line))) }
    }
    return events
}

private func checkLine(_ line: [UInt8], maxBatchEntries: Int) {
    let shown = escaped(line)
    let isJSON = (try? JSON(parsingRPC: line)) != nil
    var responses: [RPCResponse] = []
    switch RPCMessage(line: line, maxBatchEntries: maxBatchEntries) {
    case .invalid(let response):
        if case .failure(let error) = response.outcome {
            check((error.code == -32700) == !isJSON, "parse error \(error.code) for \(shown)")
        } else {
            check(false, "an invalid line answered with a result: \(shown)")
        }
        responses.append(response)
    case .single(let call):
        check(isJSON, "a call out of a line that is not JSON: \(shown)")
        if let response = answer(call) { responses.append(response) }
    case .batch(let items):
        check(isJSON, "a batch out of a line that is not JSON: \(shown)")
        check(!items.isEmpty && items.count <= maxBatchEntries, "batch of \(items.count) with limit \(maxBatchEntries)")
        for item in items {
            switch item {
            case .call(let call): if let response = answer(call) { responses.append(response) }
            case .answered(let response): responses.append(response)
            }
        }
        if !responses.isEmpty {
            let batch = RPCResponse.batchLine(responses)
            check(batch.last == UInt8(ascii: "\n") && batch.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") }, "batch line is not one line")
            guard case .array(let elements)? = try? JSON(parsingRPC: batch), elements.count == responses.count else {
                check(false, "batch line is not an array of \(responses.count): \(escaped(batch))")
                return
            }
        }
    }
    for response in responses { checkResponse(response, for: shown) }
}

/// What the daemon would answer, as far as params go: nil for a notification.
private func answer(_ call: RPCCall) -> RPCResponse? {
    switch call.id {
    case nil, .null?, .number?, .string?: break
    default: check(false, "call with id \(String(describing: call.id))")
    }
    switch call.params {
    case nil, .array?, .object?: break
    default: check(false, "call with params \(String(describing: call.params))")
    }
    checkReaders(call.params)
    let outcome: Result<JSON, RPCError>
    do throws(RPCError) {
        _ = try RPCParams(call.params)
        outcome = .success(["ok": true])
    } catch {
        outcome = .failure(error)
    }
    return call.isNotification ? nil : RPCResponse(id: call.id ?? .null, outcome: outcome)
}

private func checkResponse(_ response: RPCResponse, for shown: String) {
    let line = response.line
    check(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") }, "response is not one line for \(shown)")
    guard case .object(let object)? = try? JSON(parsingRPC: line) else {
        check(false, "response \(escaped(line)) is not a JSON object (for \(shown))")
        return
    }
    check(object["jsonrpc"] == .string("2.0"), "response without jsonrpc 2.0: \(escaped(line))")
    switch object["id"] {
    case .null?, .number?, .string?: break
    default: check(false, "response id is not null, a number or a string: \(escaped(line))")
    }
    check((object["result"] == nil) != (object["error"] == nil), "response needs exactly one of result, error: \(escaped(line))")
}

/// Every reader on every member: it succeeds exactly for its type and names the member.
private func checkReaders(_ params: JSON?, prefix: String = "", depth: Int = 0) {
    guard let p = try? RPCParams(params, prefix: prefix) else {
        if case .object? = params { check(false, "RPCParams refuses an object") }
        return
    }
    for key in p.object.keys {
        let value = p.object[key]!
        let present = !value.isNull
        func expect<T>(_ what: String, _ accepts: Bool, _ read: () throws(RPCError) -> T) {
            do throws(RPCError) {
                _ = try read()
                check(accepts, "\(what)(\(escaped(key))) accepted \(value)")
            } catch {
                check(!accepts, "\(what)(\(escaped(key))) refused \(value): \(error)")
                check(error.parameterError?.parameter.hasPrefix(prefix + key) == true, "\(what) error names \(String(describing: error.parameterError))")
            }
        }
        expect("string", value.stringValue != nil) { () throws(RPCError) in try p.string(key) }
        expect("optionalString", !present || value.stringValue != nil) { () throws(RPCError) in try p.optionalString(key) }
        expect("int", value.intValue != nil) { () throws(RPCError) in try p.int(key) }
        expect("optionalInt", !present || (value.intValue.map { $0 >= 0 } ?? false)) { () throws(RPCError) in try p.optionalInt(key, minimum: 0) }
        expect("bool", value.boolValue != nil) { () throws(RPCError) in try p.bool(key) }
        expect("object", value.objectValue != nil) { () throws(RPCError) in try p.object(key) }
        expect("array", value.arrayValue != nil) { () throws(RPCError) in try p.array(key) }
        let strings = value.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false
        expect("optionalStringSet", !present || strings) { () throws(RPCError) in try p.optionalStringSet(key) }
        _ = try? p.optionalDouble(key, in: 0...1)
        _ = try? p.stringPairs(key)
        _ = try? p.nonEmptyString(key)
        if depth < 4, value.objectValue != nil {
            checkReaders(value, prefix: prefix + key + ".", depth: depth + 1)
        }
    }
}
