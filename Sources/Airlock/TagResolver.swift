import OCI
import Registry

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

/// Turns image patterns into concrete tags and digests: the dry run of what `pack` takes.
public struct TagResolver: Sendable {
    let transport: RegistryTransport
    let concurrency: Int

    public init(transport: RegistryTransport, concurrency: Int = 8) {
        self.transport = transport
        self.concurrency = concurrency
    }

    /// Resolves one pattern, newest first. A wildcard that matches nothing is an error.
    public func resolve(_ pattern: ImagePattern) async throws -> [ResolvedTag] {
        let client = transport.client(for: pattern.repository.registry)
        let repository = pattern.repository.repository
        var wanted: [String] = []
        if !pattern.tags.isExact {
            let available = try await client.tags(repository: repository)
            let globs = VersionPattern(terms: pattern.tags.terms.filter { if case .digest = $0 { false } else { true } })
            wanted = globs.select(from: available, max: pattern.max)
            if wanted.isEmpty {
                throw AirlockError.notFound("no tag of \(pattern.repository.name) matches '\(pattern.tags)' (it has \(available.count) tags)")
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
        return zip(identifiers, descriptors).map { identifier, descriptor in
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
    }
}

/// Runs an operation over many inputs with at most `limit` in flight, keeping input order.
public enum BoundedConcurrency {
    public static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input],
        limit: Int,
        _ transform: @escaping @Sendable (Input) async throws -> Output
    ) async throws -> [Output] {
        var results = [Output?](repeating: nil, count: inputs.count)
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var next = 0
            func launch() {
                let index = next
                let input = inputs[index]
                group.addTask { (index, try await transform(input)) }
                next += 1
            }
            while next < inputs.count, next < max(1, limit) { launch() }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < inputs.count { launch() }
            }
        }
        return results.compactMap { $0 }
    }
}
