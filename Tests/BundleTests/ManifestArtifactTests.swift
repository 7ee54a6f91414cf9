import Bundle
import Foundation
import OCI
import Testing

/// Format 1.2: charts and files in the bundle manifest, and names `extract` could be led astray by.
struct ManifestArtifactTests {
    func manifest(kind: BundleManifest.Image.Kind?, artifact: BundleManifest.Image.Artifact?) throws -> BundleManifest {
        let digest = try Digest.of(Array("m".utf8))
        let image = BundleManifest.Image(source: "charts/acme", tag: "1.0.0", pattern: nil, digest: digest, mediaType: MediaType.ociManifest,
                                         size: 1, platforms: [], sourceDigest: nil, refName: "charts/acme:1.0.0", totalSize: 1,
                                         kind: kind, artifact: artifact)
        return BundleManifest(name: "r", version: "1", created: "2023-11-14T22:13:20Z", spec: nil, images: [image],
                              index: Descriptor(mediaType: MediaType.ociIndex, digest: digest, size: 1),
                              blobs: [Descriptor(mediaType: MediaType.ociManifest, digest: digest, size: 1)], tool: "airlock test")
    }

    @Test func versionFollowsWhatIsCarried() throws {
        #expect(try manifest(kind: nil, artifact: nil).formatVersion == "1.0")
        let chart = try manifest(kind: .chart, artifact: .init(name: "acme", version: "1.0.0", path: "acme-1.0.0.tgz"))
        #expect(chart.formatVersion == "1.2")
        let decoded = try BundleManifest.decode(try chart.encoded())
        #expect(decoded.images[0].kind == .chart && decoded.images[0].artifact?.name == "acme" && decoded.images[0].isLocal)
    }

    @Test(arguments: ["..", ".", "a/b", "", "evil\u{1b}[2J", "a\\b"])
    func aNameThatIsNotAPlainFileNameIsRefused(_ name: String) throws {
        let bytes = try manifest(kind: .file, artifact: .init(name: name, version: nil, path: nil)).encoded()
        #expect(throws: BundleError.self) { _ = try BundleManifest.decode(bytes) }
    }

    @Test func anUnknownKindReadsAsAnImage() throws {
        let bytes = try manifest(kind: .chart, artifact: .init(name: "acme", version: "1.0.0", path: nil)).encoded()
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"kind\" : \"chart\"", with: "\"kind\" : \"firmware\"")
        #expect(text.contains("firmware"))
        #expect(try BundleManifest.decode(Array(text.utf8)).images[0].kind == .image)
    }
}
