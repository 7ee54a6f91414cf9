import Foundation
import OCI
import Registry

/// Walking an image's graph: its manifests and configs, with the platform filter applied.
extension Packer {
    /// The repository an image's graph is read from.
    struct GraphSource {
        let client: RegistryClient
        let registry: String
        let repository: String

        /// A manifest in hand, as a blob to pack.
        func blob(_ document: ManifestDocument) -> PackedBlob {
            PackedBlob(descriptor: document.descriptor(), registry: registry, repository: repository, bytes: document.bytes)
        }

        /// An image manifest's config and layers, and the platform its config names (fetched only
        /// when the index did not declare one).
        func imageBlobs(_ document: ManifestDocument, declared: Platform?) async throws -> (blobs: [PackedBlob], platform: Platform?) {
            guard case .image(let manifest) = document.content else { return ([], declared) }
            let config = manifest.config
            var configBytes: [UInt8]?
            var platform = declared
            if config.size <= 4 << 20, declared == nil {
                var bytes: [UInt8] = []
                try await client.blob(config, repository: repository) { bytes.append(contentsOf: $0.readableBytesView) }
                configBytes = bytes
                platform = Packer.platform(ofConfig: bytes)
            }
            var blobs = [PackedBlob(descriptor: config, registry: registry, repository: repository, bytes: configBytes)]
            for layer in manifest.layers {
                blobs.append(PackedBlob(descriptor: layer, registry: registry, repository: repository, bytes: nil))
            }
            return (blobs, platform)
        }
    }

    /// Fetches an image's manifests (and configs, for platforms), applying the platform filter.
    func walk(_ resolved: ResolvedTag, pattern: ImagePattern, platforms: [Platform]?) async throws -> Walked {
        let registry = pattern.repository.registry
        let source = GraphSource(client: transport.client(for: registry), registry: registry, repository: pattern.repository.repository)
        let top = try await source.client.manifest(repository: source.repository, reference: resolved.digest.description)
        switch top.content {
        case .image:
            return try await walkImage(top, resolved: resolved, pattern: pattern, platforms: platforms, from: source)
        case .index(let index):
            return try await walkIndex(top, index, resolved: resolved, pattern: pattern, platforms: platforms, from: source)
        }
    }

    /// A single image: kept whole, or refused when it is for none of `platforms`.
    func walkImage(_ top: ManifestDocument, resolved: ResolvedTag, pattern: ImagePattern, platforms: [Platform]?,
                   from source: GraphSource) async throws -> Walked {
        let (imageBlobs, platform) = try await source.imageBlobs(top, declared: nil)
        var blobs = imageBlobs
        if let platforms, let platform, !platforms.contains(where: { platform.matches($0) }) {
            throw AirlockError.notFound("\(resolved.name) is a single \(platform) image; it has nothing for \(platforms.map(\.description).joined(separator: ", "))")
        }
        blobs.append(source.blob(top))
        return Walked(resolved: resolved, pattern: pattern.tags.description, top: top, sourceDigest: nil, platforms: platform.map { [$0.description] } ?? [],
                      blobs: blobs, subjects: [top.digest])
    }

    /// An index: the children `platforms` keep, each fetched and checked, under the index itself
    /// (a new, filtered one when children were left out).
    func walkIndex(_ top: ManifestDocument, _ index: ImageIndex, resolved: ResolvedTag, pattern: ImagePattern, platforms: [Platform]?,
                   from source: GraphSource) async throws -> Walked {
        let name = resolved.name
        let kept = Self.filter(index.manifests, platforms: platforms)
        guard kept.contains(where: { !BuildxAttestation.isAttestation($0) }) else {
            let available = index.manifests.compactMap(\.platform?.description).joined(separator: ", ")
            throw AirlockError.notFound("\(name) has no image for \(platforms?.map(\.description).joined(separator: ", ") ?? "any platform") (it has: \(available))")
        }
        var blobs: [PackedBlob] = []
        var names: [String] = []
        for child in kept {
            let document = try await source.client.manifest(repository: source.repository, reference: child.digest.description)
            guard document.digest == child.digest else {
                throw RegistryError.digestMismatch(what: "manifest \(child.digest) of \(name)", expected: child.digest, actual: document.digest)
            }
            if case .index = document.content {
                throw AirlockError.usage("\(name) nests an index inside an index; airlock packs one level of index")
            }
            blobs.append(source.blob(document))
            let (imageBlobs, platform) = try await source.imageBlobs(document, declared: child.platform)
            blobs += imageBlobs
            if let platform, !BuildxAttestation.isAttestation(child) { names.append(platform.description) }
        }
        let stored = kept.count != index.manifests.count ? try Self.filtered(index, kept: kept, of: top) : top
        let sourceDigest = kept.count != index.manifests.count ? top.digest : nil
        blobs.append(source.blob(stored))
        // Evidence about the source index does not hold for a filtered one (another digest).
        let subjects = (sourceDigest == nil ? [top.digest] : []) + kept.map(\.digest)
        return Walked(resolved: resolved, pattern: pattern.tags.description, top: stored, sourceDigest: sourceDigest, platforms: names,
                      blobs: blobs, subjects: subjects)
    }

    /// A filtered index is a new document (new digest); the source digest is recorded beside it.
    static func filtered(_ index: ImageIndex, kept: [Descriptor], of top: ManifestDocument) throws -> ManifestDocument {
        let filtered = ImageIndex(schemaVersion: 2, mediaType: top.mediaType, artifactType: index.artifactType,
                                  manifests: kept, subject: index.subject, annotations: index.annotations)
        return try ManifestDocument(bytes: try CanonicalJSON.compact(filtered), declaredType: top.mediaType)
    }

    /// The children of an index a platform filter keeps. BuildKit's attestation manifests
    /// (platform unknown/unknown) stay exactly when the child they describe stays.
    static func filter(_ children: [Descriptor], platforms: [Platform]?) -> [Descriptor] {
        guard let platforms else { return children }
        let images = Set(children.filter { child in
            guard !BuildxAttestation.isAttestation(child), let platform = child.platform else { return false }
            return platforms.contains { platform.matches($0) }
        }.map(\.digest))
        return children.filter { child in
            BuildxAttestation.isAttestation(child) ? BuildxAttestation.subject(of: child).map { images.contains($0) } ?? false : images.contains(child.digest)
        }
    }

    /// The platform an image config declares.
    static func platform(ofConfig bytes: [UInt8]) -> Platform? {
        struct Config: Decodable {
            let os: String?
            let architecture: String?
            let variant: String?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)), let os = config.os, let architecture = config.architecture else {
            return nil
        }
        return Platform(os: os, architecture: architecture, variant: config.variant)
    }
}
