import Foundation
import OCI

/// A site's trust policy (airlock-policy(5), format-spec §14): roles of signers with
/// thresholds, revoked keys, a maximum age, the bundle's name and rules for its images. A pure
/// value: `Airlock.PolicyFile` reads it from YAML; `evaluate` applies it to a bundle's signed
/// front. Every rule reads only signed data.
public struct TrustPolicy: Sendable {
    /// Signers of one kind (the vendor, the security team): `threshold` distinct keys must have signed.
    public struct Role: Sendable {
        public let name: String
        public let keys: [PublicKey]
        public let threshold: Int
        /// `attests-policy`: a signer counts only with a recorded verdict (`sign --policy`) that
        /// names this policy digest.
        public let attestsPolicy: Digest?

        public init(name: String, keys: [PublicKey], threshold: Int, attestsPolicy: Digest? = nil) {
            self.name = name
            self.keys = keys
            self.threshold = threshold
            self.attestsPolicy = attestsPolicy
        }
    }

    /// What every image must be or carry.
    public struct ImageRules: Sendable {
        /// Globs every image's source reference must match one of (empty: any source).
        public let sources: [String]
        /// Every image carries a cosign signature by one of these (checked where the payloads are read).
        public let cosignKeys: [PublicKey]
        /// Evidence every image must carry.
        public let require: [BundleManifest.Evidence.Kind]

        public init(sources: [String] = [], cosignKeys: [PublicKey] = [], require: [BundleManifest.Evidence.Kind] = []) {
            self.sources = sources
            self.cosignKeys = cosignKeys
            self.require = require
        }
    }

    /// Where it was read from, as the user named it.
    public let path: String
    /// SHA-256 of the policy file's bytes (what a report and a countersignature name).
    public let digest: Digest
    public let bundle: String?
    public let roles: [Role]
    public let revoked: [PublicKey]
    /// The signed creation time is at most this many seconds old.
    public let maxAge: Int64?
    /// `max-age` as written (`30d`).
    public let maxAgeText: String?
    public let images: ImageRules

    /// How far in the future a creation time may be (clocks differ).
    public static let futureSkew: Int64 = 300

    public init(path: String, digest: Digest, bundle: String? = nil, roles: [Role], revoked: [PublicKey] = [],
                maxAge: Int64? = nil, maxAgeText: String? = nil, images: ImageRules = ImageRules()) {
        self.path = path
        self.digest = digest
        self.bundle = bundle
        self.roles = roles
        self.revoked = revoked
        self.maxAge = maxAge
        self.maxAgeText = maxAgeText
        self.images = images
    }

    /// Every key the policy names in a role.
    public var roleKeys: [PublicKey] { roles.flatMap(\.keys) }

    /// The same policy for a bundle a site already holds (`status --check --policy`): every rule
    /// but max-age, which held, or not, when it was pushed.
    public var forRecord: TrustPolicy {
        TrustPolicy(path: path, digest: digest, bundle: bundle, roles: roles, revoked: revoked, images: images)
    }

    /// The same policy for an older bundle a delta relies on: its signers and revocations, not
    /// its age or name (a base is older by nature).
    public var forBase: TrustPolicy {
        TrustPolicy(path: path, digest: digest, bundle: nil, roles: roles, revoked: revoked, images: ImageRules())
    }
}
