import Bundle
import OCI
import Registry

/// One image of a bundle as a graph: its manifests (children before the index that lists them)
/// and the other blobs they reference. Push and serve both walk it, from the bundle's own bytes.
struct ImageGraph: Sendable {
    /// Manifests in push order: children first, the image's top manifest last.
    let manifests: [ManifestDocument]
    /// Configs and layers (and any other non-manifest blob), in reference order.
    let blobs: [Descriptor]
    /// Manifests that could not be loaded (a delta's, absent from the target).
    let missing: [Digest]

    /// Walks `image` from its top manifest. `load` returns a manifest's bytes as a document, or
    /// nil when it is not to be had; every blob must be listed in `known`.
    static func walk(
        _ image: BundleManifest.Image,
        known: (Descriptor) throws -> Bool,
        load: (Digest) async throws -> ManifestDocument?
    ) async throws -> ImageGraph {
        var seen: Set<Digest> = []
        return try await walk(image.digest, of: image, seen: &seen, known: known, load: load)
    }

    /// Walks the graph under `root` (an image's top manifest, or a manifest of its evidence),
    /// skipping what `seen` already holds and adding what it visits.
    static func walk(
        _ root: Digest,
        of image: BundleManifest.Image,
        seen: inout Set<Digest>,
        known: (Descriptor) throws -> Bool,
        load: (Digest) async throws -> ManifestDocument?
    ) async throws -> ImageGraph {
        try await walk(root, named: image.refName, seen: &seen, known: known, load: load)
    }

    /// Walks an image a registry holds (status --check, prune): every manifest from the registry,
    /// every blob accepted; a manifest the registry lacks is listed as missing.
    static func walk(_ root: Digest, named name: String, repository: String, client: RegistryClient) async throws -> ImageGraph {
        var seen: Set<Digest> = []
        return try await walk(root, named: name, seen: &seen, known: { _ in true }) { digest in
            do {
                return try await client.manifest(repository: repository, reference: digest.description)
            } catch RegistryError.notFound {
                return nil
            }
        }
    }

    static func walk(
        _ root: Digest,
        named name: String,
        seen: inout Set<Digest>,
        known: (Descriptor) throws -> Bool,
        load: (Digest) async throws -> ManifestDocument?
    ) async throws -> ImageGraph {
        var manifests: [ManifestDocument] = []
        var blobs: [Descriptor] = []
        var missing: [Digest] = []
        var loaded = seen
        func visit(_ digest: Digest, depth: Int) async throws {
            guard depth < 4 else { throw AirlockError.verification("image \(name) nests manifests too deeply") }
            guard loaded.insert(digest).inserted else { return }  // listed twice: once is enough
            guard let document = try await load(digest) else {
                missing.append(digest)
                return
            }
            for child in document.references {
                if MediaType.isManifest(child.mediaType) {
                    guard try known(child) else {
                        throw AirlockError.verification("image \(name) references manifest \(child.digest), which the bundle does not list")
                    }
                    try await visit(child.digest, depth: depth + 1)
                } else {
                    guard try known(child) else {
                        throw AirlockError.verification("image \(name) references blob \(child.digest), which the bundle does not list")
                    }
                    blobs.append(child)
                }
            }
            manifests.append(document)
        }
        try await visit(root, depth: 0)
        seen = loaded
        return ImageGraph(manifests: manifests, blobs: blobs, missing: missing)
    }

    /// A manifest from the bundle, held to its media type and digest.
    static func document(_ bytes: [UInt8], _ descriptor: Descriptor, of image: BundleManifest.Image) throws -> ManifestDocument {
        do {
            return try ManifestDocument(bytes: bytes, declaredType: descriptor.mediaType)
        } catch {
            throw AirlockError.verification("manifest \(descriptor.digest) of \(image.refName) is invalid: \(error.description)")
        }
    }
}
