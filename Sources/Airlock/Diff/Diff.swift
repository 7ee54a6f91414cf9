import Bundle
import OCI

/// What changed between two bundles, from their manifests alone (instant on any size).
/// Images are matched by name in the layout (`acme/runtime:8.12.1`), blobs by digest.
public struct BundleDiff: Sendable, Encodable {
    public typealias Side = BundleIdentity

    public struct Change: Sendable, Encodable {
        public let name: String
        public let oldDigest: Digest
        public let newDigest: Digest
        public let platformsAdded: [String]
        public let platformsRemoved: [String]
    }

    public let old: Side
    public let new: Side
    public let added: [ImageReport]
    public let removed: [ImageReport]
    public let changed: [Change]
    public let unchanged: [String]
    /// Blobs of NEW that OLD lacks: what a transfer of NEW needs when OLD is already inside.
    public let newBlobs: BlobTally
    public let removedBlobs: BlobTally
    public let sharedBlobs: BlobTally
    /// Signatures, SBOMs and attestations NEW carries and OLD does not, and the reverse.
    public let evidenceAdded: [BundleManifest.Evidence]
    public let evidenceRemoved: [BundleManifest.Evidence]
    public let identical: Bool

    public static func compare(old: BundleHeader, new: BundleHeader) -> BundleDiff {
        let oldImages = Dictionary(old.manifest.images.map { ($0.refName, $0) }, uniquingKeysWith: { a, _ in a })
        let newImages = Dictionary(new.manifest.images.map { ($0.refName, $0) }, uniquingKeysWith: { a, _ in a })
        func image(_ image: BundleManifest.Image) -> ImageReport { ImageReport(image) }

        let added = newImages.keys.filter { oldImages[$0] == nil }.sorted().compactMap { newImages[$0].map(image) }
        let removed = oldImages.keys.filter { newImages[$0] == nil }.sorted().compactMap { oldImages[$0].map(image) }
        var changed: [Change] = []
        var unchanged: [String] = []
        for name in newImages.keys.sorted() {
            guard let before = oldImages[name], let after = newImages[name] else { continue }
            if before.digest == after.digest {
                unchanged.append(name)
            } else {
                changed.append(Change(
                    name: name, oldDigest: before.digest, newDigest: after.digest,
                    platformsAdded: after.platforms.filter { !before.platforms.contains($0) },
                    platformsRemoved: before.platforms.filter { !after.platforms.contains($0) }))
            }
        }
        let oldBlobs = allBlobs(old.manifest), newBlobs = allBlobs(new.manifest)
        func count(_ digests: Set<Digest>, in blobs: [Digest: Descriptor]) -> BlobTally {
            BlobTally(blobCount: digests.count, uniqueBytes: digests.reduce(0) { $0 + (blobs[$1]?.size ?? 0) })
        }
        let oldSet = Set(oldBlobs.keys), newSet = Set(newBlobs.keys)
        func key(_ entry: BundleManifest.Evidence) -> String { "\(entry.image) \(entry.subject) \(entry.manifest.digest) \(entry.tag ?? "")" }
        let oldEvidence = Set((old.manifest.evidence ?? []).map(key)), newEvidence = Set((new.manifest.evidence ?? []).map(key))
        let evidenceAdded = (new.manifest.evidence ?? []).filter { !oldEvidence.contains(key($0)) }
        let evidenceRemoved = (old.manifest.evidence ?? []).filter { !newEvidence.contains(key($0)) }
        let identical = added.isEmpty && removed.isEmpty && changed.isEmpty && oldSet == newSet && evidenceAdded.isEmpty && evidenceRemoved.isEmpty
        return BundleDiff(
            old: Side(name: old.manifest.name, version: old.manifest.version, manifestDigest: old.manifestDigest),
            new: Side(name: new.manifest.name, version: new.manifest.version, manifestDigest: new.manifestDigest),
            added: added, removed: removed, changed: changed, unchanged: unchanged,
            newBlobs: count(newSet.subtracting(oldSet), in: newBlobs),
            removedBlobs: count(oldSet.subtracting(newSet), in: oldBlobs),
            sharedBlobs: count(newSet.intersection(oldSet), in: newBlobs),
            evidenceAdded: evidenceAdded, evidenceRemoved: evidenceRemoved,
            identical: identical)
    }

    /// Every blob a bundle's images use: the ones it holds and, for a delta, the ones in its base.
    public static func allBlobs(_ manifest: BundleManifest) -> [Digest: Descriptor] {
        var blobs: [Digest: Descriptor] = [:]
        for blob in manifest.blobs + (manifest.base?.externalBlobs ?? []) { blobs[blob.digest] = blob }
        return blobs
    }
}
