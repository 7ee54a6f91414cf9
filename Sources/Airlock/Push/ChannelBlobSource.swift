import Bundle
import Foundation
import NIOCore
import OCI
import Registry

/// Hands one blob's bytes from the channel to a single upload, and can drain what was not read.
final class ChannelBlobSource: @unchecked Sendable {
    // Touched only by the one task that pushes this blob.
    let descriptor: Descriptor
    let channel: BlockingChannel<Pusher.StreamEvent>
    /// Counts every byte taken from the stream, sent or skipped.
    let progress: TransferProgress
    private var opened = false
    private var ended = false

    init(descriptor: Descriptor, channel: BlockingChannel<Pusher.StreamEvent>, progress: TransferProgress) {
        self.descriptor = descriptor
        self.channel = channel
        self.progress = progress
    }

    func next() async throws -> ByteBuffer? {
        guard !ended else { return nil }
        switch try await channel.next() {
        case .data(let bytes)?:
            progress.add(Int64(bytes.count))
            return ByteBuffer(bytes: bytes)
        case .end?:
            ended = true
            return nil
        default:
            throw AirlockError.verification("the bundle stream ended inside blob \(descriptor.digest)")
        }
    }

    /// Skips the rest of the blob (it was already in the target, or its upload failed).
    func drain() async throws {
        while try await next() != nil {}
    }

    var blobSource: BlobSource {
        BlobSource(descriptor: descriptor) { [self] in
            guard !opened else {
                throw AirlockError.partial("blob \(descriptor.digest) from standard input cannot be sent twice; run the push again to resume")
            }
            opened = true
            return AsyncThrowingStream(unfolding: { try await self.next() })
        }
    }
}
