import Foundation

/// A manifest or index exactly as a registry served it. The bytes are what gets stored and pushed;
/// the parsed view is only for walking the graph, so digests never change on the way through.
public struct ManifestDocument: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case image(ImageManifest)
        case index(ImageIndex)
    }

    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest
    public let content: Content

    /// Largest manifest accepted, as in distribution and containerd (4 MiB).
    public static let maximumSize = 4 * 1024 * 1024

    /// Parses `bytes`. `declaredType` is the Content-Type or descriptor media type, if any;
    /// the document's own `mediaType` field wins when the declaration is missing or generic.
    public init(bytes: [UInt8], declaredType: String? = nil) throws(OCIError) {
        guard bytes.count <= Self.maximumSize else {
            throw OCIError.invalidDocument(kind: "manifest", reason: "\(bytes.count) bytes is over the \(Self.maximumSize)-byte limit")
        }
        struct Probe: Decodable {
            let schemaVersion: Int?
            let mediaType: String?
            let manifests: [AnyDecodable]?
            let config: AnyDecodable?
        }
        struct AnyDecodable: Decodable {}
        let data = Data(bytes)
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: data)
        } catch {
            throw OCIError.invalidDocument(kind: "manifest", reason: "not a JSON object (\(Self.describe(error)))")
        }
        if let key = JSONKeys.firstDuplicate(in: bytes) {
            throw OCIError.invalidDocument(kind: "manifest", reason: "the key '\(key)' appears twice in one object (JSON readers disagree on which one counts)")
        }
        guard probe.schemaVersion == 2 else {
            throw OCIError.invalidDocument(kind: "manifest", reason: "schemaVersion \(probe.schemaVersion.map(String.init) ?? "missing"); only schema 2 is supported")
        }
        let declared = declaredType.flatMap { MediaType.isManifest($0) ? $0 : nil }
        let type: String
        if let own = probe.mediaType, MediaType.isManifest(own) {
            type = own
        } else if let declared {
            type = declared
        } else if probe.manifests != nil {
            type = MediaType.ociIndex
        } else if probe.config != nil {
            type = MediaType.ociManifest
        } else {
            throw OCIError.invalidDocument(kind: "manifest", reason: "neither an image manifest nor an index")
        }
        if let own = probe.mediaType, let declared, own != declared, MediaType.isManifest(own) {
            throw OCIError.invalidDocument(kind: "manifest", reason: "served as \(declared) but says it is \(own)")
        }
        do {
            if MediaType.isIndex(type) {
                content = .index(try JSONDecoder().decode(ImageIndex.self, from: data))
            } else {
                content = .image(try JSONDecoder().decode(ImageManifest.self, from: data))
            }
        } catch {
            throw OCIError.invalidDocument(kind: MediaType.isIndex(type) ? "index" : "manifest", reason: Self.describe(error))
        }
        self.bytes = bytes
        self.mediaType = type
        self.digest = try Digest.of(bytes)
    }

    /// The descriptor that points at this document.
    public func descriptor(platform: Platform? = nil, annotations: [String: String]? = nil) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations, platform: platform)
    }

    /// Everything this document references directly: child manifests of an index, or config and layers.
    public var references: [Descriptor] {
        switch content {
        case .image(let manifest): manifest.blobs
        case .index(let index): index.manifests
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty
                ? "malformed JSON"
                : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        default:
            "\(error)"
        }
    }
}
