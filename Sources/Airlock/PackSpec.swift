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

    public struct Entry: Sendable, Decodable {
        public let ref: String
        /// Tag globs; when absent the ref's own tag (or digest) is taken, else `latest`.
        public let tags: [String]?
        public let max: Int?
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, version, platforms, images }

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
            throw AirlockError.usage("\(source) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let mapping = top as? [String: Any] else { throw AirlockError.usage("\(source) must be a YAML mapping with name, version and images") }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw AirlockError.usage("\(source) has an unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let images = mapping["images"] as? [[String: Any]] {
            for (i, image) in images.enumerated() {
                if let unknown = image.keys.sorted().first(where: { !["ref", "tags", "max"].contains($0) }) {
                    throw AirlockError.usage("\(source): images[\(i)] has an unknown key '\(unknown)' (known: ref, tags, max)")
                }
            }
        }
        let spec: PackSpec
        do {
            spec = try YAMLDecoder().decode(PackSpec.self, from: text)
        } catch let DecodingError.keyNotFound(key, context) {
            throw AirlockError.usage("\(source): missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw AirlockError.usage("\(source): wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw AirlockError.usage("\(source) is not a valid spec: \(error)")
        }
        guard !spec.images.isEmpty else { throw AirlockError.usage("\(source) lists no images") }
        guard !spec.name.isEmpty, !spec.version.isEmpty else { throw AirlockError.usage("\(source): name and version must not be empty") }
        return spec
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

    public func parsedPlatforms() throws(AirlockError) -> [Platform]? {
        guard let platforms else { return nil }
        do {
            return try platforms.map { text throws(OCIError) in try Platform(parsing: text) }
        } catch {
            throw AirlockError.usage(error.description)
        }
    }
}
