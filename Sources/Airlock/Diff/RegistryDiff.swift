import Bundle
import OCI
import Registry

/// What a registry lacks of a bundle, under the names `push` would use: the blobs it does not
/// hold, and the tags that are missing or name another manifest (an older or newer push moved
/// them). A registry holding every blob can still be behind on its tags. Evidence counts too: its
/// manifests and blobs among the blobs, cosign's tags among the tags.
public struct RegistryDiff: Sendable, Encodable {
    /// One image's tag at the target.
    public struct Tag: Sendable, Encodable {
        /// `REG/REPO:TAG` as push writes it.
        public let target: String
        /// The manifest the bundle would tag.
        public let digest: Digest
        /// What the tag names in the registry now (nil: the tag does not exist).
        public let current: Digest?
    }

    public struct Tags: Sendable, Encodable {
        public let missing: [Tag]
        /// Tags that name another manifest than the bundle's.
        public let moved: [Tag]
        /// Tags that already name the bundle's manifest.
        public let current: Int
    }

    public let registry: String
    public let name: String
    public let version: String
    public let manifestDigest: Digest
    /// Every blob the bundle's images use.
    public let blobCount: Int
    public let missing: [Descriptor]
    public let missingBytes: Int64
    public let present: Int
    public let tags: Tags

    /// Nothing to send and no tag to write or move.
    public var identical: Bool { missing.isEmpty && tags.missing.isEmpty && tags.moved.isEmpty }

    public static func compare(_ header: BundleHeader, naming: TargetNaming, target: String, client: RegistryClient, concurrency: Int = 8) async throws -> RegistryDiff {
        let manifest = header.manifest
        let targets = try naming.targets(for: manifest.images)
        let repositories = Array(Set(targets.map(\.repository))).sorted()
        let blobs = BundleDiff.allBlobs(manifest).values.sorted { $0.digest < $1.digest }
        try await client.checkReachable()
        let missing = try await BoundedConcurrency.map(blobs, limit: concurrency) { blob in
            for repository in repositories {
                // Registries keep manifests apart from blobs: ask for each in its own way.
                let present = MediaType.isManifest(blob.mediaType)
                    ? try await client.manifestDescriptor(repository: repository, reference: blob.digest.description) != nil
                    : try await client.hasBlob(blob, repository: repository)
                if present { return nil as Descriptor? }
            }
            return blob
        }.compactMap { $0 }

        var tagged = zip(manifest.images, targets).compactMap { image, target in
            target.tag.map { (digest: image.digest, repository: target.repository, tag: $0) }
        }
        // Cosign's tags travel with their image; the referrers tag index is merged, not compared.
        let repositoryOf = Dictionary(zip(manifest.images.map(\.refName), targets.map(\.repository)), uniquingKeysWith: { a, _ in a })
        for entry in manifest.evidence ?? [] where entry.kind != .referrersIndex {
            guard let tag = entry.tag, let repository = repositoryOf[entry.image] else { continue }
            tagged.append((digest: entry.manifest.digest, repository: repository, tag: tag))
        }
        let tags = try await BoundedConcurrency.map(tagged, limit: concurrency) { entry in
            let current = try await client.manifestDescriptor(repository: entry.repository, reference: entry.tag)?.digest
            return Tag(target: Reference.spelled("\(naming.registry)/\(entry.repository)", tag: entry.tag, digest: nil), digest: entry.digest, current: current)
        }
        return RegistryDiff(
            registry: target, name: manifest.name, version: manifest.version, manifestDigest: header.manifestDigest, blobCount: blobs.count,
            missing: missing, missingBytes: missing.reduce(0) { $0 + $1.size }, present: blobs.count - missing.count,
            tags: Tags(missing: tags.filter { $0.current == nil },
                       moved: tags.filter { $0.current != nil && $0.current != $0.digest },
                       current: tags.filter { $0.current == $0.digest }.count))
    }
}
