import Bundle
import OCI

/// Decides where each image of a bundle goes in the target registry.
///
/// Default: `SRC_HOST/path/repo:tag` → `REG/NAMESPACE/path/repo:tag`. `stripComponents` drops
/// leading path components; `registryNamespaces` sends a source registry to its own namespace
/// (EKS Anywhere's `ociNamespaces`); `template` renders `REPO[:TAG]` from `{registry}`, `{path}`,
/// `{flatpath}` (path with `/` → `-`), `{name}` (last component) and `{tag}`, e.g.
/// `vendor/all:{flatpath}-{tag}` for registries that want one repository.
public struct TargetNaming: Sendable {
    public let registry: String
    /// `http` or `https` when --to named it (`https://REG/NS`); nil lets the transport decide.
    public let scheme: String?
    public let namespace: String?
    public var stripComponents: Int
    public var registryNamespaces: [String: String]
    public var template: String?

    /// Parses `REG[/NAMESPACE]`, optionally after `https://` or `http://` (which fix the scheme)
    /// or `docker://` (skopeo's spelling, dropped).
    public init(to target: String, stripComponents: Int = 0, registryNamespaces: [String: String] = [:], template: String? = nil) throws(AirlockError) {
        if let transport = Reference.skopeoTransport(of: target) {
            throw AirlockError.usage("\(target) is not a registry: airlock talks to registries, named REGISTRY[/NAMESPACE]; '\(transport)' is a skopeo transport (for an OCI layout directory, run airlock unpack BUNDLE --to-dir DIR)")
        }
        guard let (scheme, location) = SchemePrefix.split(target) else {
            throw AirlockError.usage("--to \(target): airlock takes REGISTRY[/NAMESPACE], optionally after https:// or http://")
        }
        let trimmed = location.hasSuffix("/") ? String(location.dropLast()) : String(location)
        let (hostText, namespaceText) = Reference.splitRegistry(trimmed)
        let host = String(hostText), namespace = namespaceText.map(String.init)
        guard !host.isEmpty else { throw AirlockError.usage("--to needs REGISTRY[/NAMESPACE], e.g. registry.local:5000/vendor") }
        do {
            _ = try Reference(registry: host, repository: namespace ?? "probe")
        } catch {
            throw AirlockError.usage("--to \(target): \(error.description)")
        }
        guard stripComponents >= 0 else { throw AirlockError.usage("--strip-components must be 0 or more") }
        self.registry = host
        self.scheme = scheme
        self.namespace = namespace
        self.stripComponents = stripComponents
        self.registryNamespaces = registryNamespaces
        self.template = template
    }

    /// The scheme --to named, keyed by host, for the transport.
    public var schemes: [String: String] { scheme.map { [registry: $0] } ?? [:] }

    /// Target repository (within `registry`) and tag for a bundle image.
    public func target(for image: BundleManifest.Image) throws(AirlockError) -> (repository: String, tag: String?) {
        // A local chart or file has no source registry: `charts/NAME` or `files/NAME` is its whole path.
        let (registryText, pathText) = Reference.splitRegistry(image.source)
        let sourceRegistry = image.isLocal ? "" : String(registryText)
        var path = image.isLocal ? image.source : pathText.map(String.init) ?? image.source
        let components = path.split(separator: "/")
        if stripComponents > 0, !image.isLocal {
            guard components.count > stripComponents else {
                throw AirlockError.usage("--strip-components \(stripComponents) would leave nothing of \(image.source)")
            }
            path = components.dropFirst(stripComponents).joined(separator: "/")
        }
        let namespace = registryNamespaces[sourceRegistry] ?? self.namespace
        if let template {
            let rendered = template
                .replacingOccurrences(of: "{registry}", with: sourceRegistry.replacingOccurrences(of: ":", with: "-"))
                .replacingOccurrences(of: "{path}", with: path)
                .replacingOccurrences(of: "{flatpath}", with: path.replacingOccurrences(of: "/", with: "-"))
                .replacingOccurrences(of: "{name}", with: String(path.split(separator: "/").last ?? ""))
                .replacingOccurrences(of: "{tag}", with: image.tag ?? image.digest.hex.prefix(12).description)
            let (name, renderedTag) = Reference.splitTag(rendered)
            var repository = String(name)
            let tag = renderedTag.map(String.init) ?? image.tag
            if let namespace { repository = namespace + "/" + repository }
            try validate(repository, tag: tag, for: image)
            return (repository, tag)
        }
        let repository = namespace.map { "\($0)/\(path)" } ?? path
        try validate(repository, tag: image.tag, for: image)
        return (repository, image.tag)
    }

    /// Every image's target, in order. Two different images on one target name would both be
    /// reported pushed while the last one wins, so that is refused here, before anything is written.
    /// An image listed twice under one name (the same digest) is not a clash.
    public func targets(for images: [BundleManifest.Image]) throws(AirlockError) -> [(repository: String, tag: String?)] {
        var targets: [(repository: String, tag: String?)] = []
        var owners: [String: BundleManifest.Image] = [:]
        for image in images {
            let target = try target(for: image)
            targets.append(target)
            let name = Reference.spelled("\(registry)/\(target.repository)", tagOr: image.digest, tag: target.tag)
            if let other = owners[name], other.digest != image.digest {
                throw AirlockError.usage("two images would land on \(name): \(Self.sourceName(other)) and \(Self.sourceName(image)); \(separationHint)")
            }
            owners[name] = image
        }
        return targets
    }

    private static func sourceName(_ image: BundleManifest.Image) -> String {
        Reference.spelled(image.source, tagOr: image.digest, tag: image.tag)
    }

    /// Which options keep images apart, given the ones in use.
    private var separationHint: String {
        var hints: [String] = []
        if template != nil {
            hints.append("use a --name-template that keeps {tag} and every part that differs ({registry}, {path})")
        }
        if stripComponents > 0 { hints.append("strip fewer components (--strip-components)") }
        hints.append("send each source registry to its own namespace (--registry-namespace SOURCE_REGISTRY=NAMESPACE)")
        return hints.joined(separator: ", or ")
    }

    private func validate(_ repository: String, tag: String?, for image: BundleManifest.Image) throws(AirlockError) {
        do {
            _ = try Reference(registry: registry, repository: repository, tag: tag)
        } catch {
            throw AirlockError.usage("the target name for \(image.refName) is invalid: \(error.description)")
        }
    }
}
