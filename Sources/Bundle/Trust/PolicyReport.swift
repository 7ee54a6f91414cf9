import OCI

/// Every rule of a policy applied to one bundle, met or not (`verify --json`'s `policy`).
public struct PolicyReport: Sendable, Codable, Equatable {
    public struct Rule: Sendable, Codable, Equatable {
        /// What the rule is: `role vendor`, `revoked`, `max-age`, `bundle`, `images.sources`, `images.require sbom`, `key K`.
        public let rule: String
        public let passed: Bool
        /// What was found, in words (the line a failure prints).
        public let detail: String
        /// The key ids or images the finding rests on.
        public let evidence: [String]

        public init(rule: String, passed: Bool, detail: String, evidence: [String] = []) {
            self.rule = rule
            self.passed = passed
            self.detail = detail
            self.evidence = evidence
        }
    }

    /// The policy file as named, and the digest of its bytes.
    public let policy: String
    public let policyDigest: Digest
    public let rules: [Rule]

    public var passed: Bool { rules.allSatisfy(\.passed) }
    public var unmet: [Rule] { rules.filter { !$0.passed } }
}
