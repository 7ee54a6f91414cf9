import Bundle
import Logging
import NIOConcurrencyHelpers
import OCI
import Registry

/// Finds the evidence about manifests of one repository: its referrers (Referrers API, else the
/// referrers tag schema) and cosign's `.sig/.att/.sbom` tags, breadth first by digest, each once.
/// With no evidence at the source this costs one tag list per repository and one referrers
/// request per manifest (one per registry when it lacks the API).
struct EvidenceFinder: Sendable {
    let client: RegistryClient
    let registry: String
    let repository: String
    let options: EvidenceOptions
    let cache: EvidenceCache
    let concurrency: Int
    let logger: Logger

    struct Item: Sendable {
        let evidence: FoundEvidence
        let blobs: [Packer.PackedBlob]
    }

    func find(about subjects: [Digest]) async throws -> [Item] {
        let tags = try await cache.tags(client, repository: repository)
        var seen = Set(subjects)
        var found: [Item] = []
        var level = subjects
        var depth = 0
        while !level.isEmpty, depth < options.maxDepth {
            let current = depth
            let results = try await BoundedConcurrency.map(level, limit: concurrency) { subject in
                try await self.evidence(about: subject, depth: current, tags: tags)
            }
            level = []
            for item in results.joined() {
                found.append(item)
                if item.evidence.kind != .referrersIndex, seen.insert(item.evidence.document.digest).inserted {
                    level.append(item.evidence.document.digest)
                }
            }
            depth += 1
        }
        if !found.isEmpty { logger.info("\(repository): \(found.count) evidence manifests about \(subjects.count) manifests") }
        return found
    }

    /// The evidence directly about `subject`, in a stable order, with the blobs each needs.
    func evidence(about subject: Digest, depth: Int, tags: Set<String>) async throws -> [Item] {
        let terms = depth == 0 ? options.types : []
        var items: [Item] = []
        var added: Set<Digest> = []
        func add(_ document: ManifestDocument, tag: String?) async throws {
            let kind = EvidenceKind.classify(document, tag: tag)
            guard EvidenceKind.selected(kind, artifactType: EvidenceKind.artifactType(of: document), by: terms),
                  added.insert(document.digest).inserted else { return }
            let evidence = FoundEvidence(subject: subject, kind: kind, document: document, tag: tag)
            items.append(Item(evidence: evidence, blobs: try await blobs(of: document, depth: 0)))
        }

        // 1. Referrers: the API, or the index under the referrers tag where there is none.
        var fallback: ManifestDocument?
        let filter = terms.count == 1 && terms[0].contains("/") ? terms[0] : nil
        let answer = try await cache.referrers(client, repository: repository, subject: subject, artifactType: filter)
        var listed = answer ?? []
        let indexTag = EvidenceTag.referrersIndex(for: subject)
        if answer == nil, tags.contains(indexTag) {
            let document = try await client.manifest(repository: repository, reference: indexTag)
            // Some registries resolve `sha256-<hex>` to the manifest itself: that is no referrers index.
            if case .index(let index) = document.content, document.digest != subject {
                fallback = document
                listed = index.manifests
            }
        }
        for descriptor in listed.sorted(by: { $0.digest < $1.digest }) where MediaType.isManifest(descriptor.mediaType) {
            let document = try await client.manifest(repository: repository, reference: descriptor.digest.description)
            guard Self.subject(of: document) == subject else {
                logger.info("\(repository): \(descriptor.digest.short) is listed as a referrer of \(subject.short) but names another subject; left out")
                continue
            }
            try await add(document, tag: nil)
        }
        // 2. Cosign's tags.
        for suffix in EvidenceTag.cosignSuffixes {
            let tag = EvidenceTag.cosign(suffix, for: subject)
            guard tags.contains(tag) else { continue }
            try await add(try await client.manifest(repository: repository, reference: tag), tag: tag)
        }
        // 3. The source's own referrers index travels as it is, when everything it names does.
        if let fallback, case .index(let index) = fallback.content, index.manifests.allSatisfy({ added.contains($0.digest) }) {
            let evidence = FoundEvidence(subject: subject, kind: .referrersIndex, document: fallback, tag: indexTag)
            items.append(Item(evidence: evidence, blobs: [source(fallback)]))
        }
        return items
    }

    static func subject(of document: ManifestDocument) -> Digest? {
        switch document.content {
        case .image(let manifest): manifest.subject?.digest
        case .index(let index): index.subject?.digest
        }
    }

    func source(_ document: ManifestDocument) -> Packer.PackedBlob {
        Packer.PackedBlob(descriptor: document.descriptor(), registry: registry, repository: repository, bytes: document.bytes)
    }

    /// An evidence manifest and everything it references. Signature payloads are small and
    /// read at once, so `--cosign-key` can check them before any layer is fetched.
    func blobs(of document: ManifestDocument, depth: Int) async throws -> [Packer.PackedBlob] {
        var blobs = [source(document)]
        switch document.content {
        case .image(let manifest):
            for blob in manifest.blobs {
                var bytes: [UInt8]?
                if blob.mediaType == EvidenceKind.simpleSigningLayer, blob.size <= CosignVerification.maximumPayload {
                    var payload: [UInt8] = []
                    try await client.blob(blob, repository: repository) { payload.append(contentsOf: $0.readableBytesView) }
                    bytes = payload
                }
                blobs.append(Packer.PackedBlob(descriptor: blob, registry: registry, repository: repository, bytes: bytes))
            }
        case .index(let index):
            guard depth < 2 else {
                throw AirlockError.usage("evidence \(document.digest) in \(registry)/\(repository) nests indexes too deeply")
            }
            for child in index.manifests where MediaType.isManifest(child.mediaType) {
                let nested = try await client.manifest(repository: repository, reference: child.digest.description)
                blobs += try await self.blobs(of: nested, depth: depth + 1)
            }
        }
        return blobs
    }
}
