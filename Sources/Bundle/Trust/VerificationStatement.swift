import Foundation
import OCI

/// An in-toto Statement v1 (in-toto.io/Statement/v1) with SLSA's verification summary
/// predicate (slsa.dev/verification_summary/v1): who verified the bundle manifest, when, against
/// which policy, with what result.
public struct VerificationStatement: Codable, Sendable, Equatable {
    public static let type = "https://in-toto.io/Statement/v1"
    public static let predicateType = "https://slsa.dev/verification_summary/v1"

    public struct Subject: Codable, Sendable, Equatable {
        public let name: String
        public let digest: [String: String]
    }

    public struct Predicate: Codable, Sendable, Equatable {
        public struct Verifier: Codable, Sendable, Equatable {
            public let id: String
            public let version: [String: String]?
        }
        public struct Policy: Codable, Sendable, Equatable {
            public let uri: String
            public let digest: [String: String]
        }
        public let verifier: Verifier
        public let timeVerified: String
        public let resourceUri: String
        public let policy: Policy
        public let verificationResult: String
        public let verifiedLevels: [String]
    }

    public let _type: String
    public let subject: [Subject]
    public let predicateType: String
    public let predicate: Predicate

    /// A verdict that `key` verified the manifest `manifest` of bundle `name version` against `policy`.
    public init(manifest: Digest, name: String, version: String, policy: TrustPolicy, key: PublicKey, tool: String, time: Date) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        self._type = Self.type
        self.subject = [Subject(name: BundleManifest.entryName, digest: ["sha256": manifest.hex])]
        self.predicateType = Self.predicateType
        self.predicate = Predicate(
            verifier: Predicate.Verifier(id: "airlock key \(key.id)", version: ["airlock": tool]),
            timeVerified: formatter.string(from: time),
            resourceUri: "airlock-bundle:\(name)@\(version)",
            policy: Predicate.Policy(uri: policy.path.split(separator: "/").last.map(String.init) ?? policy.path, digest: ["sha256": policy.digest.hex]),
            verificationResult: "PASSED", verifiedLevels: [])
    }

    /// The policy digest the verdict names, when it is one.
    public var policyDigest: Digest? { predicate.policy.digest["sha256"].flatMap { try? Digest(parsing: "sha256:\($0)") } }
}
