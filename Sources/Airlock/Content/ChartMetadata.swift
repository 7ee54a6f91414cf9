import Bundle
import Foundation
import OCI
import Yams

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
            throw AirlockError.usage(YAMLProblem.describe(error, source: "the Chart.yaml of the chart \(chart)"))
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
