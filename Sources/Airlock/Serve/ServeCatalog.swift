import Bundle
import OCI

/// What `serve` answers from: the bundle's images under the repository names and tags `push`
/// would write, each repository's manifests (exact bytes) and blobs. Built once, after the
/// signatures and the structure have been checked; blob data stays in the bundle file.
struct ServeCatalog: Sendable {
    struct Repository: Sendable {
        var tags: [String: Digest] = [:]
        var manifests: [Digest: ManifestDocument] = [:]
        var blobs: [Digest: Descriptor] = [:]
    }

    let repositories: [String: Repository]
    /// Repository names, sorted (the order `_catalog` pages through).
    let names: [String]

    static func make(_ manifest: BundleManifest, naming: TargetNaming, read: (Descriptor) throws -> [UInt8]) async throws -> ServeCatalog {
        if let base = manifest.base {
            throw AirlockError.notFound("this is a delta bundle: \(base.externalBlobs.count) of its blobs are in \(base.name) \(base.version), so it cannot be served alone; serve the full bundle, or push the base and then the delta into a registry")
        }
        let descriptors = Dictionary(manifest.blobs.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        let catalog = BlobCatalog(manifest)
        var repositories: [String: Repository] = [:]
        let targets = try naming.targets(for: manifest.images)
        for (image, (name, tag)) in zip(manifest.images, targets) {
            let load: (Digest) async throws -> ManifestDocument? = { digest in
                guard let descriptor = descriptors[digest] else {
                    throw AirlockError.verification("image \(image.refName) references \(digest), which the bundle manifest does not list")
                }
                return try ImageGraph.document(try read(descriptor), descriptor, of: image)
            }
            var seen: Set<Digest> = []
            var graphs = [try await ImageGraph.walk(image.digest, of: image, seen: &seen, known: { try catalog.check($0, in: image.refName); return true }, load: load)]
            var repository = repositories[name] ?? Repository()
            if let tag { repository.tags[tag] = image.digest }
            // Its evidence, where push would put it: referrers by digest (the Referrers API finds
            // them by subject), cosign's signatures and the referrers tag index under their tags.
            for entry in manifest.evidence ?? [] where entry.image == image.refName {
                if let evidenceTag = entry.tag { repository.tags[evidenceTag] = entry.manifest.digest }
                if entry.kind == .referrersIndex, let descriptor = descriptors[entry.manifest.digest] {
                    let document = try ImageGraph.document(try read(descriptor), descriptor, of: image)
                    repository.manifests[document.digest] = document
                    continue
                }
                graphs.append(try await ImageGraph.walk(entry.manifest.digest, of: image, seen: &seen, known: { try catalog.check($0, in: image.refName); return true }, load: load))
            }
            for graph in graphs {
                for document in graph.manifests { repository.manifests[document.digest] = document }
                for blob in graph.blobs { repository.blobs[blob.digest] = descriptors[blob.digest] ?? blob }
            }
            repositories[name] = repository
        }
        return ServeCatalog(repositories: repositories, names: repositories.keys.sorted())
    }

    /// One page of a sorted list, as distribution pages `_catalog` and tags/list: entries after
    /// `last`, at most `n`; `more` when entries remain.
    static func page(_ sorted: [String], n: Int?, last: String?) -> (entries: [String], more: Bool) {
        let after = last.map { last in sorted.filter { $0 > last } } ?? sorted
        guard let n, n >= 0, n < after.count else { return (after, false) }
        return (Array(after.prefix(n)), true)
    }
}
