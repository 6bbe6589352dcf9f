/// Splits a byte stream into NDJSON lines (docs/rpc.md § Framing and limits), never buffering
/// past a limit.
///
/// A line ends at `\n`; one trailing `\r` is stripped; empty lines are skipped; an
/// unterminated final line counts when the input ends (``finish()``). A line whose content
/// (without `\r\n`) exceeds ``maxLineLength`` is reported once as ``Event/lineTooLong``, and
/// the framer then stops: the connection answers one error and closes. At most
/// `maxLineLength + 1` bytes are ever buffered.
public struct LineFramer: Sendable {
    /// What the bytes fed so far amount to.
    public enum Event: Sendable, Hashable {
        /// A complete, non-empty line, without its terminator.
        case line([UInt8])
        /// A line over the limit; no further events follow.
        case lineTooLong
    }

    /// The longest line accepted, in bytes, not counting `\r\n`.
    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    private var failed = false

    /// A framer accepting lines up to `maxLineLength` bytes (default 8 MiB).
    public init(maxLineLength: Int = 8 * 1024 * 1024) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Feeds received bytes; returns the lines they complete, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        guard !self.failed else { return [] }
        var events: [Event] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let rest = bytes[index...]
            if let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                guard self.append(rest[..<newline]) else { return self.fail(events) }
                if let event = self.completeLine() {
                    guard event != .lineTooLong else { return self.fail(events) }
                    events.append(event)
                }
                index = bytes.index(after: newline)
            } else {
                guard self.append(rest) else { return self.fail(events) }
                index = bytes.endIndex
            }
        }
        return events
    }

    /// The input ended: returns the unterminated final line, if any.
    public mutating func finish() -> Event? {
        guard !self.failed else { return nil }
        let event = self.completeLine()
        if event == .lineTooLong { self.failed = true }
        return event
    }

    /// The number of bytes held for an incomplete line (never more than `maxLineLength + 1`).
    public var bufferedByteCount: Int { self.buffer.count }

    /// The memory an incomplete line takes (its buffer grows by doubling, so up to twice its
    /// bytes); 0 when none is held.
    public var heldMemory: Int { self.buffer.isEmpty ? 0 : self.buffer.capacity }

    // MARK: - Private

    /// Appends part of a line; `false` when that would buffer past the limit (one byte of
    /// slack for a `\r` that the terminator may yet strip).
    private mutating func append(_ part: some Collection<UInt8>) -> Bool {
        guard self.buffer.count + part.count <= self.maxLineLength + 1 else { return false }
        self.buffer.append(contentsOf: part)
        return true
    }

    private mutating func completeLine() -> Event? {
        defer { self.buffer.removeAll(keepingCapacity: self.buffer.count <= 64 * 1024) }
        var line = self.buffer[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if line.count > self.maxLineLength { return .lineTooLong }
        return line.isEmpty ? nil : .line(Array(line))
    }

    private mutating func fail(_ events: [Event]) -> [Event] {
        self.failed = true
        self.buffer = []
        return events + [.lineTooLong]
    }
}
