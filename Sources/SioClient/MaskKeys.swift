import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
#if canImport(Glibc)
import Glibc
#endif

/// WebSocket masking keys (RFC 6455 § 5.3: unpredictable, from a strong source of entropy),
/// drawn from the operating system a few KiB at a time instead of with a syscall per frame.
///
/// One per event loop, used only on it: the buffer costs its memory once per loop, not once
/// per connection.
final class MaskKeys: @unchecked Sendable {
    private var bytes: [UInt8]
    private var index: Int
    private static let size = 4096

    private init() {
        self.bytes = [UInt8](repeating: 0, count: Self.size)
        self.index = Self.size
    }

    private static let perLoop = NIOLockedValueBox<[ObjectIdentifier: MaskKeys]>([:])

    /// The keys of `eventLoop`, to be used only on it.
    static func forEventLoop(_ eventLoop: any EventLoop) -> MaskKeys {
        Self.perLoop.withLockedValue { keys in
            let id = ObjectIdentifier(eventLoop)
            if let existing = keys[id] { return existing }
            let made = MaskKeys()
            keys[id] = made
            return made
        }
    }

    /// The next key.
    func next() -> WebSocketMaskingKey {
        if self.index + 4 > self.bytes.count { self.refill() }
        defer { self.index += 4 }
        return WebSocketMaskingKey(self.bytes[self.index..<self.index + 4])!
    }

    /// `/dev/urandom`, opened once for the process (Glibc's module does not export getrandom).
    private static let urandom: CInt = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    private func refill() {
        let fd = Self.urandom
        let filled = fd >= 0 && self.bytes.withUnsafeMutableBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = read(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        if !filled {
            var generator = SystemRandomNumberGenerator()
            for i in self.bytes.indices { self.bytes[i] = generator.next() }
        }
        self.index = 0
    }
}
