import NIOCore
import OCI

/// Where a blob's bytes come from for an upload. `open` starts a fresh stream from the first
/// byte each time it is called, so a failed upload can be retried from scratch.
public struct BlobSource: Sendable {
    public let descriptor: Descriptor
    public let open: @Sendable () async throws -> AsyncThrowingStream<ByteBuffer, any Error>

    public init(descriptor: Descriptor, open: @escaping @Sendable () async throws -> AsyncThrowingStream<ByteBuffer, any Error>) {
        self.descriptor = descriptor
        self.open = open
    }

    /// A source over bytes in memory (configs, small blobs, tests), in chunks of `chunkSize`.
    public static func bytes(_ bytes: [UInt8], mediaType: String = "application/octet-stream", chunkSize: Int = 1 << 20) throws(OCIError) -> BlobSource {
        let descriptor = Descriptor(mediaType: mediaType, digest: try Digest.of(bytes), size: Int64(bytes.count))
        return BlobSource(descriptor: descriptor) {
            AsyncThrowingStream { continuation in
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunkSize, bytes.count)
                    continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                }
                continuation.finish()
            }
        }
    }
}
