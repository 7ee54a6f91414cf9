import Foundation
import OCI

/// The bundle manifest (`airlock-bundle.json`): the first entry of every bundle and the bytes every
/// signature signs. Everything a consumer acts on is listed here, directly or by digest.
/// Normative text: format-spec/bundle-format.md.
public struct BundleManifest: Codable, Sendable, Hashable {
    public static let mediaType = "application/vnd.airlock.bundle.manifest.v1+json"
    public static let entryName = "airlock-bundle.json"
    /// The format version this code writes when a bundle carries evidence (1.1 members); a bundle
    /// without any is written as 1.0, byte for byte as before. Readers accept any 1.x.
    public static let formatVersion = "1.1"
    /// The version of a bundle that carries Helm charts or files (1.2 members of `images`).
    public static let artifactFormatVersion = "1.2"
    /// The version of a bundle that uses no 1.1 member.
    public static let baseFormatVersion = "1.0"

    public let mediaType: String
    public let formatVersion: String
    public let name: String
    public let version: String
    /// RFC 3339 UTC, seconds precision.
    public let created: String
    /// The spec file it was packed from, verbatim (nil for `--image` packs).
    public let spec: String?
    public let images: [Image]
    /// `index.json` of the OCI layout.
    public let index: Descriptor
    /// Every blob under `blobs/`, in stream order (manifests first, then by digest).
    public let blobs: [Descriptor]
    /// For a delta bundle: what it was made against.
    public let base: Base?
    public let tool: String
    /// 1.1: signatures, SBOMs and attestations that travel with the images (nil: none).
    public let evidence: [Evidence]?
    /// 1.1: the cosign public keys (key ids) every image was checked against at pack time.
    public let cosignKeys: [Digest]?

    public struct Image: Codable, Sendable, Hashable {
        /// `registry/repository` it came from.
        public let source: String
        /// The tag it was resolved from (nil when pinned by digest).
        public let tag: String?
        /// The pattern that selected it, e.g. `8.12.*`.
        public let pattern: String?
        /// The digest stored in the bundle (and pushed).
        public let digest: Digest
        public let mediaType: String
        public let size: Int64
        /// `os/arch[/variant]` of every image it contains.
        public let platforms: [String]
        /// Set when a platform filter replaced the source index by a smaller one: the original digest.
        public let sourceDigest: Digest?
        /// `org.opencontainers.image.ref.name` in index.json.
        public let refName: String
        /// Total bytes of every blob the image references (shared ones counted for each image).
        public let totalSize: Int64
        /// 1.2: what it is when not a container image (nil: a container image).
        public let kind: Kind?
        /// 1.2: a chart's or a file's own name (and a chart's version, a local one's path).
        public let artifact: Artifact?

        /// 1.2: a Helm chart (as `helm push` lays it out) or files (as `oras push` does).
        public enum Kind: String, Codable, Sendable, CaseIterable {
            case image, chart, file

            public init(from decoder: any Decoder) throws {
                // A kind from a later 1.x is carried as an image: pushed and served the same way.
                self = Kind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .image
            }
        }

        public struct Artifact: Codable, Sendable, Hashable {
            /// A chart's name (Chart.yaml), or the file or folder name `extract` writes.
            public let name: String
            /// A chart's version (Chart.yaml); nil for files.
            public let version: String?
            /// The local path it was packed from, as given (informative); nil for a chart from a registry.
            public let path: String?

            public init(name: String, version: String?, path: String?) {
                self.name = name
                self.version = version
                self.path = path
            }
        }

        /// A chart or file packed from a local path: its `source` is `charts/NAME` or `files/NAME`, no registry.
        public var isLocal: Bool { artifact?.path != nil }

        /// A container image (no kind, or `image`), as opposed to a chart or a file: what a cluster
        /// pulls. The one test every reader of `kind` makes.
        public var isContainer: Bool { (kind ?? .image) == .image }

        /// `chart` or `file`; nil for a container image: what `--json` documents carry as `kind`.
        public var artifactKind: String? { isContainer ? nil : kind?.rawValue }

        public init(source: String, tag: String?, pattern: String?, digest: Digest, mediaType: String, size: Int64,
                    platforms: [String], sourceDigest: Digest?, refName: String, totalSize: Int64,
                    kind: Kind? = nil, artifact: Artifact? = nil) {
            self.source = source
            self.tag = tag
            self.pattern = pattern
            self.digest = digest
            self.mediaType = mediaType
            self.size = size
            self.platforms = platforms
            self.sourceDigest = sourceDigest
            self.refName = refName
            self.totalSize = totalSize
            self.kind = kind == .image ? nil : kind
            self.artifact = artifact
        }
    }

    public struct Base: Codable, Sendable, Hashable {
        public let name: String
        public let version: String
        /// SHA-256 of the base bundle's manifest bytes.
        public let manifestDigest: Digest
        /// Blobs this bundle references but does not contain (they are in the base, or in a base of it).
        public let externalBlobs: [Descriptor]
        /// 1.2: when the base is itself a delta, the bases below it, nearest first (nil: none).
        public let chain: [Link]?

        public init(name: String, version: String, manifestDigest: Digest, externalBlobs: [Descriptor], chain: [Link]? = nil) {
            self.name = name
            self.version = version
            self.manifestDigest = manifestDigest
            self.externalBlobs = externalBlobs
            self.chain = chain?.isEmpty == true ? nil : chain
        }

        /// One bundle of a delta chain.
        public struct Link: Codable, Sendable, Hashable {
            public let name: String
            public let version: String
            public let manifestDigest: Digest

            public init(name: String, version: String, manifestDigest: Digest) {
                self.name = name
                self.version = version
                self.manifestDigest = manifestDigest
            }
        }

        /// The base itself, then its chain: every bundle this delta descends from, nearest first.
        public var lineage: [Link] { [Link(name: name, version: version, manifestDigest: manifestDigest)] + (chain ?? []) }
    }

    /// One manifest of evidence about a manifest the bundle holds (format-spec §3.6).
    public struct Evidence: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, CaseIterable {
            case signature, sbom, attestation, other
            /// The source's referrers tag schema index (`sha256-<hex>`), kept to be pushed as it was.
            case referrersIndex

            public init(from decoder: any Decoder) throws {
                // A kind from a later 1.x is carried as "other".
                self = Kind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .other
            }
        }

        /// `refName` of the image this evidence travels with (its target repository on push).
        public let image: String
        /// The manifest it is about: the image, a child of its index, or other evidence.
        public let subject: Digest
        public let kind: Kind
        /// The evidence manifest, with its artifact type (the manifest's `artifactType`, else its config media type).
        public let manifest: Descriptor
        /// The tag it is published under (cosign's `sha256-<hex>.sig`, or `sha256-<hex>` for a
        /// referrers index); nil for a referrer known by digest alone.
        public let tag: String?

        public init(image: String, subject: Digest, kind: Kind, manifest: Descriptor, tag: String?) {
            self.image = image
            self.subject = subject
            self.kind = kind
            self.manifest = manifest
            self.tag = tag
        }
    }

    public init(name: String, version: String, created: String, spec: String?, images: [Image], index: Descriptor,
                blobs: [Descriptor], base: Base? = nil, tool: String, evidence: [Evidence]? = nil, cosignKeys: [Digest]? = nil) {
        self.mediaType = Self.mediaType
        self.evidence = evidence?.isEmpty == true ? nil : evidence
        self.cosignKeys = cosignKeys?.isEmpty == true ? nil : cosignKeys
        self.formatVersion = images.contains(where: { $0.kind != nil })
            ? Self.artifactFormatVersion
            : self.evidence == nil && self.cosignKeys == nil ? Self.baseFormatVersion : Self.formatVersion
        self.name = name
        self.version = version
        self.created = created
        self.spec = spec
        self.images = images
        self.index = index
        self.blobs = blobs
        self.base = base
        self.tool = tool
    }

    /// The canonical bytes: sorted keys, two-space indent, no escaped slashes.
    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.pretty(self)
    }

    /// Checks that `bytes` claim to be a bundle manifest of a major version this code reads.
    /// Runs before signatures are checked, so it reads only the two fields it needs.
    public static func checkVersion(_ bytes: [UInt8]) throws(BundleError) {
        // Unparseable bytes are left to the signature check and the full decode: a damaged
        // manifest must read as "modified after signing", not as a JSON error.
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return }
        guard object["mediaType"] as? String == mediaType else {
            throw BundleError.verification("this is not an airlock bundle (manifest media type \(object["mediaType"].map { "\($0)" } ?? "missing"))")
        }
        guard let version = object["formatVersion"] as? String else {
            throw BundleError.verification("the bundle manifest has no formatVersion string (damaged or not an airlock bundle)")
        }
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), Int(parts[1]) != nil, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }) else {
            throw BundleError.verification("the bundle manifest's formatVersion '\(version)' is not MAJOR.MINOR")
        }
        guard major == 1 else {
            throw BundleError.unsupportedVersion("the bundle uses format version \(version), but this airlock reads only 1.x; upgrade airlock")
        }
    }

    /// Parses a manifest after `checkVersion` (and, for anything trusted, after its signatures).
    public static func decode(_ bytes: [UInt8]) throws(BundleError) -> BundleManifest {
        try checkVersion(bytes)
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw BundleError.verification("the bundle manifest is malformed: \(Self.describe(error))")
        } catch {
            throw BundleError.verification("the bundle manifest is malformed")
        }
        if let key = JSONKeys.firstDuplicate(in: bytes) {
            throw BundleError.verification("the bundle manifest has the key '\(key)' twice in one object (JSON readers disagree on which one counts)")
        }
        // Names reach terminals and file names: printable text only.
        for text in [manifest.name, manifest.version] where text.isEmpty || text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw BundleError.verification("the bundle manifest's name or version '\(text)' is empty or holds control characters")
        }
        // Reference names become index.json annotations and registry tags: nothing path-like.
        for image in manifest.images {
            let parts = image.refName.split(separator: "/", omittingEmptySubsequences: false)
            guard !image.refName.isEmpty, image.refName.count <= 512, !image.refName.hasPrefix("/"),
                  !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
                  !image.refName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw BundleError.verification("the bundle manifest names an image '\(image.refName)', which is not a valid reference name")
            }
            // extract writes files under these names: one plain name, printable.
            if let name = image.artifact?.name, !isPlainFileName(name) {
                throw BundleError.verification("the bundle manifest names a \(image.kind?.rawValue ?? "file") '\(name)', which is not a plain file name")
            }
            if let version = image.artifact?.version, !isPlainFileName(version) {
                throw BundleError.verification("the bundle manifest gives a chart the version '\(version)', which cannot be part of a file name")
            }
        }
        // Blobs are stored once each (§3.3).
        var listed: Set<Digest> = []
        for blob in manifest.blobs where !listed.insert(blob.digest).inserted {
            throw BundleError.verification("the bundle manifest lists blob \(blob.digest) twice")
        }
        if let both = manifest.base?.externalBlobs.first(where: { listed.contains($0.digest) }) {
            throw BundleError.verification("the bundle manifest lists blob \(both.digest) as both stored and external")
        }
        try checkEvidence(manifest, stored: listed)
        return manifest
    }

    /// One path component that stays where it is put: no `/`, not `.` or `..`, no control characters.
    public static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && name != "." && name != ".." && !name.contains("/")
            && !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\\" })
    }

    /// Evidence names an image of this bundle, a manifest it holds, and at most a plain tag.
    static func checkEvidence(_ manifest: BundleManifest, stored: Set<Digest>) throws(BundleError) {
        let images = Set(manifest.images.map(\.refName))
        let external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
        for entry in manifest.evidence ?? [] {
            guard images.contains(entry.image) else {
                throw BundleError.verification("the bundle manifest lists evidence \(entry.manifest.digest) for '\(entry.image)', which is not an image of the bundle")
            }
            guard MediaType.isManifest(entry.manifest.mediaType), stored.contains(entry.manifest.digest) || external.contains(entry.manifest.digest) else {
                throw BundleError.verification("the bundle manifest lists evidence \(entry.manifest.digest), which is not a manifest the bundle holds")
            }
            if let tag = entry.tag {
                do {
                    try Reference.validateTag(tag, in: tag)
                } catch {
                    throw BundleError.verification("the bundle manifest lists evidence under a bad tag: \(error.description)")
                }
            }
        }
    }

    /// A decoding failure in words: which field, and what is wrong with it (no Swift type names).
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "the field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "the field '\(path(context.codingPath))' has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not valid JSON" : "the field '\(path(context.codingPath))' is invalid"
        @unknown default:
            return "it does not have the expected fields"
        }
    }

    /// Creation time as RFC 3339 and Unix seconds: `SOURCE_DATE_EPOCH`, else `resumed` (an
    /// interrupted pack's time), else the clock.
    public static func creationTime(environment: [String: String] = ProcessInfo.processInfo.environment, resumed: Int64? = nil) throws(BundleError) -> (text: String, seconds: Int64) {
        let seconds: Int64
        if let epoch = environment["SOURCE_DATE_EPOCH"] {
            guard let value = Int64(epoch), value >= 0 else {
                throw BundleError.usage("SOURCE_DATE_EPOCH must be a non-negative number of seconds, not '\(epoch)'")
            }
            seconds = value
        } else {
            seconds = resumed ?? Int64(Date().timeIntervalSince1970)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return (formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), seconds)
    }
}
