import Bundle
import OCI

/// A bundle's images as people read them: grouped by repository, each group's tags newest first
/// by the version order `tags` uses (1.0.10 after 1.0.2, a release before its release candidates),
/// images pinned by digest last; optionally narrowed by a `REPOSITORY[:TAGS]` filter.
public enum ImageListing {
    public struct Group: Sendable {
        /// The repository path in the layout (`acme/runtime`).
        public let repository: String
        public let images: [BundleManifest.Image]
    }

    /// Which images to show: a repository (globs allowed: `acme/*`) and optionally tag patterns
    /// (`acme/runtime:8.12.*, 7.23.6.*`).
    public struct Filter: Sendable {
        let repository: String
        let tags: VersionPattern?

        public init(parsing text: String) throws(AirlockError) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let lastSlash = trimmed.lastIndex(of: "/") ?? trimmed.startIndex
            if let colon = trimmed[lastSlash...].firstIndex(of: ":") {
                repository = String(trimmed[..<colon])
                tags = try VersionPattern(parsing: String(trimmed[trimmed.index(after: colon)...]))
            } else {
                repository = trimmed
                tags = nil
            }
            guard !repository.isEmpty else { throw AirlockError.usage("the image filter '\(text)' names no repository") }
        }

        func matches(repository path: String, tag: String?) -> Bool {
            guard VersionPattern.glob(Array(repository.utf8), matches: Array(path.utf8)) else { return false }
            guard let tags else { return true }
            return tag.map(tags.matches) ?? false
        }
    }

    /// `acme/runtime` and `8.12.1` of the layout name `acme/runtime:8.12.1` (nil tag for `…@sha256:…`).
    public static func split(refName: String) -> (repository: String, tag: String?) {
        let (untagged, digest) = Reference.splitDigest(refName)
        if digest != nil { return (String(untagged), nil) }
        let (repository, tag) = Reference.splitTag(refName)
        return (String(repository), tag.map(String.init))
    }

    /// The groups, of the images that match any of `filters` (all images without one).
    public static func groups(_ images: [BundleManifest.Image], filters: [Filter] = []) -> [Group] {
        var byRepository: [String: [(image: BundleManifest.Image, tag: String?)]] = [:]
        for image in images {
            let (repository, tag) = split(refName: image.refName)
            if !filters.isEmpty, !filters.contains(where: { $0.matches(repository: repository, tag: tag) }) { continue }
            byRepository[repository, default: []].append((image, tag))
        }
        return byRepository.keys.sorted().map { repository in
            let entries = (byRepository[repository] ?? []).sorted { a, b in
                switch (a.tag, b.tag) {
                case let (x?, y?): return x != y ? VersionOrder.newerFirst(x, y) : a.image.refName < b.image.refName
                case (.some, .none): return true
                case (.none, .some): return false
                case (.none, .none): return a.image.refName < b.image.refName
                }
            }
            return Group(repository: repository, images: entries.map(\.image))
        }
    }
}
