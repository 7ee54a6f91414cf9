import OCI
import Testing

struct ManifestDocumentTests {
    static let layer = "sha256:" + String(repeating: "1", count: 64)
    static let config = "sha256:" + String(repeating: "2", count: 64)

    static let manifest = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config)","size":10},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layer)","size":20}]}
        """

    @Test func keepsExactBytesAndDigest() throws {
        let bytes = Array(Self.manifest.utf8)
        let document = try ManifestDocument(bytes: bytes)
        #expect(document.bytes == bytes)
        #expect(try document.digest == Digest.of(bytes))
        #expect(document.mediaType == MediaType.ociManifest)
        #expect(document.references.map(\.digest.description) == [Self.config, Self.layer])
    }

    @Test func infersTypeWithoutMediaTypeField() throws {
        let index = #"{"schemaVersion":2,"manifests":[]}"#
        #expect(try ManifestDocument(bytes: Array(index.utf8)).mediaType == MediaType.ociIndex)
        let docker = #"{"schemaVersion":2,"manifests":[]}"#
        #expect(try ManifestDocument(bytes: Array(docker.utf8), declaredType: MediaType.dockerManifestList).mediaType == MediaType.dockerManifestList)
    }

    @Test(arguments: [
        "not json",
        #"{"schemaVersion":1,"fsLayers":[]}"#,
        #"{"schemaVersion":2}"#,
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#,
        #"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:bad","size":1}]}"#,
        #"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:\#(String(repeating: "a", count: 64))","size":-1}]}"#,
    ])
    func rejectsBadDocuments(_ text: String) {
        #expect(throws: OCIError.self) { try ManifestDocument(bytes: Array(text.utf8)) }
    }

    @Test func rejectsTypeConflict() {
        #expect(throws: OCIError.self) {
            try ManifestDocument(bytes: Array(Self.manifest.utf8), declaredType: MediaType.dockerManifest)
        }
    }

    @Test func rejectsOversized() {
        let huge = [UInt8](repeating: 0x20, count: ManifestDocument.maximumSize + 1)
        #expect(throws: OCIError.self) { try ManifestDocument(bytes: huge) }
    }
}
