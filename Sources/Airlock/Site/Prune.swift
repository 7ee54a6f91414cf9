import Bundle
import Foundation
import OCI
import Registry

/// Plans and carries out a prune: deletes what only non-kept bundles use, never what a kept
/// bundle or an image the ledger does not record uses; ledger records last.
public struct Pruner: Sendable {
    let transport: RegistryTransport

    public init(transport: RegistryTransport) { self.transport = transport }

    /// A manifest to delete, with the repository it is in.
    struct Deletion {
        let repository: String
        let deletion: PrunePlan.ManifestDeletion
    }

    /// A tag as it stands now.
    struct Tag {
        let repository: String
        let tag: String
        let digest: Digest
    }

    /// What stays: manifests (`REPO@DIGEST`) and blobs (any repository) a protected image reaches,
    /// and the tags only pruned bundles put there.
    struct Protection {
        var manifests: Set<String> = []
        var blobs: Set<Digest> = []
        var prunableTags: [Tag] = []
        /// What every tag of the repositories involved names now.
        var current: [String: [String: Digest]] = [:]
    }

    public func prune(_ location: LedgerLocation, keep: PruneKeep, delete: Bool, concurrency: Int = 4) async throws -> PrunePlan {
        let client = transport.client(for: location.registry)
        try await client.checkReachable()
        let ledger = try await Ledger.read(location, client: client, concurrency: concurrency)
        let (kept, pruned) = try Self.split(ledger, keep: keep)
        let protection = try await protect(kept: kept.flatMap(\.record.images), pruned: pruned.flatMap(\.record.images),
                                           location: location, client: client, concurrency: concurrency)

        // The pruned images' manifests that nothing protected reaches, children first.
        var deletions: [Deletion] = []
        var planned: Set<String> = []
        var freed: [Digest: Int64] = [:]
        for image in pruned.flatMap(\.record.images) where !protection.manifests.contains(Reference.spelled(image.repository, tag: nil, digest: image.digest)) {
            let name = Reference.spelled("\(location.registry)/\(image.repository)", tagOr: image.digest, tag: image.tag)
            let graph = try await ImageGraph.walk(image.digest, named: name, repository: image.repository, client: client)
            for document in graph.manifests where !protection.manifests.contains(Reference.spelled(image.repository, tag: nil, digest: document.digest)) {
                guard planned.insert(Reference.spelled(image.repository, tag: nil, digest: document.digest)).inserted else { continue }
                let tags = (protection.current[image.repository] ?? [:]).filter { $0.value == document.digest }.map(\.key).sorted()
                deletions.append(Deletion(repository: image.repository, deletion: PrunePlan.ManifestDeletion(
                    target: Reference.spelled("\(location.registry)/\(image.repository)", tag: nil, digest: document.digest), digest: document.digest,
                    size: Int64(document.bytes.count), tags: tags, image: name)))
                if !protection.blobs.contains(document.digest) { freed[document.digest] = Int64(document.bytes.count) }
                for blob in document.references where !MediaType.isManifest(blob.mediaType) && !protection.blobs.contains(blob.digest) {
                    freed[blob.digest] = blob.size
                }
            }
        }
        let tagDeletions = protection.prunableTags.filter { protection.manifests.contains(Reference.spelled($0.repository, tag: nil, digest: $0.digest)) }
        let tagsLeft = delete ? try await carryOut(deletions, tags: tagDeletions, records: pruned, location: location, client: client) : []
        return PrunePlan(
            target: location.target, kept: kept.map(\.identity), pruned: pruned.map(\.identity),
            manifests: deletions.map(\.deletion), tags: tagDeletions.map { Reference.spelled("\(location.registry)/\($0.repository)", tag: $0.tag, digest: nil) },
            records: pruned.map { Reference.spelled("\(location.registry)/\(location.repository)", tag: $0.tag, digest: nil) },
            reclaimableBytes: freed.values.reduce(0, +) + pruned.reduce(0) { $0 + $1.size }, deleted: delete, tagsLeft: tagsLeft)
    }

    /// Protected are every kept image, and whatever any tag of the repositories involved names
    /// unless the tag is the pruned bundles' alone: one of them put it there, it still names what
    /// was put, and no kept bundle records it. Everything a protected image reaches stays.
    func protect(kept: [LedgerRecord.Image], pruned: [LedgerRecord.Image], location: LedgerLocation,
                 client: RegistryClient, concurrency: Int) async throws -> Protection {
        var protection = Protection()
        func owned(_ images: [LedgerRecord.Image], _ tag: Tag) -> Bool {
            images.contains { $0.repository == tag.repository && $0.tag == tag.tag && $0.digest == tag.digest }
        }
        var roots: [(repository: String, digest: Digest)] = kept.map { ($0.repository, $0.digest) }
        for repository in Array(Set(pruned.map(\.repository))).sorted() {
            let current = try await tagDigests(repository, client: client, concurrency: concurrency)
            protection.current[repository] = current
            for (name, digest) in current.sorted(by: { $0.key < $1.key }) {
                let tag = Tag(repository: repository, tag: name, digest: digest)
                if owned(pruned, tag), !owned(kept, tag) {
                    protection.prunableTags.append(tag)
                } else {
                    roots.append((repository, digest))
                }
            }
        }
        var walked: Set<String> = []
        for root in roots where walked.insert(Reference.spelled(root.repository, tag: nil, digest: root.digest)).inserted {
            let graph = try await ImageGraph.walk(root.digest, named: Reference.spelled("\(location.registry)/\(root.repository)", tag: nil, digest: root.digest), repository: root.repository, client: client)
            for document in graph.manifests {
                protection.manifests.insert(Reference.spelled(root.repository, tag: nil, digest: document.digest))
                protection.blobs.insert(document.digest)
            }
            protection.blobs.formUnion(graph.blobs.map(\.digest))
        }
        return protection
    }

    /// Deletes the manifests (children first), then the tags, then the ledger records. Returns the
    /// tags the registry would not delete by name (optional in the distribution spec; their image
    /// is kept anyway). A registry that refuses deleting stops here with `deleteRefused`.
    func carryOut(_ deletions: [Deletion], tags: [Tag], records: [Ledger.Entry], location: LedgerLocation, client: RegistryClient) async throws -> [String] {
        for item in deletions {
            try await client.deleteManifest(repository: item.repository, reference: item.deletion.digest.description)
        }
        var left: [String] = []
        for tag in tags {
            do {
                try await client.deleteManifest(repository: tag.repository, reference: tag.tag)
            } catch let error as RegistryError {
                switch error {
                case .unexpectedStatus, .deleteRefused: left.append(Reference.spelled("\(location.registry)/\(tag.repository)", tag: tag.tag, digest: nil))
                default: throw error
                }
            }
        }
        for entry in records {
            try await client.deleteManifest(repository: location.repository, reference: entry.digest.description)
        }
        return left
    }

    /// Splits the ledger into kept and pruned entries; a --keep the ledger does not record is refused.
    static func split(_ ledger: Ledger, keep: PruneKeep) throws -> (kept: [Ledger.Entry], pruned: [Ledger.Entry]) {
        var keptTags: Set<String> = []
        switch keep {
        case .bundles(let wanted):
            for (name, version) in wanted {
                let matching = ledger.entries.filter { $0.record.name == name && $0.record.version == version }
                guard !matching.isEmpty else {
                    throw AirlockError.notFound("\(ledger.location.target) records no bundle \(name) \(version) (--keep \(name)@\(version)); airlock status --at \(ledger.location.target) lists what it records")
                }
                keptTags.formUnion(matching.map(\.tag))
            }
        case .last(let count):
            for name in Set(ledger.entries.map(\.record.name)) {
                let standings = Set(ledger.entries.filter { $0.record.name == name }.map(\.standing))
                let newest = Set(BundleOrder.newestFirst(Array(standings)).prefix(count))
                keptTags.formUnion(ledger.entries.filter { newest.contains($0.standing) }.map(\.tag))
            }
        }
        return (ledger.entries.filter { keptTags.contains($0.tag) }, ledger.entries.filter { !keptTags.contains($0.tag) })
    }

    /// What each tag of `repository` names now (an unknown repository has none).
    func tagDigests(_ repository: String, client: RegistryClient, concurrency: Int) async throws -> [String: Digest] {
        let tags: [String]
        do {
            tags = try await client.tags(repository: repository)
        } catch RegistryError.notFound {
            return [:]
        }
        let digests = try await BoundedConcurrency.map(tags, limit: concurrency) { tag -> Digest? in
            do {
                return try await client.manifestDescriptor(repository: repository, reference: tag)?.digest
            } catch RegistryError.notFound {
                return nil
            }
        }
        var named: [String: Digest] = [:]
        for (tag, digest) in zip(tags, digests) { if let digest { named[tag] = digest } }
        return named
    }
}
