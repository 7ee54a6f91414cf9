/// Tags and annotations that attach evidence (signatures, SBOMs, attestations) to a manifest.
/// Referrers tag schema: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#referrers-tag-schema
/// Cosign tags: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md (Tag-based Discovery)
public enum EvidenceTag {
    /// Cosign's tag suffixes: signatures, attestations, SBOMs.
    public static let cosignSuffixes = ["sig", "att", "sbom"]

    /// `sha256-<hex>`: the fallback index that lists `subject`'s referrers on a registry without the API.
    public static func referrersIndex(for subject: Digest) -> String {
        "\(subject.algorithm.rawValue)-\(subject.hex.prefix(64))"
    }

    /// `sha256-<hex>.sig` (or `.att`, `.sbom`): cosign's tag for `subject`.
    public static func cosign(_ suffix: String, for subject: Digest) -> String {
        "\(subject.algorithm.rawValue)-\(subject.hex).\(suffix)"
    }
}
