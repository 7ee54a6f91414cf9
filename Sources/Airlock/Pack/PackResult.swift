import Bundle
import OCI

/// `pack --json` (format-spec/json/pack.schema.json).
public struct PackResult: Sendable, Encodable {
    public let name: String
    public let version: String
    public let path: String
    /// The parts written (`B.001`, …) with `--split-size`; absent otherwise.
    public let parts: [String]?
    /// Bytes of the bundle file (of all its parts together).
    public let size: Int64
    public let manifestDigest: Digest
    public let images: [ImageReport]
    public let blobCount: Int
    public let uniqueBytes: Int64
    public let signers: [SignatureReport.Signer]
    /// Pattern terms that matched no tag (`REG/REPO:TERM`).
    public let unmatched: [String]
    /// Signatures, SBOMs and attestations packed, per image.
    public let evidence: [EvidenceSummary]
    /// Images a local chart's values.yaml names that the bundle does not hold.
    public let missingChartImages: [String]
}
