import OCI
import Yams

/// The images a chart's values.yaml names, for a warning when the bundle lacks them. Read:
/// any key ending in `image` (any case) whose value is `REPO[:TAG]` text, or a mapping with
/// `repository` and optionally `registry`, `tag` and `digest` (a missing tag: the chart's
/// appVersion, as most charts' templates default it). Not read: templates, subcharts' values,
/// global registry overrides and names built from other keys.
enum ChartValues {
    struct ImageReference: Sendable, Hashable {
        /// Where in values.yaml, e.g. `controller.image`.
        let key: String
        /// `[REGISTRY/]REPOSITORY`, as written.
        let repository: String
        let tag: String?
        let digest: String?

        var description: String { repository + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "") }
    }

    static func images(in text: String, appVersion: String?) -> [ImageReference] {
        // values.yaml is the chart's business: one that does not parse is left to Helm.
        guard let node = try? Yams.compose(yaml: text) else { return [] }
        var found: [ImageReference] = []
        func visit(_ node: Node, path: String) {
            if let sequence = node.sequence {
                for (i, item) in sequence.enumerated() { visit(item, path: "\(path)[\(i)]") }
                return
            }
            guard node.mapping != nil else { return }
            for (key, value) in ChartMetadata.pairs(node) {
                guard let name = key.string else { continue }
                let here = path.isEmpty ? name : "\(path).\(name)"
                if name.lowercased().hasSuffix("image"), let reference = reference(value, key: here, appVersion: appVersion) {
                    found.append(reference)
                } else {
                    visit(value, path: here)
                }
            }
        }
        visit(node, path: "")
        return found
    }

    static func reference(_ node: Node, key: String, appVersion: String?) -> ImageReference? {
        if let text = node.scalar?.string.trimmingCharacters(in: .whitespaces), !text.isEmpty, !text.contains(" ") {
            let (name, tagText, digestText) = Reference.split(text)
            let tag = tagText.map(String.init), digest = digestText.map(String.init)
            guard name.contains("/") || tag != nil || digest != nil else { return nil }
            return ImageReference(key: key, repository: String(name), tag: tag ?? (digest == nil ? appVersion : nil), digest: digest)
        }
        guard let mapping = node.mapping, let repository = mapping["repository"]?.string, !repository.isEmpty else { return nil }
        let registry = mapping["registry"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let digest = mapping["digest"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let tag = mapping["tag"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? (digest == nil ? appVersion : nil)
        return ImageReference(key: key + ".repository", repository: registry.map { "\($0)/\(repository)" } ?? repository, tag: tag, digest: digest)
    }

    /// Whether a bundle image (`source` REG/REPO, its tag and digest) is the one `reference` names:
    /// the repository paths agree once registry hosts are set aside (values often leave the
    /// registry to a global setting), and the tag or digest agrees.
    static func matches(_ reference: ImageReference, source: String, tag: String?, digest: Digest) -> Bool {
        let wanted = path(reference.repository), held = path(source)
        guard wanted == held || held.hasSuffix("/" + wanted) || wanted.hasSuffix("/" + held) else { return false }
        if let want = reference.digest { return want == digest.description }
        return reference.tag == nil || reference.tag == tag
    }

    /// A repository without its registry host (a first component with `.` or `:`, or `localhost`),
    /// and without Docker Hub's `library/`.
    static func path(_ repository: String) -> String {
        var parts = repository.split(separator: "/").map(String.init)
        if parts.count > 1, let first = parts.first, first.contains(".") || first.contains(":") || first == "localhost" { parts.removeFirst() }
        if parts.count > 1, parts.first == "library" { parts.removeFirst() }
        return parts.joined(separator: "/")
    }
}
