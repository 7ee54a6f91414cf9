import Bundle
import Foundation
import OCI
import Registry

/// `airlock prune --json` (format-spec/json/prune.schema.json): what prune deletes, or would.
public struct PrunePlan: Sendable, Encodable {
    public let target: String
    /// The bundles kept and pruned.
    public let kept: [BundleIdentity]
    public let pruned: [BundleIdentity]
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
