/// An image manifest (OCI or Docker schema 2; the fields airlock reads are the same).
/// Mirrors https://github.com/opencontainers/image-spec/blob/main/manifest.md
public struct ImageManifest: Codable, Sendable, Hashable {
    public let schemaVersion: Int
    public let mediaType: String?
    public let artifactType: String?
    public let config: Descriptor
    public let layers: [Descriptor]
    public let subject: Descriptor?
    public let annotations: [String: String]?

    public init(
        schemaVersion: Int = 2,
        mediaType: String? = MediaType.ociManifest,
        artifactType: String? = nil,
        config: Descriptor,
        layers: [Descriptor],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }

    /// Every blob this manifest references: config first, then layers in order.
    public var blobs: [Descriptor] { [config] + layers }
}
