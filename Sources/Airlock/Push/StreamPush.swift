import Bundle
import Foundation
import OCI
import Registry

/// One push from standard input as it goes: the manifests (which come first) are kept, the
/// plan is made from them before the first layer is sent (the same plan, and so the same
/// refusals, as a push from a file), and each layer goes to the repositories that need it.
final class StreamPush: @unchecked Sendable {
    // Used by the one task that reads the stream, in order.
    let pusher: Pusher
    let manifest: BundleManifest
    let signed: SignedManifest
    let request: PushRequest
    let client: RegistryClient
    let book = PushBook()
    private let stored: Set<Digest>
    private var documents: [Digest: [UInt8]] = [:]
    private var payloads: [Digest: [UInt8]] = [:]
    private var made: PushPlan?
    private var work: [Digest: [String]] = [:]

    init(pusher: Pusher, manifest: BundleManifest, signed: SignedManifest, request: PushRequest, client: RegistryClient) {
        self.pusher = pusher
        self.manifest = manifest
        self.signed = signed
        self.request = request
        self.client = client
        self.stored = Set(manifest.blobs.map(\.digest))
    }

    /// The plan, made once, with every refusal applied; its mounts are its first write.
    func plan() async throws -> PushPlan {
        if let made { return made }
        let plan = try await pusher.makePushPlan(manifest, signed: signed, request: request, client: client, held: { [stored] in stored.contains($0) }) { descriptor in
            guard let bytes = self.documents[descriptor.digest] else {
                throw AirlockError.verification("manifest \(descriptor.digest) did not come before the layers")
            }
            return bytes
        }
        try await plan.mountExternalBlobs(client: client)
        for item in Pusher.blobWork(plan.images) { work[item.descriptor.digest] = item.repositories }
        made = plan
        return plan
    }

    /// One blob of the stream, from its `.start` on: a manifest is kept, anything else is pushed.
    func take(_ descriptor: Descriptor, from channel: BlockingChannel<Pusher.StreamEvent>) async throws {
        if MediaType.isManifest(descriptor.mediaType) {
            var bytes: [UInt8] = []
            while case .data(let chunk)? = try await channel.next() { bytes += chunk }
            request.progress.add(Int64(bytes.count))
            documents[descriptor.digest] = bytes
            return
        }
        _ = try await plan()
        let source = Pusher.channelSource(descriptor, channel: channel, progress: request.progress)
        let repositories = work[descriptor.digest] ?? []
        if !request.requiredCosignKeys.isEmpty, descriptor.mediaType == EvidenceKind.simpleSigningLayer, descriptor.size <= CosignVerification.maximumPayload {
            // A signature payload is kept to check before any manifest is written.
            var bytes: [UInt8] = []
            while let chunk = try await source.next() { bytes += chunk.readableBytesView }
            payloads[descriptor.digest] = bytes
            try await pusher.pushBlob(BlobSource.bytes(bytes, mediaType: descriptor.mediaType), to: repositories, client: client, book: book, request: request)
            return
        }
        try await pusher.pushBlob(source, to: repositories, client: client, book: book, request: request)
        try await source.drain()
    }

    /// The bytes of a manifest or signature payload the stream carried (the cosign check reads them).
    func heldBytes(_ descriptor: Descriptor) throws -> [UInt8] {
        guard let bytes = documents[descriptor.digest] ?? payloads[descriptor.digest] else {
            throw AirlockError.verification("cosign signature data \(descriptor.digest) is not in the bundle")
        }
        return bytes
    }
}
