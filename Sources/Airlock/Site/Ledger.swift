import Bundle
import Foundation
import OCI
import Registry

/// The site's ledger: one OCI artifact per pushed bundle in `NS/airlock-ledger`, tagged per
/// bundle (format-spec §12). Push writes a record last, after every tag; status, the downgrade
/// check and prune read them.
public struct Ledger: Sendable {
    /// A record as read back, with where it lives.
    public struct Entry: Sendable {
        public let tag: String
        /// The ledger artifact's manifest digest (what prune deletes).
        public let digest: Digest
        public let record: LedgerRecord
        /// Bytes the artifact takes: its manifest and blobs (record, signed manifest, empty config).
        public let size: Int64
        /// The recorded bundle's place in the bundle order, from the signed manifest the record carries.
        public let standing: BundleOrder.Standing
        /// The signed manifest's exact bytes (what the record's signatures sign).
        public let manifestBytes: [UInt8]
        /// Those bytes decoded: the recorded bundle's images as it was signed.
        public let manifest: BundleManifest

        public var identity: BundleIdentity {
            BundleIdentity(name: record.name, version: record.version, manifestDigest: record.bundleManifest.digest)
        }
    }

    /// A ledger tag that does not hold a readable record, and why.
    public struct Unreadable: Error, Sendable, Encodable {
        public let tag: String
        public let reason: String
    }

    public let location: LedgerLocation
    public let entries: [Entry]
    public let unreadable: [Unreadable]

    /// Largest record or signed manifest a ledger layer may hold.
    static let maximumLayerSize: Int64 = 16 << 20

    /// Reads every record at `location`; an absent ledger repository is an empty ledger.
    /// Ordered as `ordered` says: each name's bundles together, newest first (`BundleOrder`).
    public static func read(_ location: LedgerLocation, client: RegistryClient, concurrency: Int = 4) async throws -> Ledger {
        let tags: [String]
        do {
            tags = try await client.tags(repository: location.repository)
        } catch RegistryError.notFound {
            return Ledger(location: location, entries: [], unreadable: [])
        }
        let read = try await BoundedConcurrency.map(tags.sorted(), limit: concurrency) { tag -> Result<Entry, Unreadable> in
            do {
                return .success(try await entry(tag, location: location, client: client))
            } catch let error as RegistryError {
                switch error {
                case .notFound, .protocolViolation, .digestMismatch, .sizeMismatch: return .failure(Unreadable(tag: tag, reason: error.description))
                default: throw error
                }
            } catch let error as LedgerProblem {
                return .failure(Unreadable(tag: tag, reason: error.reason))
            } catch let error as BundleError {
                return .failure(Unreadable(tag: tag, reason: "the signed bundle manifest it carries does not read: \(error.description)"))
            }
        }
        var entries: [Entry] = []
        var unreadable: [Unreadable] = []
        for result in read {
            switch result {
            case .success(let entry): entries.append(entry)
            case .failure(let problem): unreadable.append(problem)
            }
        }
        return Ledger(location: location, entries: ordered(entries), unreadable: unreadable)
    }

    /// Bundles of one name together, newest bundle first (`BundleOrder`); names by their latest push.
    static func ordered(_ entries: [Entry]) -> [Entry] {
        let byName = Dictionary(grouping: entries, by: \.record.name)
        let latestPush = byName.mapValues { $0.map(\.record.pushedAt).max() ?? "" }
        return byName.keys.sorted { a, b in latestPush[a] != latestPush[b] ? latestPush[a] ?? "" > latestPush[b] ?? "" : a < b }
            .flatMap { name -> [Entry] in
                let group = byName[name] ?? []
                return BundleOrder.newestFirst(Array(Set(group.map(\.standing)))).flatMap { standing in
                    group.filter { $0.standing == standing }.sorted { $0.record.pushedAt > $1.record.pushedAt }
                }
            }
    }

    struct LedgerProblem: Error {
        let reason: String
    }

    /// One ledger tag: its artifact manifest and record (the signed manifest is fetched only to check it).
    static func entry(_ tag: String, location: LedgerLocation, client: RegistryClient) async throws -> Entry {
        let document = try await client.manifest(repository: location.repository, reference: tag)
        guard case .image(let manifest) = document.content, manifest.artifactType == LedgerRecord.mediaType,
              let layer = manifest.layers.first(where: { $0.mediaType == LedgerRecord.mediaType }) else {
            throw LedgerProblem(reason: "not an airlock ledger record (artifactType \(LedgerRecord.mediaType))")
        }
        let bytes = try await blob(layer, repository: location.repository, client: client)
        let record: LedgerRecord
        do {
            record = try JSONDecoder().decode(LedgerRecord.self, from: Data(bytes))
        } catch {
            throw LedgerProblem(reason: "its record does not parse: \(error)")
        }
        guard record.mediaType == LedgerRecord.mediaType else {
            throw LedgerProblem(reason: "its record has mediaType \(record.mediaType)")
        }
        guard manifest.layers.contains(where: { $0.digest == record.bundleManifest.digest }) else {
            throw LedgerProblem(reason: "the artifact does not carry the bundle manifest its record names (\(record.bundleManifest.digest))")
        }
        let manifestBytes = try await blob(record.bundleManifest, repository: location.repository, client: client)
        let signed = try BundleManifest.decode(manifestBytes)
        let size = manifest.blobs.reduce(Int64(document.bytes.count)) { $0 + $1.size }
        return Entry(tag: tag, digest: document.digest, record: record, size: size,
                     standing: BundleOrder.Standing(signed, digest: record.bundleManifest.digest), manifestBytes: manifestBytes, manifest: signed)
    }

    /// A small blob's bytes, checked against its digest.
    static func blob(_ descriptor: Descriptor, repository: String, client: RegistryClient) async throws -> [UInt8] {
        guard descriptor.size <= maximumLayerSize else {
            throw LedgerProblem(reason: "a layer of \(descriptor.size) bytes is over the \(maximumLayerSize)-byte limit")
        }
        var bytes: [UInt8] = []
        try await client.blob(descriptor, repository: repository) { chunk in bytes += chunk.readableBytesView }
        return bytes
    }

    /// The recorded bundles of the same name that `bundle` does not supersede (`BundleOrder`):
    /// the newer ones, and those no rule orders against it. Newest first.
    public func outranking(_ bundle: BundleOrder.Standing) -> (newer: [Entry], conflicting: [Entry]) {
        let same = entries.filter { $0.record.name == bundle.name }
        let known = BundleOrder.byDigest([bundle] + same.map(\.standing))
        let verdicts = same.map { BundleOrder.relate(bundle, $0.standing, known: known, depth: 0) }
        return (zip(same, verdicts).filter { $0.1 == .older }.map(\.0), zip(same, verdicts).filter { $0.1 == .conflict }.map(\.0))
    }

    /// The record `bundle` would replace: the one of its name and version (a record's identity,
    /// format-spec §12.1, exact strings: `1.2` and `1.2.0` are two records) made from another
    /// manifest, however the two are ordered (a delta may carry its base's version).
    public func replaced(by bundle: BundleOrder.Standing) -> Entry? {
        entries.first { $0.record.name == bundle.name && $0.record.version == bundle.version && $0.standing.manifestDigest != bundle.manifestDigest }
    }

    /// The recorded bundles whose images hold `repository:tag`, in ledger order (newest bundle first).
    public func owners(repository: String, tag: String) -> [LedgerRecord] {
        entries.map(\.record).filter { record in record.images.contains { $0.repository == repository && $0.tag == tag } }
    }

    /// The tag `record` is written under (format-spec §12.1), given the records already here.
    public func tag(for record: LedgerRecord) throws -> String {
        try LedgerLocation.tag(name: record.name, version: record.version) { tag in
            entries.first { $0.tag == tag }.map { ($0.record.name, $0.record.version) }
        }
    }

    /// Writes `record` with the exact manifest bytes: empty config, record and manifest blobs,
    /// then the artifact manifest under `tag`.
    public func write(_ record: LedgerRecord, tag: String, manifestBytes: [UInt8], client: RegistryClient) async throws {
        let config = try BlobSource.bytes(Array("{}".utf8), mediaType: MediaType.ociEmpty)
        let recordBlob = try BlobSource.bytes(try record.encoded(), mediaType: LedgerRecord.mediaType)
        let manifestBlob = try BlobSource.bytes(manifestBytes, mediaType: BundleManifest.mediaType)
        for source in [config, recordBlob, manifestBlob] {
            _ = try await client.pushBlob(source, repository: location.repository)
        }
        let artifact = ImageManifest(
            artifactType: LedgerRecord.mediaType, config: config.descriptor, layers: [recordBlob.descriptor, manifestBlob.descriptor],
            annotations: [
                "org.opencontainers.image.created": record.pushedAt,
                "org.opencontainers.image.title": record.title,
                "org.opencontainers.image.version": record.version,
            ])
        let document = try ManifestDocument(bytes: try CanonicalJSON.compact(artifact), declaredType: MediaType.ociManifest)
        try await client.putManifest(document, repository: location.repository, reference: tag)
    }
}
