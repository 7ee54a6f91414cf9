import Bundle
import OCI

/// One piece of evidence found at the source, before its image has a name in the bundle.
struct FoundEvidence: Sendable {
    let subject: Digest
    let kind: BundleManifest.Evidence.Kind
    let document: ManifestDocument
    let tag: String?
}
