import OCI

/// `REGISTRY/REPOSITORY[:PATTERN|@DIGEST]`: one repository and the tags to take from it.
public struct ImagePattern: Sendable, Hashable, CustomStringConvertible {
    /// The repository (no tag, no digest).
    public let repository: Reference
    public let tags: VersionPattern
    /// At most this many tags, newest first.
    public let max: Int?

    public init(repository: Reference, tags: VersionPattern, max: Int? = nil) {
        self.repository = repository.with()
        self.tags = tags
        self.max = max
    }

    /// Parses `reg/repo:8.12.*`, `reg/repo:"8.12.*, 7.23.6.*"`, `reg/repo@sha256:…` or `reg/repo`
    /// (which means `defaultTags`).
    public init(parsing text: String, defaultTags: String = "*", max: Int? = nil) throws(AirlockError) {
        let trimmed: String
        do {
            trimmed = try Reference.withoutTransport(text.trimmingCharacters(in: .whitespaces))
        } catch {
            throw AirlockError.usage(error.description)
        }
        // A digest pattern leaves the text before its '@' whole; only without one is a tag split off.
        let (untagged, digest) = Reference.splitDigest(trimmed)
        let (beforeTag, tag) = Reference.splitTag(untagged)
        let name = digest == nil ? beforeTag : untagged
        let pattern = digest.map(String.init) ?? tag.map(String.init) ?? defaultTags
        do {
            let (registry, repository) = try Reference.splitName(name, in: trimmed)
            self.repository = try Reference(registry: registry, repository: repository)
        } catch {
            throw AirlockError.usage(error.description)
        }
        if let max, max < 1 { throw AirlockError.usage("max for \(trimmed) must be at least 1") }
        self.tags = try VersionPattern(parsing: pattern)
        self.max = max
    }

    public var description: String {
        if tags.terms.count == 1, case .digest(let digest) = tags.terms[0] { return Reference.spelled(repository.name, tag: nil, digest: digest) }
        return "\(repository.name):\(tags)"
    }
}
