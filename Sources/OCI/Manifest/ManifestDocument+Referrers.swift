/// A manifest as a referrer: what the distribution spec's Referrers API lists for it.
/// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
extension ManifestDocument {
    /// The manifest this one refers to (`subject`), if any.
    public var subject: Descriptor? {
        switch content {
        case .image(let manifest): manifest.subject
        case .index(let index): index.subject
        }
    }

    /// The descriptor a referrers list holds for this document: its `artifactType` (for an image
    /// manifest without one, its config's media type) and its manifest-level annotations.
    public func referrerDescriptor() -> Descriptor {
        let (artifactType, annotations): (String?, [String: String]?) = switch content {
        case .image(let manifest): (manifest.artifactType ?? manifest.config.mediaType, manifest.annotations)
        case .index(let index): (index.artifactType, index.annotations)
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations, artifactType: artifactType)
    }
}
