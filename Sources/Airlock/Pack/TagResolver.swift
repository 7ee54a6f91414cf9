import OCI
import Registry

/// Turns image patterns into concrete tags and digests: the dry run of what `pack` takes.
public struct TagResolver: Sendable {
    let transport: RegistryTransport
    let concurrency: Int

    public init(transport: RegistryTransport, concurrency: Int = 8) {
        self.transport = transport
        self.concurrency = concurrency
    }

    /// Resolves one pattern, newest first. A pattern that matches nothing is an error; so is a
    /// term that matches nothing when `strict`, else it is named in `unmatched`.
    public func resolve(_ pattern: ImagePattern, strict: Bool = false) async throws -> Resolution {
        let client = transport.client(for: pattern.repository.registry)
        let repository = pattern.repository.repository
        var wanted: [String] = []
        var unmatched: [String] = []
        if !pattern.tags.isExact {
            let globs = VersionPattern(terms: pattern.tags.terms.filter { if case .digest = $0 { false } else { true } })
            // Only matching tags are held, page by page; selection and unmatched terms depend on no other.
            let (available, listed) = try await client.tags(repository: repository, keeping: globs.matches)
            wanted = globs.select(from: available, max: pattern.max)
            if wanted.isEmpty {
                throw AirlockError.notFound("no tag of \(pattern.repository.name) matches '\(pattern.tags)' (it has \(listed) tags)")
            }
            unmatched = globs.unmatchedTerms(in: available).map { "\(pattern.repository.name):\(VersionPattern(terms: [$0]))" }
            if strict, let first = unmatched.first {
                throw AirlockError.notFound("\(first) matches no tag (--strict); the other terms of '\(pattern.tags)' do")
            }
        } else {
            wanted = pattern.tags.terms.compactMap { if case .tag(let tag) = $0 { tag } else { nil } }
        }
        let digests = pattern.tags.terms.compactMap { if case .digest(let digest) = $0 { digest } else { nil } }
        let identifiers = wanted + digests.map(\.description)
        let descriptors = try await BoundedConcurrency.map(identifiers, limit: concurrency) { identifier in
            guard let descriptor = try await client.manifestDescriptor(repository: repository, reference: identifier) else {
                throw AirlockError.notFound("\(Reference.spelled(pattern.repository.name, identifier: identifier)) does not exist")
            }
            return descriptor
        }
        let tags = zip(identifiers, descriptors).map { identifier, descriptor in
            let isDigest = identifier.contains(":")
            if isDigest, let expected = try? Digest(parsing: identifier), expected != descriptor.digest {
                // Cannot happen with a correct registry; keep the digest the user pinned.
                return ResolvedTag(repository: pattern.repository.name, tag: nil, digest: expected, mediaType: descriptor.mediaType, size: descriptor.size)
            }
            return ResolvedTag(
                repository: pattern.repository.name,
                tag: isDigest ? nil : identifier,
                digest: descriptor.digest,
                mediaType: descriptor.mediaType,
                size: descriptor.size
            )
        }
        return Resolution(tags: tags, unmatched: unmatched)
    }
}
