import Testing

@testable import RPC

@Suite struct LineFramerTests {
    private func lines(_ chunks: [String], max: Int = 16, finish: Bool = true) -> [String] {
        var framer = LineFramer(maxLineLength: max)
        var events: [LineFramer.Event] = []
        for chunk in chunks { events += framer.feed(Array(chunk.utf8)) }
        if finish, let last = framer.finish() { events.append(last) }
        return events.map {
            switch $0 {
            case .line(let bytes): String(decoding: bytes, as: UTF8.self)
            case .lineTooLong: "<too long>"
            }
        }
    }

    @Test func split_lfTerminatedLines() {
        #expect(self.lines(["{\"a\":1}\n{\"b\":2}\n"]) == ["{\"a\":1}", "{\"b\":2}"])
    }

    @Test func split_stripsOneTrailingCR() {
        #expect(self.lines(["a\r\nb\r\r\n"]) == ["a", "b\r"])
    }

    @Test func split_skipsEmptyLines() {
        #expect(self.lines(["\n\r\n\na\n\n"]) == ["a"])
    }

    @Test func split_joinsChunksSplitAnywhere() {
        #expect(self.lines(["{\"a\"", ":1", "}\r", "\n{", "}\n"]) == ["{\"a\":1}", "{}"])
    }

    @Test func finish_acceptsUnterminatedFinalLine() {
        #expect(self.lines(["a\nbc"]) == ["a", "bc"])
        #expect(self.lines(["a\nbc"], finish: false) == ["a"])
    }

    @Test func limit_exactlyMaxIsAccepted_withCRLF() {
        let sixteen = String(repeating: "x", count: 16)
        #expect(self.lines([sixteen + "\r\n", sixteen + "\n"]) == [sixteen, sixteen])
    }

    @Test func limit_overMaxIsReportedOnceAndStops() {
        let seventeen = String(repeating: "x", count: 17)
        #expect(self.lines(["ok\n", seventeen + "\n", "after\n"]) == ["ok", "<too long>"])
    }

    @Test func limit_neverBuffersPastTheLimit() {
        var framer = LineFramer(maxLineLength: 16)
        #expect(framer.feed(Array(repeating: UInt8(ascii: "x"), count: 10)) == [])
        #expect(framer.bufferedByteCount == 10)
        #expect(framer.feed(Array(repeating: UInt8(ascii: "x"), count: 10)) == [.lineTooLong])
        #expect(framer.bufferedByteCount == 0)
        #expect(framer.feed(Array("more\n".utf8)) == [])
        #expect(framer.finish() == nil)
    }

    @Test func limit_unterminatedOverLimitAtEOFIsReported() {
        var framer = LineFramer(maxLineLength: 4)
        #expect(framer.feed(Array("abcde".utf8)) == [])
        #expect(framer.finish() == .lineTooLong)
        var crlf = LineFramer(maxLineLength: 4)
        #expect(crlf.feed(Array("abcd\r".utf8)) == [])
        #expect(crlf.finish() == .line(Array("abcd".utf8)))
    }
}
