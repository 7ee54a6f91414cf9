import Bundle
import Foundation
import OCI
import Registry

/// Which recorded bundles `prune` keeps.
public enum PruneKeep: Sendable {
    /// `--keep NAME@VERSION…`: exactly these.
    case bundles([(name: String, version: String)])
    /// `--keep-last N`: the N highest versions (VersionOrder) of each bundle name.
    case last(Int)
}

/// `airlock prune --json` (format-spec/json/prune.schema.json): what prune deletes, or would.
public struct PrunePlan: Sendable, Encodable {
    public let target: String
    /// `NAME VERSION` of the bundles kept and pruned.
    public let kept: [String]
    public let pruned: [String]
    /// Manifests deleted by digest, children before the index that lists them.
    public let manifests: [ManifestDeletion]
    /// Tags only pruned bundles use, on a manifest something kept still uses: deleted by name.
    public let tags: [String]
    /// The pruned bundles' ledger records, deleted last.
    public let records: [String]
    /// Bytes of blobs and manifests that only deleted manifests reference, as far as the ledger and
    /// the repositories involved show: what garbage collection can reclaim once it runs.
    public let reclaimableBytes: Int64
    /// False for the dry run (no --yes).
    public let deleted: Bool
    /// Tags the registry would not delete by name (distribution 2.8 deletes by digest only).
    public let tagsLeft: [String]

    public struct ManifestDeletion: Sendable, Encodable {
        /// `REG/REPO@DIGEST`.
        public let target: String
        public let digest: Digest
        public let size: Int64
        /// Tags that name it now (they go with it).
        public let tags: [String]
        /// The pruned bundle image it belongs to.
        public let image: String
    }
}

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

    public func prune(_ location: LedgerLocation, keep: PruneKeep, delete: Bool, concurrency: Int = 4) async throws -> PrunePlan {
        let client = transport.client(for: location.registry)
        try await client.checkReachable()
        let ledger = try await Ledger.read(location, client: client, concurrency: concurrency)
        let (kept, pruned) = try Self.split(ledger, keep: keep)
        let keptImages = kept.flatMap(\.record.images)
        let prunedImages = pruned.flatMap(\.record.images)

        // What every tag of the repositories involved names now.
        let repositories = Array(Set(prunedImages.map(\.repository))).sorted()
        var current: [String: [String: Digest]] = [:]
        for repository in repositories {
            current[repository] = try await tagDigests(repository, client: client, concurrency: concurrency)
        }
        // A tag is the pruned bundles' alone when one of them put it there, it still names what was
        // put, and no kept bundle records it; every other tag protects what it names.
        func owned(_ images: [LedgerRecord.Image], _ repository: String, _ tag: String, _ digest: Digest) -> Bool {
            images.contains { $0.repository == repository && $0.tag == tag && $0.digest == digest }
        }
        var protectedRoots: [(repository: String, digest: Digest)] = keptImages.map { ($0.repository, $0.digest) }
        var prunableTags: [(repository: String, tag: String, digest: Digest)] = []
        for repository in repositories {
            for (tag, digest) in (current[repository] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if owned(prunedImages, repository, tag, digest), !owned(keptImages, repository, tag, digest) {
                    prunableTags.append((repository, tag, digest))
                } else {
                    protectedRoots.append((repository, digest))
                }
            }
        }

        // Everything the protected roots reach stays: manifests per repository, blobs anywhere.
        var protectedManifests: Set<String> = []
        var protectedBlobs: Set<Digest> = []
        for root in protectedRoots where protectedManifests.insert("\(root.repository)@\(root.digest)").inserted {
            let graph = try await ImageGraph.walk(root.digest, named: "\(location.registry)/\(root.repository)@\(root.digest)", repository: root.repository, client: client)
            for document in graph.manifests {
                protectedManifests.insert("\(root.repository)@\(document.digest)")
                protectedBlobs.insert(document.digest)
            }
            protectedBlobs.formUnion(graph.blobs.map(\.digest))
        }

        // The pruned images' manifests that nothing protected reaches, children first.
        var deletions: [Deletion] = []
        var planned: Set<String> = []
        var freed: [Digest: Int64] = [:]
        for image in prunedImages where !protectedManifests.contains("\(image.repository)@\(image.digest)") {
            let name = Reference.spelled("\(location.registry)/\(image.repository)", tagOr: image.digest, tag: image.tag)
            let graph = try await ImageGraph.walk(image.digest, named: name, repository: image.repository, client: client)
            for document in graph.manifests where !protectedManifests.contains("\(image.repository)@\(document.digest)") {
                guard planned.insert("\(image.repository)@\(document.digest)").inserted else { continue }
                let tags = (current[image.repository] ?? [:]).filter { $0.value == document.digest }.map(\.key).sorted()
                deletions.append(Deletion(repository: image.repository, deletion: PrunePlan.ManifestDeletion(
                    target: "\(location.registry)/\(image.repository)@\(document.digest)", digest: document.digest,
                    size: Int64(document.bytes.count), tags: tags, image: name)))
                if !protectedBlobs.contains(document.digest) { freed[document.digest] = Int64(document.bytes.count) }
                for blob in document.references where !MediaType.isManifest(blob.mediaType) && !protectedBlobs.contains(blob.digest) {
                    freed[blob.digest] = blob.size
                }
            }
        }
        let tagDeletions = prunableTags.filter { protectedManifests.contains("\($0.repository)@\($0.digest)") }
        let records = pruned.map { "\(location.registry)/\(location.repository):\($0.tag)" }
        let reclaimable = freed.values.reduce(0, +) + pruned.reduce(0) { $0 + $1.size }

        var tagsLeft: [String] = []
        if delete {
            for item in deletions {
                try await client.deleteManifest(repository: item.repository, reference: item.deletion.digest.description)
            }
            for tag in tagDeletions {
                do {
                    try await client.deleteManifest(repository: tag.repository, reference: tag.tag)
                } catch let error as RegistryError {
                    // Deleting by tag is optional in the distribution spec; the tag's image is kept anyway.
                    switch error {
                    case .unexpectedStatus, .deleteRefused: tagsLeft.append("\(location.registry)/\(tag.repository):\(tag.tag)")
                    default: throw error
                    }
                }
            }
            for entry in pruned {
                try await client.deleteManifest(repository: location.repository, reference: entry.digest.description)
            }
        }
        return PrunePlan(
            target: location.target, kept: kept.map(\.record.title), pruned: pruned.map(\.record.title),
            manifests: deletions.map(\.deletion), tags: tagDeletions.map { "\(location.registry)/\($0.repository):\($0.tag)" },
            records: records, reclaimableBytes: reclaimable, deleted: delete, tagsLeft: tagsLeft)
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
                let versions = Set(ledger.entries.filter { $0.record.name == name }.map(\.record.version)).sorted(by: VersionOrder.newerFirst)
                let newest = Set(versions.prefix(count))
                keptTags.formUnion(ledger.entries.filter { $0.record.name == name && newest.contains($0.record.version) }.map(\.tag))
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
