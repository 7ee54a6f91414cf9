import Bundle
import Foundation
import OCI
import Yams

/// A chart or files packed from local paths: the OCI artifact airlock makes of it (manifest,
/// config, layers), ready before anything is fetched. Layers stay in their files until written.
struct LocalArtifact: Sendable {
    let kind: BundleManifest.Image.Kind
    /// `charts/NAME` or `files/NAME`: the repository it is pushed to, under the namespace.
    let repository: String
    let tag: String
    let artifact: BundleManifest.Image.Artifact
    let manifest: ManifestDocument
    /// Config, layers and the manifest itself.
    let blobs: [Packer.PackedBlob]
    /// Images a chart's values.yaml names (empty for files).
    var valuesImages: [ChartValues.ImageReference] = []
}

/// A local Helm chart archive made into the OCI artifact `helm push` makes of it
/// (helm.sh/helm pkg/registry/client.go `Push`, chart.go): config = Chart.yaml's metadata as
/// compact JSON, one layer = the .tgz byte for byte, manifest annotations from the metadata.
enum ChartSource {
    /// Largest Chart.yaml or values.yaml read from an archive.
    static let memberLimit = 4 << 20

    /// Reads and checks `path` (a .tgz with `NAME/Chart.yaml`) and lays it out; `created` is the
    /// bundle's creation time, used for `org.opencontainers.image.created`.
    static func load(path: String, shownAs shown: String, created: String) throws -> LocalArtifact {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AirlockError.usage("the chart \(shown) does not exist")
        }
        guard !isDirectory.boolValue else {
            throw AirlockError.usage("the chart \(shown) is a folder; give the packaged chart (helm package \(shown))")
        }
        let entries: [(name: String, bytes: [UInt8]?)]
        do {
            entries = try GzipTar.entries(ofFile: path, limit: memberLimit) { Self.topLevel($0, is: "Chart.yaml") || Self.topLevel($0, is: "values.yaml") }
        } catch let error as BundleError {
            if case .io = error { throw AirlockError.io("cannot read the chart \(shown)") }
            throw AirlockError.usage("the chart \(shown) is not a gzip-compressed tar archive (\(error.description))")
        }
        guard let chartYAML = entries.first(where: { topLevel($0.name, is: "Chart.yaml") })?.bytes else {
            throw AirlockError.usage("the chart \(shown) holds no Chart.yaml in its top folder; it is not a Helm chart")
        }
        let metadata = try ChartMetadata(yaml: String(decoding: chartYAML, as: UTF8.self), chart: shown)
        let valuesBytes = entries.first(where: { topLevel($0.name, is: "values.yaml") })?.bytes
        let values = valuesBytes.map { ChartValues.images(in: String(decoding: $0, as: UTF8.self), appVersion: metadata.appVersion) } ?? []

        let (layerDigest, layerSize) = try Self.digest(ofFile: path, shown: shown)
        let layer = Descriptor(mediaType: MediaType.helmChartContent, digest: layerDigest, size: layerSize)
        let configBytes = metadata.configJSON.bytes
        let config = Descriptor(mediaType: MediaType.helmConfig, digest: try Digest.of(configBytes), size: Int64(configBytes.count))
        let manifestJSON = GoJSON.object([
            ("schemaVersion", .int(2)),
            ("config", descriptorJSON(config)),
            ("layers", .array([descriptorJSON(layer)])),
            ("annotations", .map(metadata.annotations(created: created).mapValues { .string($0) })),
        ])
        let manifest = try ManifestDocument(bytes: manifestJSON.bytes, declaredType: MediaType.ociManifest)
        let repository = "charts/\(metadata.name)"
        let tag = metadata.tag
        do {
            _ = try Reference(registry: "localhost", repository: repository, tag: tag)
        } catch {
            throw AirlockError.usage("the chart \(shown) cannot be pushed as \(repository):\(tag): \(error.description)")
        }
        var local = LocalArtifact(
            kind: .chart, repository: repository, tag: tag,
            artifact: .init(name: metadata.name, version: metadata.version, path: shown), manifest: manifest,
            blobs: [
                .init(descriptor: config, registry: "", repository: repository, bytes: configBytes),
                .init(descriptor: layer, registry: "", repository: repository, bytes: nil, localPath: path),
                .init(descriptor: manifest.descriptor(), registry: "", repository: repository, bytes: manifest.bytes),
            ])
        local.valuesImages = values
        return local
    }

    /// `NAME/FILE` with exactly one folder above it (subcharts' files are deeper).
    static func topLevel(_ name: String, is file: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1] == file
    }

    /// A descriptor as oras-go's `content.NewDescriptorFromBytes` gives it: media type, digest, size.
    static func descriptorJSON(_ descriptor: Descriptor) -> GoJSON {
        .object([("mediaType", .string(descriptor.mediaType)), ("digest", .string(descriptor.digest.description)), ("size", .int(descriptor.size))])
    }

    /// SHA-256 and size of a local file, streamed.
    static func digest(ofFile path: String, shown: String) throws -> (Digest, Int64) {
        let hasher = DigestHasher()
        var size: Int64 = 0
        try LocalFile.forEachChunk(path, shown: shown) { chunk in
            size += Int64(chunk.count)
            hasher.update(chunk)
        }
        return (try hasher.finalize(), size)
    }

    /// A chart's name and version from its OCI config (Helm's metadata JSON), for charts taken
    /// from a registry. Nil when the config is not Helm's or says neither.
    static func nameAndVersion(config bytes: [UInt8]) -> (name: String, version: String)? {
        struct Config: Decodable {
            let name: String?
            let version: String?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)), let name = config.name, let version = config.version,
              BundleManifest.isPlainFileName(name), BundleManifest.isPlainFileName(version) else { return nil }
        return (name, version)
    }
}

/// Chart.yaml as Helm reads it (helm.sh/helm pkg/chart/v2 `Metadata`), kept as the JSON Helm's
/// `json.Marshal` writes: fields in struct order, empty ones left out.
struct ChartMetadata {
    let name: String
    let version: String
    let appVersion: String?
    let configJSON: GoJSON
    private let fields: [String: Node]

    /// Helm's tag for a version: `+` is not allowed in tags, so `_` stands for it (helm/helm#10166).
    var tag: String { version.replacingOccurrences(of: "+", with: "_") }

    init(yaml: String, chart: String) throws {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw AirlockError.usage("the chart \(chart) has a Chart.yaml that is not valid YAML")
        }
        guard node?.mapping != nil else { throw AirlockError.usage("the chart \(chart) has a Chart.yaml that is not a YAML mapping") }
        var fields: [String: Node] = [:]
        for (key, value) in Self.pairs(node) { if let key = key.string { fields[key] = value } }
        self.fields = fields
        func text(_ key: String) throws -> String? {
            guard let node = fields[key] else { return nil }
            guard let scalar = node.scalar else { throw AirlockError.usage("the chart \(chart) has a Chart.yaml whose '\(key)' is not text") }
            // A plain `~` or `null` is YAML's null: absent, as Helm's YAML reader takes it.
            let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            return isNull ? nil : scalar.string
        }
        guard try text("apiVersion") != nil else { throw AirlockError.usage("the chart \(chart) has a Chart.yaml without apiVersion; it is not a valid Helm chart") }
        guard let name = try text("name"), name != ".", name != "..", !name.contains("/"), BundleManifest.isPlainFileName(name) else {
            throw AirlockError.usage("the chart \(chart) has a Chart.yaml without a valid name; it is not a valid Helm chart")
        }
        guard let version = try text("version"), Self.isSemanticVersion(version) else {
            throw AirlockError.usage("the chart \(chart) has a Chart.yaml without a valid version (semantic versioning, e.g. 1.2.3); it is not a valid Helm chart")
        }
        self.name = name
        self.version = version
        self.appVersion = try text("appVersion")
        self.configJSON = try Self.json(fields, chart: chart)
    }

    /// Masterminds/semver's loose form, as Helm's `isValidSemver` accepts it.
    static func isSemanticVersion(_ text: String) -> Bool {
        text.range(of: #"^v?[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"#, options: .regularExpression) != nil
    }

    /// The manifest annotations `helm push` writes (pkg/registry/chart.go `generateOCIAnnotations`):
    /// description, title, version, url, created, source, authors from the metadata, then the
    /// chart's own annotations, which may not replace title or version.
    func annotations(created: String) -> [String: String] {
        var result: [String: String] = [:]
        func add(_ key: String, _ value: String?) {
            if let value, !value.trimmingCharacters(in: .whitespaces).isEmpty { result[key] = value }
        }
        add("org.opencontainers.image.description", fields["description"]?.string)
        add(MediaType.titleAnnotation, name)
        add("org.opencontainers.image.version", version)
        add("org.opencontainers.image.url", fields["home"]?.string)
        add(MediaType.createdAnnotation, created)
        add("org.opencontainers.image.source", fields["sources"]?.sequence?.first?.string)
        let maintainers = Self.items(fields["maintainers"]).map { node -> String in
            let name = node.mapping?["name"]?.string ?? "", email = node.mapping?["email"]?.string ?? ""
            return name + (email.isEmpty ? "" : " (\(email))")
        }
        if !maintainers.isEmpty { add("org.opencontainers.image.authors", maintainers.joined(separator: ", ")) }
        for (key, value) in Self.pairs(fields["annotations"]) {
            guard let key = key.string, key != MediaType.titleAnnotation, key != "org.opencontainers.image.version" else { continue }
            result[key] = value.string ?? ""
        }
        return result
    }

    /// Helm's `Metadata` struct, in field order, `omitempty` everywhere but a dependency's repository.
    static func json(_ fields: [String: Node], chart: String) throws -> GoJSON {
        var members: [(String, GoJSON)] = []
        func string(_ key: String, from node: Node?) -> GoJSON? {
            guard let value = node?.string, !value.isEmpty else { return nil }
            return .string(value)
        }
        func strings(_ node: Node?) -> GoJSON? {
            let items = Self.items(node).compactMap(\.string)
            return items.isEmpty ? nil : .array(items.map { .string($0) })
        }
        func bool(_ node: Node?) -> Bool { node?.bool ?? false }
        for key in ["name", "home", "sources", "version", "description", "keywords", "maintainers", "icon", "apiVersion", "condition",
                    "tags", "appVersion", "deprecated", "annotations", "kubeVersion", "dependencies", "type"] {
            let node = fields[key]
            let value: GoJSON?
            switch key {
            case "sources", "keywords":
                value = strings(node)
            case "maintainers":
                let items = Self.items(node).map { item -> GoJSON in
                    .object(["name", "email", "url"].compactMap { field in string(field, from: item.mapping?[field]).map { (field, $0) } })
                }
                value = items.isEmpty ? nil : .array(items)
            case "deprecated":
                value = bool(node) ? .bool(true) : nil
            case "annotations":
                var map: [String: GoJSON] = [:]
                for (k, v) in Self.pairs(node) { if let k = k.string { map[k] = .string(v.string ?? "") } }
                value = map.isEmpty ? nil : .map(map)
            case "dependencies":
                let items = Self.items(node).map { item -> GoJSON in
                    let fields = item.mapping
                    var members: [(String, GoJSON)] = [("name", .string(fields?["name"]?.string ?? ""))]
                    if let version = string("version", from: fields?["version"]) { members.append(("version", version)) }
                    members.append(("repository", .string(fields?["repository"]?.string ?? "")))
                    if let condition = string("condition", from: fields?["condition"]) { members.append(("condition", condition)) }
                    if let tags = strings(fields?["tags"]) { members.append(("tags", tags)) }
                    if bool(fields?["enabled"]) { members.append(("enabled", .bool(true))) }
                    if let imports = fields?["import-values"]?.sequence, !imports.isEmpty { members.append(("import-values", .array(imports.map(generic)))) }
                    if let alias = string("alias", from: fields?["alias"]) { members.append(("alias", alias)) }
                    return .object(members)
                }
                value = items.isEmpty ? nil : .array(items)
            default:
                value = string(key, from: node)
            }
            if let value { members.append((key, value)) }
        }
        return .object(members)
    }

    /// A YAML sequence's items (none for anything else).
    static func items(_ node: Node?) -> [Node] {
        guard let sequence = node?.sequence else { return [] }
        return Array(sequence)
    }

    /// A YAML mapping's pairs (none for anything else).
    static func pairs(_ node: Node?) -> [(Node, Node)] {
        guard let mapping = node?.mapping else { return [] }
        return mapping.map { ($0.key, $0.value) }
    }

    /// Any YAML value as JSON (scalars as text, mappings as Go maps).
    static func generic(_ node: Node) -> GoJSON {
        if let sequence = node.sequence { return .array(sequence.map(generic)) }
        if node.mapping != nil {
            var map: [String: GoJSON] = [:]
            for (key, value) in pairs(node) { if let key = key.string { map[key] = generic(value) } }
            return .map(map)
        }
        return .string(node.string ?? "")
    }
}

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
            var name = Substring(text), tag: String?, digest: String?
            if let at = name.firstIndex(of: "@") {
                digest = String(name[name.index(after: at)...])
                name = name[..<at]
            }
            if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
                tag = String(name[name.index(after: colon)...])
                name = name[..<colon]
            }
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
