import OCI
import Testing
import Foundation

struct DigestTests {
    @Test(arguments: [
        "sha256:" + String(repeating: "0", count: 64),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha512:" + String(repeating: "f", count: 128),
    ])
    func acceptsValid(_ text: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
    }

    @Test(arguments: [
        "", "sha256", "sha256:", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:" + String(repeating: "0", count: 63),
        "sha256:" + String(repeating: "0", count: 65),
        "sha256:" + String(repeating: "g", count: 64),
        "sha512:" + String(repeating: "0", count: 64),
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "SHA256:" + String(repeating: "0", count: 64),
        " sha256:" + String(repeating: "0", count: 64),
    ])
    func rejectsInvalid(_ text: String) {
        #expect(throws: OCIError.self) { try Digest(parsing: text) }
    }

    @Test func hashesKnownVectors() throws {
        #expect(try Digest.of([UInt8]()).description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try Digest.of(Array("abc".utf8)).description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try Digest.of(Array("abc".utf8), algorithm: .sha512).hex.hasPrefix("ddaf35a193617abacc417349ae204131"))
    }

    @Test func incrementalEqualsOneShot() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = DigestHasher()
        for start in stride(from: 0, to: bytes.count, by: 777) {
            hasher.update(Array(bytes[start..<min(start + 777, bytes.count)]))
        }
        #expect(try hasher.finalize() == Digest.of(bytes))
    }

    @Test func codableAsString() throws {
        let digest = try Digest.of(Array("x".utf8))
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(digest)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:nope\"]".utf8)) }
    }
}

struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64", true),
        ("linux/arm64/v8", "linux/arm64", true),
        ("linux/arm64", "linux/arm64/v8", true),   // arm64 defaults to v8
        ("linux/arm", "linux/arm/v7", true),       // arm defaults to v7
        ("linux/arm/v6", "linux/arm/v7", false),
        ("linux/arm/v6", "linux/arm", true),       // no variant asked: any
        ("linux/amd64", "linux/arm64", false),
        ("windows/amd64", "linux/amd64", false),
    ])
    func matching(_ have: String, _ want: String, _ expected: Bool) throws {
        #expect(try Platform(parsing: have).matches(Platform(parsing: want)) == expected)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "", "linux/ amd64"])
    func rejects(_ text: String) {
        #expect(throws: OCIError.self) { try Platform(parsing: text) }
    }

    @Test func decodesDottedKeys() throws {
        let json = #"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1"}"#
        let platform = try JSONDecoder().decode(Platform.self, from: Data(json.utf8))
        #expect(platform.osVersion == "10.0.17763.1")
        #expect(platform.description == "windows/amd64")
    }
}
