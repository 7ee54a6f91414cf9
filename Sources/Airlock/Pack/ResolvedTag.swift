import OCI

/// One tag (or digest) a pattern resolved to.
public struct ResolvedTag: Sendable, Hashable, Codable {
    public let repository: String
    public let tag: String?
    public let digest: Digest
    public let mediaType: String
    public let size: Int64

    /// `registry/repo:tag@digest` (the exact, pinned form).
    public var reference: String {
        Reference.spelled(repository, tag: tag, digest: digest)
    }

    /// `registry/repo:tag`, or `registry/repo@digest` for a digest asked for without a tag.
    public var name: String { Reference.spelled(repository, tagOr: digest, tag: tag) }
}
