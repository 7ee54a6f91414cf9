import Bundle
import Foundation
import OCI
import Registry

/// `airlock status --json` (format-spec/json/status.schema.json): the bundles a registry's ledger
/// records, in ledger order (newest bundle first), and with --check whether the registry still holds them.
public struct StatusReport: Sendable, Encodable {
    /// `REG[/NAMESPACE]`.
    public let target: String
    /// `REG/NAMESPACE/airlock-ledger`.
    public let ledger: String
    public let bundles: [Bundle]
    /// Ledger tags that hold no readable record.
    public let unreadable: [Ledger.Unreadable]
    /// With --check: images in each state.
    public let intact: Int?
    public let missing: Int?
    public let moved: Int?
    /// With --policy: recorded bundles that do not meet it.
    public let untrusted: Int?

    public struct Bundle: Sendable, Encodable {
        public let name: String
        public let version: String
        public let pushedAt: String
        public let airlockVersion: String
        /// The signatures the record holds (key id and algorithm; checked under `trust`).
        public let signers: [SignatureReport.Signer]
        public let manifestDigest: Digest
        /// `REG/NS/airlock-ledger:TAG`.
        public let record: String
        public let downgradedFrom: String?
        public let images: [Image]
        /// With --policy: the recorded signatures held to the policy again.
        public let trust: TrustCheck?
    }

    /// A recorded bundle re-verified: its record's signatures over its signed manifest, and the
    /// policy's rules (all but max-age).
    public struct TrustCheck: Sendable, Encodable {
        public let passed: Bool
        /// Why not, in one sentence (a record whose signatures do not verify is named here).
        public let error: String?
        public let policy: PolicyReport?
    }

    public struct Image: Sendable, Encodable {
        public let name: String
        public let source: String
        /// `REG/REPO:TAG`, or `REG/REPO@DIGEST` when the push left no tag.
        public let target: String
        public let digest: Digest
        /// The media type and byte size of the image's manifest or index, as the bundle was signed.
        public let mediaType: String
        public let size: Int64
        /// With --check: `intact`, `missing` (a manifest or the tag is gone) or `moved` (the tag names another manifest).
        public let state: ImageState?
        /// What a moved tag names now.
        public let current: Digest?
        /// Manifests of the image the registry lacks.
        public let missingManifests: [Digest]?
    }

    public enum ImageState: String, Sendable, Encodable {
        case intact, missing, moved
    }
}
