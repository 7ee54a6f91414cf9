import Bundle
import OCI

/// How much evidence travels with one image, by kind (inspect, pack).
public struct EvidenceSummary: Sendable, Encodable, Hashable {
    public let image: String
    public let signatures: Int
    public let sboms: Int
    public let attestations: Int
    public let other: Int

    /// One summary per image that has evidence, in the bundle's order.
    public static func of(_ manifest: BundleManifest) -> [EvidenceSummary] {
        let byImage = Dictionary(grouping: (manifest.evidence ?? []).filter { $0.kind != .referrersIndex }, by: \.image)
        return manifest.images.compactMap { image in
            guard let entries = byImage[image.refName] else { return nil }
            func count(_ kind: BundleManifest.Evidence.Kind) -> Int { entries.filter { $0.kind == kind }.count }
            return EvidenceSummary(image: image.refName, signatures: count(.signature), sboms: count(.sbom),
                                   attestations: count(.attestation), other: count(.other))
        }
    }

    /// `2 signatures, 1 SBOM, 1 attestation`.
    public var text: String {
        func part(_ count: Int, _ one: String, _ many: String) -> String? { count == 0 ? nil : "\(count) \(count == 1 ? one : many)" }
        return [part(signatures, "signature", "signatures"), part(sboms, "SBOM", "SBOMs"),
                part(attestations, "attestation", "attestations"), part(other, "other", "other")].compactMap { $0 }.joined(separator: ", ")
    }
}
