import Foundation
import OCI
import Yams

/// The spec file a vendor packs from (airlock-spec(5)).
public struct PackSpec: Sendable, Decodable {
    public let name: String
    public let version: String
    /// `os/arch[/variant]`; nil means every platform of every index.
    public let platforms: [String]?
    public let images: [Entry]
    /// Helm charts: OCI chart repositories by version pattern, or local .tgz archives.
    public let charts: [ChartEntry]
    /// Files and folders, carried as OCI artifacts.
    public let files: [FileEntry]

    public struct Entry: Sendable, Decodable {
        public let ref: String
        /// Tag globs; when absent the ref's own tag (or digest) is taken, else `latest`.
        public let tags: [String]?
        public let max: Int?
    }

    /// `ref` with `versions` (and `max`), or `path`.
    public struct ChartEntry: Sendable, Decodable {
        public let ref: String?
        public let versions: [String]?
        public let max: Int?
        public let path: String?
        static let keys = ["ref", "versions", "max", "path"]
    }

    /// `path` (a file or a folder) and an optional `name`.
    public struct FileEntry: Sendable, Decodable {
        public let path: String
        public let name: String?
        static let keys = ["path", "name"]
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, version, platforms, images, charts, files }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        version = try container.decode(String.self, forKey: .version)
        platforms = try container.decodeIfPresent([String].self, forKey: .platforms)
        images = try container.decodeIfPresent([Entry].self, forKey: .images) ?? []
        charts = try container.decodeIfPresent([ChartEntry].self, forKey: .charts) ?? []
        files = try container.decodeIfPresent([FileEntry].self, forKey: .files) ?? []
    }

    /// Loads and validates a spec; every problem is one sentence naming the file.
    public static func load(path: String) throws(AirlockError) -> (spec: PackSpec, text: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AirlockError.io(FileManager.default.fileExists(atPath: path) ? "cannot read spec \(path)" : "spec file \(path) does not exist")
        }
        let text = String(decoding: data, as: UTF8.self)
        return (try parse(text, source: path), text)
    }

    /// What Windows editors add: a UTF-8 byte-order mark first and CRLF line endings.
    static func normalized(_ text: String) -> String {
        var text = Substring(text)
        if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    public static func parse(_ given: String, source: String) throws(AirlockError) -> PackSpec {
        let text = normalized(given)
        let top: Any?
        do {
            top = try Yams.load(yaml: text)
        } catch {
            throw AirlockError.usage(YAMLProblem.describe(error, source: source))
        }
        guard let mapping = top as? [String: Any] else { throw AirlockError.usage("\(source) must be a YAML mapping with name, version and images") }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw AirlockError.usage("\(source) has an unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        for (list, keys) in [("images", ["ref", "tags", "max"]), ("charts", ChartEntry.keys), ("files", FileEntry.keys)] {
            for (i, entry) in (mapping[list] as? [[String: Any]] ?? []).enumerated() {
                if let unknown = entry.keys.sorted().first(where: { !keys.contains($0) }) {
                    throw AirlockError.usage("\(source): \(list)[\(i)] has an unknown key '\(unknown)' (known: \(keys.joined(separator: ", ")))")
                }
            }
        }
        let spec: PackSpec
        do {
            spec = try YAMLDecoder().decode(PackSpec.self, from: text)
        } catch let DecodingError.keyNotFound(key, context) {
            throw AirlockError.usage("\(source): missing '\(dotted(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw AirlockError.usage("\(source): wrong type at '\(dotted(context.codingPath))'")
        } catch {
            throw AirlockError.usage("\(source) is not a valid spec: \(error)")
        }
        guard !spec.images.isEmpty || !spec.charts.isEmpty || !spec.files.isEmpty else { throw AirlockError.usage("\(source) lists no images, charts or files") }
        for (i, chart) in spec.charts.enumerated() where (chart.ref == nil) == (chart.path == nil) || (chart.path != nil && (chart.versions != nil || chart.max != nil)) {
            throw AirlockError.usage("\(source): charts[\(i)] needs either ref (with versions) or path, not both")
        }
        guard !spec.name.isEmpty, !spec.version.isEmpty else { throw AirlockError.usage("\(source): name and version must not be empty") }
        return spec
    }

    /// `images.0.ref`: a list index as its number (Yams spells it "Index 0").
    static func dotted(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// The image patterns the spec selects.
    public func patterns() throws(AirlockError) -> [ImagePattern] {
        var result: [ImagePattern] = []
        for entry in images {
            if let tags = entry.tags {
                guard !tags.isEmpty else { throw AirlockError.usage("\(entry.ref): tags must not be empty") }
                let pattern = try ImagePattern(parsing: entry.ref, defaultTags: tags.joined(separator: ", "), max: entry.max)
                if entry.ref.contains("@") || pattern.tags.description != tags.joined(separator: ", ").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).joined(separator: ", ") {
                    throw AirlockError.usage("\(entry.ref): give either a tag in the ref or a tags list, not both")
                }
                result.append(pattern)
            } else {
                result.append(try ImagePattern(parsing: entry.ref, defaultTags: "latest", max: entry.max))
            }
        }
        return result
    }

    /// The OCI chart repositories and the version patterns to take from each (as image tags:
    /// the same globs, newest first, `max`). No `versions`: the ref's own tag, else every version.
    public func chartPatterns() throws(AirlockError) -> [ImagePattern] {
        var result: [ImagePattern] = []
        for chart in charts {
            guard let ref = chart.ref else { continue }
            if let versions = chart.versions, versions.isEmpty { throw AirlockError.usage("\(ref): versions must not be empty") }
            let helmTags = chart.versions?.map { $0.replacingOccurrences(of: "+", with: "_") }.joined(separator: ", ")
            result.append(try ImagePattern(parsing: ref, defaultTags: helmTags ?? "*", max: chart.max))
        }
        return result
    }

    /// Local chart archives, relative paths taken from `directory` (the spec file's).
    public func localCharts(relativeTo directory: String) -> [LocalPath] {
        charts.compactMap(\.path).map { LocalPath(path: Self.resolve($0, in: directory), shown: $0) }
    }

    /// Files and folders, relative paths taken from `directory` (the spec file's).
    public func localFiles(relativeTo directory: String) -> [LocalPath] {
        files.map { LocalPath(path: Self.resolve($0.path, in: directory), shown: $0.path, name: $0.name) }
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") || directory.isEmpty ? path : directory + "/" + path
    }

    public func parsedPlatforms() throws(AirlockError) -> [Platform]? {
        guard let platforms else { return nil }
        do {
            return try platforms.map { text throws(OCIError) in try Platform(parsing: text) }
        } catch {
            throw AirlockError.usage(error.description)
        }
    }
}
