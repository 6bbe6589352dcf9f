import CompressNIO
import Foundation
import NIOCore

/// The permessage-deflate extension (RFC 7692) of one WebSocket connection, used on its event
/// loop only: zlib streams in both directions, reset per message when the server asks for no
/// context takeover.
final class PerMessageDeflate {
    /// The client's offer: the server may choose our window size (as Node's `ws` offers).
    static let offer = "permessage-deflate; client_max_window_bits"
    /// Smaller messages go uncompressed (Node's `ws` default `threshold: 1024`).
    static let threshold = 1024

    private let compressor: ZlibCompressor
    private let decompressor: ZlibDecompressor
    private let resetAfterSending: Bool
    private let resetAfterReceiving: Bool

    /// The extension as the server's `Sec-WebSocket-Extensions` answer set it up; nil when the
    /// answer does not accept permessage-deflate.
    init?(response: String) throws {
        var parameters: [String: String?] = [:]
        var accepted = false
        for offer in response.split(separator: ",") {
            let parts = offer.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "permessage-deflate" else { continue }
            accepted = true
            for part in parts.dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
                parameters[pair[0]] = pair.count > 1 ? pair[1] : nil
            }
            break
        }
        guard accepted else { return nil }
        // zlib cannot deflate with an 8-bit window; 9 is the smallest it honours.
        func bits(_ name: String) -> Int32 {
            guard let value = parameters[name] ?? nil, let bits = Int32(value) else { return 15 }
            return min(15, max(9, bits))
        }
        self.compressor = try ZlibCompressor(algorithm: .deflate, configuration: ZlibConfiguration(windowSize: bits("client_max_window_bits")))
        self.decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: bits("server_max_window_bits"))
        self.resetAfterSending = parameters.keys.contains("client_no_context_takeover")
        self.resetAfterReceiving = parameters.keys.contains("server_no_context_takeover")
    }

    /// A message's payload, compressed, without the final empty block's `00 00 ff ff`.
    func compress(_ payload: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var payload = payload
        var compressed = try payload.compressStream(with: self.compressor, flush: .sync, allocator: allocator)
        compressed.moveWriterIndex(to: compressed.writerIndex - 4)
        if self.resetAfterSending { try self.compressor.reset() }
        return compressed
    }

    /// A compressed message's payload, inflated (at most `maxSize` bytes).
    func decompress(_ payload: ByteBuffer, maxSize: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var payload = payload
        payload.writeBytes([0, 0, 0xFF, 0xFF])
        let inflated = try payload.decompressStream(with: self.decompressor, maxSize: maxSize, allocator: allocator)
        if self.resetAfterReceiving { try self.decompressor.reset() }
        return inflated
    }
}
