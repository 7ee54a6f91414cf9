import Bundle
import OCI

/// What a piece of evidence is, judged from its tag suffix, artifact type and layer types
/// (cosign, Notation, BuildKit, SPDX, CycloneDX and in-toto spell their media types differently).
enum EvidenceKind {
    typealias Kind = BundleManifest.Evidence.Kind

    /// Cosign's simple-signing payload layer.
    static let simpleSigningLayer = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// The layer annotation that holds a cosign signature (base64 DER).
    static let signatureAnnotation = "dev.cosignproject.cosign/signature"

    /// The artifact type a referrers list gives a manifest: its `artifactType`, else its config's media type.
    static func artifactType(of document: ManifestDocument) -> String? {
        switch document.content {
        case .image(let manifest): manifest.artifactType ?? manifest.config.mediaType
        case .index(let index): index.artifactType
        }
    }

    static func classify(_ document: ManifestDocument, tag: String?) -> Kind {
        if let tag {
            if tag.hasSuffix(".sig") { return .signature }
            if tag.hasSuffix(".att") { return .attestation }
            if tag.hasSuffix(".sbom") { return .sbom }
        }
        var types = [artifactType(of: document) ?? ""]
        var predicate = ""
        if case .image(let manifest) = document.content {
            types += manifest.layers.map(\.mediaType)
            predicate = manifest.annotations?["dev.sigstore.bundle.predicateType"] ?? ""
        }
        let text = types.joined(separator: " ").lowercased()
        if text.contains("sigstore.bundle") {
            return predicate.isEmpty || predicate == "https://sigstore.dev/cosign/sign/v1" ? .signature : .attestation
        }
        if ["signature", "cosign.artifact.sig", "simplesigning", "notary"].contains { text.contains($0) } { return .signature }
        if ["spdx", "cyclonedx", "sbom", "syft"].contains { text.contains($0) } { return .sbom }
        if ["in-toto", "dsse", "attestation", "provenance", "slsa", "vex"].contains { text.contains($0) } { return .attestation }
        return .other
    }

    /// Whether `--referrers-type` terms select this evidence: a kind name or an exact artifact type.
    static func selected(_ kind: Kind, artifactType: String?, by terms: [String]) -> Bool {
        terms.isEmpty || terms.contains { $0 == kind.rawValue || $0 == artifactType }
    }
}
