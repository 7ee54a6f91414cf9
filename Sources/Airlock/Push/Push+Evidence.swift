import Bundle
import Foundation
import OCI
import Registry

/// Evidence on push: after an image's manifests and tag, its evidence manifests by digest
/// (subjects before what is about them), cosign's tags, and, where the registry does not index
/// subjects itself (no `OCI-Subject` answer), the referrers tag schema index, merged with what the
/// target holds and written only once every manifest it names is there.
extension Pusher {
    /// One evidence manifest at the target, for the result and `--mapping`.
    public struct EvidencePush: Sendable, Encodable {
        public let image: String
        public let kind: BundleManifest.Evidence.Kind
        public let subject: Digest
        public let digest: Digest
        /// `REG/REPO@digest`, or `REG/REPO:tag` for a tag.
        public let target: String
        /// False when the target already had it.
        public let sent: Bool
    }

    /// The evidence of one image, in push order.
    struct EvidencePlan: Sendable {
        var entries: [BundleManifest.Evidence] = []
        /// Evidence manifests (children before an index), pushed by digest.
        var documents: [ManifestDocument] = []
        var blobs: [Descriptor] = []
        /// The source's referrers indexes, by subject.
        var sourceIndexes: [Digest: ManifestDocument] = [:]
    }

    func pushEvidence(_ plan: Plan, target: String, client: RegistryClient) async throws -> [EvidencePush] {
        let evidence = plan.evidence
        guard !evidence.entries.isEmpty else { return [] }
        var results: [EvidencePush] = []
        var indexedBySubject: Bool?
        let entryOf = Dictionary(evidence.entries.map { ($0.manifest.digest, $0) }, uniquingKeysWith: { a, _ in a })
        for document in evidence.documents {
            var sent = false
            if try await client.manifestDescriptor(repository: plan.repository, reference: document.digest.description)?.digest != document.digest {
                let answered = try await client.putManifest(document, repository: plan.repository, reference: document.digest.description)
                if EvidenceFinder.subject(of: document) != nil { indexedBySubject = (indexedBySubject ?? false) || answered != nil }
                sent = true
            }
            if let entry = entryOf[document.digest] {
                results.append(EvidencePush(image: plan.image.refName, kind: entry.kind, subject: entry.subject, digest: document.digest,
                                            target: Reference.spelled(target, tag: nil, digest: document.digest), sent: sent))
            }
        }
        results += try await pushEvidenceTags(plan, target: target, client: client)
        // Referrers (manifests with a subject), grouped by subject in push order.
        var subjects: [Digest] = []
        var referrers: [Digest: [ManifestDocument]] = [:]
        for document in evidence.documents where entryOf[document.digest] != nil {
            guard let subject = EvidenceFinder.subject(of: document) else { continue }
            if referrers[subject] == nil { subjects.append(subject) }
            referrers[subject, default: []].append(document)
        }
        guard let first = subjects.first else { return results }
        if indexedBySubject == nil {
            // Nothing was sent this time: ask the registry whether it indexes subjects itself.
            indexedBySubject = try await client.referrers(repository: plan.repository, subject: first) != nil
        }
        guard indexedBySubject == false else { return results }
        for subject in subjects {
            if let pushed = try await updateReferrersIndex(subject, referrers: referrers[subject] ?? [], source: evidence.sourceIndexes[subject],
                                                          repository: plan.repository, client: client) {
                let tag = EvidenceTag.referrersIndex(for: subject)
                results.append(EvidencePush(image: plan.image.refName, kind: .referrersIndex, subject: subject, digest: pushed,
                                            target: Reference.spelled(target, tag: tag, digest: nil), sent: true))
            }
        }
        return results
    }

    /// Cosign's tags (`sha256-<hex>.sig` and the like), each naming its evidence manifest.
    func pushEvidenceTags(_ plan: Plan, target: String, client: RegistryClient) async throws -> [EvidencePush] {
        let byDigest = Dictionary(plan.evidence.documents.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        var results: [EvidencePush] = []
        for entry in plan.evidence.entries where entry.kind != .referrersIndex {
            guard let tag = entry.tag, let document = byDigest[entry.manifest.digest] else { continue }
            var sent = false
            let current = try await client.manifestDescriptor(repository: plan.repository, reference: tag)?.digest
            if current != document.digest {
                // Cosign keeps every signature in one manifest per tag: another tool's cannot be merged without a new digest.
                if let current { logger.warning("\(Reference.spelled(plan.repository, tag: tag, digest: nil)) named \(current.short); it now names the bundle's \(document.digest.short)") }
                try await client.putManifest(document, repository: plan.repository, reference: tag)
                sent = true
            }
            results.append(EvidencePush(image: plan.image.refName, kind: entry.kind, subject: entry.subject, digest: document.digest,
                                        target: Reference.spelled(target, tag: tag, digest: nil), sent: sent))
        }
        return results
    }

    /// Adds `referrers` to the target's `sha256-<hex>` index, keeping every entry it has.
    /// A target without one gets the source's index as it was, when that names only manifests
    /// now present. Returns the digest written, or nil when the index already listed them all.
    func updateReferrersIndex(_ subject: Digest, referrers: [ManifestDocument], source: ManifestDocument?,
                              repository: String, client: RegistryClient) async throws -> Digest? {
        let tag = EvidenceTag.referrersIndex(for: subject)
        var current: ManifestDocument?
        do {
            current = try await client.manifest(repository: repository, reference: tag)
        } catch RegistryError.notFound {
            current = nil
        }
        var listed: Set<Digest> = []
        if let current {
            guard case .index(let index) = current.content, current.digest != subject else {
                logger.warning("\(Reference.spelled(repository, tag: tag, digest: nil)) is not a referrers index; left as it is, so \(subject.short)'s referrers are not listed there")
                return nil
            }
            listed = Set(index.manifests.map(\.digest))
        }
        let missing = referrers.filter { !listed.contains($0.digest) }
        guard !missing.isEmpty else { return nil }
        let document: ManifestDocument
        if current == nil, let source, case .index(let index) = source.content,
           Set(index.manifests.map(\.digest)).isSubset(of: Set(referrers.map(\.digest))) {
            document = source
        } else {
            document = try Self.mergedIndex(current, adding: missing)
        }
        try await client.putManifest(document, repository: repository, reference: tag)
        logger.info("\(Reference.spelled(repository, tag: tag, digest: nil)) lists \(missing.count) more referrers of \(subject.short)")
        return document.digest
    }

    /// `current` (or a new empty index) with a descriptor for each of `referrers` appended; every
    /// member the current index has, known or not, is kept.
    static func mergedIndex(_ current: ManifestDocument?, adding referrers: [ManifestDocument]) throws -> ManifestDocument {
        var object: [String: Any] = ["schemaVersion": 2, "mediaType": MediaType.ociIndex, "manifests": [Any]()]
        if let current {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(current.bytes)) as? [String: Any] else {
                throw AirlockError.verification("the referrers index at the target is not a JSON object")
            }
            object = parsed
        }
        var manifests = object["manifests"] as? [Any] ?? []
        for document in referrers {
            var entry: [String: Any] = ["mediaType": document.mediaType, "digest": document.digest.description, "size": document.bytes.count]
            if let type = EvidenceKind.artifactType(of: document) { entry["artifactType"] = type }
            let annotations: [String: String]? = switch document.content {
            case .image(let manifest): manifest.annotations
            case .index(let index): index.annotations
            }
            if let annotations, !annotations.isEmpty { entry["annotations"] = annotations }
            manifests.append(entry)
        }
        object["manifests"] = manifests
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return try ManifestDocument(bytes: Array(bytes), declaredType: MediaType.ociIndex)
    }
}
