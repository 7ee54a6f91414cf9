import Foundation
import OCI

/// Checks a whole bundle in one sequential pass: signatures first (before any blob is read),
/// then every entry against the signed manifest, the image graph, index.json, and the seek table.
/// Throws `BundleError.verification` at the first problem.
public struct BundleVerifier {
    public let trust: Trust

    public init(trust: Trust) { self.trust = trust }

    /// Every one of `requiredKeys` must have signed (no policy).
    public init(requiredKeys: [PublicKey]) { self.trust = Trust(keys: requiredKeys) }

    /// Called with each piece of a blob's data as it streams, before its digest is known:
    /// commit nothing until `onBlobEnd`.
    public typealias BlobHandler = (Descriptor, UnsafeRawBufferPointer) throws -> Void

    /// Verifies the bundle `input` holds (a file, its parts, or standard input). `onSigned` (the
    /// exact manifest bytes and the slot) and then `onManifest` run once signatures are good;
    /// `onBlobData`/`onBlobEnd` see blob bytes as they stream (commit only after `onBlobEnd`).
    public func verify(
        input: BundleInput,
        onRead: ((UnsafeRawBufferPointer) throws -> Void)? = nil,
        onSigned: ([UInt8], SignatureSlot) throws -> Void = { _, _ in },
        onManifest: (BundleManifest) throws -> Void = { _ in },
        onBlobData: BlobHandler = { _, _ in },
        onBlobEnd: (Descriptor) throws -> Void = { _ in },
        onIndex: ([UInt8]) throws -> Void = { _ in }
    ) throws -> VerificationReport {
        do {
            return try verifyPass(input: input, onRead: onRead, onSigned: onSigned, onManifest: onManifest, onBlobData: onBlobData, onBlobEnd: onBlobEnd, onIndex: onIndex)
        } catch let error as BundleError {
            // A changed byte in a part of a split bundle: name the part rather than the frame.
            switch error {
            case .verification, .damagedFrame: if let damaged = input.damagedPart() { throw damaged }
            default: break
            }
            // Damage outside a blob (the metadata, a tar header): no entry to name.
            if case .damagedFrame(let cause) = error {
                throw BundleError.damaged(input.name, entry: "its compressed data", cause: BundleError.undecodable(cause))
            }
            throw error
        }
    }

    private func verifyPass(
        input: BundleInput,
        onRead: ((UnsafeRawBufferPointer) throws -> Void)?,
        onSigned: ([UInt8], SignatureSlot) throws -> Void,
        onManifest: (BundleManifest) throws -> Void,
        onBlobData: BlobHandler,
        onBlobEnd: (Descriptor) throws -> Void,
        onIndex: ([UInt8]) throws -> Void
    ) throws -> VerificationReport {
        let cursor = input.cursor()
        cursor.onRead = onRead
        let stream = try BundleStream(cursor)
        let name = input.name
        // 1. The manifest, and the signatures over it, before anything else.
        let front = try BundleFront(stream: stream)
        let manifestBytes = front.manifestBytes
        try BundleManifest.checkVersion(manifestBytes)
        let (signatures, policy, manifest) = try trust.check(front.slot, manifestBytes: manifestBytes, name: name)
        let seekTableLimit = SeekTable.maximumJSONSize(for: manifest, manifestSize: manifestBytes.count)
        stream.skippableLimit = seekTableLimit + SeekTable.footerSize
        try onSigned(manifestBytes, front.slot)
        try onManifest(manifest)

        // 2. Every other entry, each checked against the manifest.
        var entries = EntryPass(bundle: name, manifest: manifest, first: front.manifestEntry) {
            // Standard input cannot be read again; a file can, through its seek table.
            guard input.size != nil, let file = try? BundleFile(input: input) else { return [:] }
            return BlobUsers.documents(of: file)
        }
        while let entry = try front.tar.next() {
            try entries.check(entry, tar: front.tar, onBlobData: onBlobData, onBlobEnd: onBlobEnd)
        }

        // 3. Nothing missing, nothing after the end, and a consistent seek table.
        try Self.checkArchiveEnd(stream, name: name)
        try entries.checkComplete()
        let external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
        try checkGraph(manifest, documents: entries.manifestDocuments, present: entries.seen, external: external, indexBytes: entries.indexBytes)
        try checkSeekTable(stream, name: name, observed: entries.observed, manifest: manifest, manifestSize: manifestBytes.count, limit: seekTableLimit)
        try onIndex(entries.indexBytes)

        return VerificationReport(
            manifest: manifest,
            manifestDigest: try Digest.of(manifestBytes),
            signatures: signatures,
            policy: policy,
            blobsVerified: entries.seen.count,
            bytesVerified: entries.bytesVerified,
            externalBlobs: manifest.base?.externalBlobs ?? []
        )
    }

    /// After the archive's end only zero padding may follow.
    private static func checkArchiveEnd(_ stream: BundleStream, name: String) throws {
        while true {
            let rest = try stream.next()
            if rest.isEmpty { break }
            guard rest.allSatisfy({ $0 == 0 }) else { throw BundleError.verification("\(name) has data after the end of its archive") }
        }
    }

    /// Every image's manifests, configs and layers are present; index.json names exactly the images.
    private func checkGraph(_ manifest: BundleManifest, documents: [Digest: ManifestDocument], present: Set<Digest>, external: Set<Digest>, indexBytes: [UInt8]) throws {
        let available = present.union(external)
        let catalog = BlobCatalog(manifest)
        // Each manifest is checked once (at the shallowest depth it is reached): a hostile graph of
        // indexes that list each other many times is linear work, not exponential.
        var checked: [Digest: Int] = [:]
        func walk(_ digest: Digest, from image: String, depth: Int) throws {
            guard depth < 8 else { throw BundleError.verification("image \(image) nests indexes too deeply") }
            if let shallowest = checked[digest], shallowest <= depth { return }
            checked[digest] = depth
            guard available.contains(digest) else {
                throw BundleError.verification("image \(image) references \(digest), which the bundle does not hold")
            }
            guard let document = documents[digest] else {
                if external.contains(digest) { return }
                throw BundleError.verification("image \(image) references \(digest) as a manifest, but it is not one")
            }
            for child in document.references {
                try catalog.check(child, in: image)
                if MediaType.isManifest(child.mediaType) {
                    try walk(child.digest, from: image, depth: depth + 1)
                } else if !available.contains(child.digest) {
                    throw BundleError.verification("image \(image) references blob \(child.digest), which the bundle does not hold")
                }
            }
        }
        for image in manifest.images {
            try catalog.check(Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size), in: image.refName)
            try walk(image.digest, from: image.refName, depth: 0)
        }
        try Self.checkIndex(indexBytes, of: manifest)
    }

    /// index.json (its bytes already matched to the signed digest) names exactly the bundle's images.
    static func checkIndex(_ bytes: [UInt8], of manifest: BundleManifest) throws(BundleError) {
        guard let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(bytes)) else {
            throw BundleError.verification("index.json is not a valid OCI index")
        }
        if let key = JSONKeys.firstDuplicate(in: bytes) {
            throw BundleError.verification("index.json has the key '\(key)' twice in one object (JSON readers disagree on which one counts)")
        }
        let catalog = BlobCatalog(manifest)
        for descriptor in index.manifests { try catalog.check(descriptor, in: "index.json") }
        let listed = Set(index.manifests.map { Reference.spelled($0.annotations?[OCILayout.refNameAnnotation] ?? "", tag: nil, digest: $0.digest) })
        let images = Set(manifest.images.map { Reference.spelled($0.refName, tag: nil, digest: $0.digest) })
        guard listed == images, index.manifests.count == manifest.images.count else {
            throw BundleError.verification("index.json does not list exactly the images of the bundle manifest")
        }
    }

    private func checkSeekTable(_ stream: BundleStream, name: String, observed: [ObservedEntry], manifest: BundleManifest, manifestSize: Int, limit: Int) throws {
        let tables = stream.skippable.filter { $0.magic == SkippableFrame.seekTableMagic }
        guard stream.skippable.count == 1, let table = tables.first, table.afterFrames == stream.frames.count else {
            if stream.skippable.isEmpty { throw BundleError.truncated(name, "its seek table is missing") }
            throw BundleError.verification("\(name) has unexpected skippable frames")
        }
        try Self.checkSeekTable(table.payload, frames: stream.frames, fileSize: stream.consumed, observed: observed,
                                manifest: manifest, manifestSize: manifestSize, limit: limit, name: name)
    }

    /// The seek table frame's payload (JSON and footer) held to what the pass saw: the data frames,
    /// the file's size, where each entry was, and the signed manifest (whose bound is `limit`). The
    /// fuzz target `seek-table` runs this on every input.
    package static func checkSeekTable(
        _ payload: [UInt8], frames: [[Int64]], fileSize: Int64, observed: [ObservedEntry],
        manifest: BundleManifest, manifestSize: Int, limit: Int, name: String
    ) throws(BundleError) {
        guard payload.count >= SeekTable.footerSize, Array(payload.suffix(4)) == SeekTable.footerMagic,
              SkippableFrame.readUInt64(payload.suffix(12)) == UInt64(payload.count - SeekTable.footerSize)
        else {
            throw BundleError.verification("the seek table of \(name) is damaged")
        }
        let parsed = try SeekTable.decode(Array(payload.prefix(payload.count - SeekTable.footerSize)), limit: limit, name: name)
        guard parsed.seekTable == 1 else { throw BundleError.unsupportedVersion("the seek table of \(name) has unknown version \(parsed.seekTable)") }
        try parsed.checkBounds()
        guard parsed.frames == frames else {
            throw BundleError.verification("the seek table of \(name) does not match its frames")
        }
        let layout = try parsed.layout(fileSize: fileSize)
        try parsed.checkShape(of: manifest, manifestSize: manifestSize, layout: layout, name: name)
        try parsed.checkPlacement(observed, layout: layout, name: name)
    }
}
