import Bundle
import Foundation
import OCI

/// What a push records about a bundle in the target registry (format-spec §12, schema
/// format-spec/ledger-record.schema.json). The exact signed manifest travels beside it, as the
/// ledger artifact's second layer.
public struct LedgerRecord: Codable, Sendable, Hashable {
    /// The record's media type, and the ledger artifact's `artifactType`.
    public static let mediaType = "application/vnd.airlock.ledger.v1+json"

    public let mediaType: String
    public let name: String
    public let version: String
    /// The signed bundle manifest, byte for byte as in the bundle (the artifact's second layer).
    public let bundleManifest: Descriptor
    /// The bundle's signatures over those bytes, as its signature slot held them.
    public let signatures: [BundleSignature]
    /// When the push finished, RFC 3339 in UTC.
    public let pushedAt: String
    public let airlockVersion: String
    /// `REG[/NAMESPACE]` as push was given it (--to, without a scheme).
    public let target: String
    public let images: [Image]
    /// Signatures, SBOMs and attestations written beside the images.
    public let evidence: [Evidence]
    /// Set when `--allow-downgrade` pushed this bundle over a newer or unordered recorded one: its version.
    public let downgradedFrom: String?

    /// One image of the bundle where this push put it.
    public struct Image: Codable, Sendable, Hashable {
        /// The image's name in the bundle (`index.json`'s ref name).
        public let name: String
        /// The source reference it was packed from.
        public let source: String
        /// The repository within the target registry.
        public let repository: String
        /// The tag this push left naming the image; absent when it wrote none (a digest-only image,
        /// or `--on-existing-tag skip` left another manifest's tag in place).
        public let tag: String?
        public let digest: Digest
        public let mediaType: String

        public init(name: String, source: String, repository: String, tag: String?, digest: Digest, mediaType: String) {
            self.name = name
            self.source = source
            self.repository = repository
            self.tag = tag
            self.digest = digest
            self.mediaType = mediaType
        }
    }

    public struct Evidence: Codable, Sendable, Hashable {
        public let image: String
        public let kind: String
        /// `REG/REPO@digest`, or `REG/REPO:tag`.
        public let target: String
        public let digest: Digest
    }

    public init(name: String, version: String, bundleManifest: Descriptor, signatures: [BundleSignature], pushedAt: String,
                target: String, images: [Image], evidence: [Evidence], downgradedFrom: String?) {
        self.mediaType = Self.mediaType
        self.name = name
        self.version = version
        self.bundleManifest = bundleManifest
        self.signatures = signatures
        self.pushedAt = pushedAt
        self.airlockVersion = AirlockVersion.current
        self.target = target
        self.images = images
        self.evidence = evidence
        self.downgradedFrom = downgradedFrom
    }

    /// `NAME VERSION`, as sentences name a bundle.
    public var title: String { "\(name) \(version)" }

    /// The record's bytes: sorted keys, so the same record hashes the same.
    func encoded() throws -> [UInt8] {
        do {
            return try CanonicalJSON.compact(self)
        } catch {
            throw AirlockError.io("cannot encode the ledger record of \(title): \(error)")
        }
    }

    /// The time now as the ledger writes it: RFC 3339, UTC, milliseconds.
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
