import Bundle
import OCI

/// One image in every `--json` document, with the same keys whichever command prints it
/// (`format-spec/json/common.schema.json`, `$defs/image`). Absent facts are left out, not null.
public struct ImageReport: Sendable, Encodable, Equatable {
    /// How the bundle names it (its `refName`, e.g. `acme/runtime:8.12.1`); for `tags`, REG/REPO:TAG.
    public let name: String
    /// Where it came from: REG/REPO:TAG, or REG/REPO@DIGEST when it was taken by digest.
    public let source: String
    /// The manifest or index digest the bundle holds (and push writes).
    public let digest: Digest
    public let mediaType: String
    /// Bytes of that manifest or index.
    public let size: Int64
    /// `os/arch[/variant]` of every image it holds (`tags` does not look inside).
    public let platforms: [String]?
    /// The digest at the source, when a platform filter made a new, smaller index.
    public let sourceDigest: Digest?
    /// The tag pattern that selected it.
    public let pattern: String?
    /// Bytes of every blob it references.
    public let totalSize: Int64?
    /// `chart` or `file` (format 1.2); absent for a container image.
    public let kind: String?
    /// A chart's name and version, a file's name, and the local path either was packed from.
    public let artifact: BundleManifest.Image.Artifact?

    public init(_ image: BundleManifest.Image) {
        name = image.refName
        source = Reference.spelled(image.source, tagOr: image.sourceDigest ?? image.digest, tag: image.tag)
        digest = image.digest
        mediaType = image.mediaType
        size = image.size
        platforms = image.platforms
        sourceDigest = image.sourceDigest
        pattern = image.pattern
        totalSize = image.totalSize
        kind = image.artifactKind
        artifact = image.artifact
    }

    public init(_ tag: ResolvedTag) {
        name = tag.name
        source = tag.name
        digest = tag.digest
        mediaType = tag.mediaType
        size = tag.size
        platforms = nil
        sourceDigest = nil
        pattern = nil
        totalSize = nil
        kind = nil
        artifact = nil
    }
}
