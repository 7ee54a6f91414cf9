import Bundle
import Foundation
import NIOCore
import OCI
import Registry

/// Pushing from a pipe (`push -`): one pass, no temporary copy. The verifier runs on its own
/// thread and hands verified-as-it-goes bytes over a bounded channel; manifests come first in
/// every bundle, so the plan is known before the first layer arrives. Uploads cannot be retried
/// (the bytes are gone); a re-run resumes by skipping what the target already has.
extension Pusher {
    enum StreamEvent: Sendable {
        case manifest(BundleManifest, SignedManifest)
        case start(Descriptor)
        case data([UInt8])
        case end(Descriptor)
    }

    func pushStream(_ request: PushRequest) async throws -> PushResult {
        let channel = try Self.startVerifying(trust: request.trust)
        defer { channel.cancel() }
        guard case .manifest(let manifest, let signed)? = try await channel.next() else {
            throw AirlockError.verification("standard input ended before its bundle manifest")
        }
        request.progress.begin("push", totalBytes: manifest.blobs.reduce(0) { $0 + $1.size }, items: manifest.images.count)
        let client = transport.client(for: request.naming.registry)
        try await client.checkReachable()
        let stream = StreamPush(pusher: self, manifest: manifest, signed: signed, request: request, client: client)
        while let event = try await channel.next() {
            guard case .start(let descriptor) = event else {
                throw AirlockError.verification("the bundle stream is out of order")
            }
            try await stream.take(descriptor, from: channel)
        }
        try CosignVerification(keys: request.requiredCosignKeys).check(manifest, read: stream.heldBytes)
        let planned = try await stream.plan()
        let result = try await finish(planned.images, manifest: manifest, signed: signed, request: request, client: client, book: stream.book)
        return try await recordLedger(result, plans: planned.images, manifest: manifest, signed: signed, ledger: planned.ledger, request: request, client: client)
    }

    /// Verifies standard input on a thread of its own, handing what it verified to the channel.
    static func startVerifying(trust: Trust) throws -> BlockingChannel<StreamEvent> {
        let channel = BlockingChannel<StreamEvent>(capacity: 16)
        let input = try BundleInput.open("-")
        let thread = Thread {
            var current: Digest?
            var signed = SignedManifest(bytes: [], signatures: [])
            do {
                _ = try BundleVerifier(trust: trust).verify(
                    input: input,
                    onSigned: { bytes, slot in signed = SignedManifest(bytes: bytes, signatures: slot.signatures) },
                    onManifest: { try channel.send(.manifest($0, signed)) },
                    onBlobData: { descriptor, bytes in
                        if current != descriptor.digest {
                            current = descriptor.digest
                            try channel.send(.start(descriptor))
                        }
                        try channel.send(.data(Array(bytes)))
                    },
                    onBlobEnd: { descriptor in
                        if current != descriptor.digest { try channel.send(.start(descriptor)) }
                        current = nil
                        try channel.send(.end(descriptor))
                    })
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        thread.start()
        return channel
    }

    /// A blob whose bytes are the channel's events up to its `.end`; readable once.
    static func channelSource(_ descriptor: Descriptor, channel: BlockingChannel<StreamEvent>, progress: TransferProgress) -> ChannelBlobSource {
        ChannelBlobSource(descriptor: descriptor, channel: channel, progress: progress)
    }
}

extension Pusher {
    func pushBlob(_ source: ChannelBlobSource, to repositories: [String], client: RegistryClient, book: PushBook, request: PushRequest) async throws {
        try await pushBlob(source.blobSource, to: repositories, client: client, book: book, request: request)
    }
}
