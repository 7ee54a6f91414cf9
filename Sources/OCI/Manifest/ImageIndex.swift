/// An image index (OCI) or manifest list (Docker).
/// Mirrors https://github.com/opencontainers/image-spec/blob/main/image-index.md
public struct ImageIndex: Codable, Sendable, Hashable {
    public let schemaVersion: Int
    public let mediaType: String?
    public let artifactType: String?
    public let manifests: [Descriptor]
    public let subject: Descriptor?
    public let annotations: [String: String]?

    public init(
        schemaVersion: Int = 2,
        mediaType: String? = MediaType.ociIndex,
        artifactType: String? = nil,
        manifests: [Descriptor],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }
}
