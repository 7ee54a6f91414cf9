/// What evidence `pack` looks for.
public struct EvidenceOptions: Sendable {
    /// `--no-referrers` turns discovery off.
    public var enabled = true
    /// `--referrers-type`: kind names (signature, sbom, attestation, other) or artifact types; empty: all.
    /// They select an image's own evidence; evidence about selected evidence always travels with it.
    public var types: [String] = []
    /// How far evidence about evidence is followed (a signature on an SBOM is depth 2).
    public var maxDepth = 4

    public init() {}
}
