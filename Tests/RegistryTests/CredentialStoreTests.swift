import Foundation
@testable import Registry
import Testing
import TestSupport

/// Writing docker's config.json for `airlock login`: one registry's entry changes, every other
/// byte stays, and a file airlock cannot make sense of is refused, never rewritten.
struct CredentialStoreTests {
    let credential = Credential(username: "alice", password: "s3cret")
    var auth: String { Data("alice:s3cret".utf8).base64EncodedString() }

    @Test func anEntryIsSetAndEverythingElseKeepsItsBytes() throws {
        let original = """
            {"proxies" :{ "default": {"httpProxy":"http://p:3128"} } ,
              "auths": {"keep.example.com": {"auth": "a2VlcDpwdw==" , "email":"k@x"},
                        "https://reg.example.com:5000/v1/": {"auth": "old"}},
              "n": 1.50e0, "s": "\\u00e9\\"\\\\", "a": [ {}, [], null ]}
            """
        var document = try DockerConfigDocument(bytes: Array(original.utf8), path: "config.json")
        try document.setAuth(credential, key: "reg.example.com:5000")
        let text = String(decoding: try document.bytes(), as: UTF8.self)
        for raw in [#"{ "default": {"httpProxy":"http://p:3128"} }"#, #"{"auth": "a2VlcDpwdw==" , "email":"k@x"}"#, "1.50e0", #""\u00e9\"\\""#, "[ {}, [], null ]"] {
            #expect(text.contains(raw), "lost \(raw):\n\(text)")
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let auths = try #require(parsed["auths"] as? [String: [String: String]])
        #expect(auths == ["keep.example.com": ["auth": "a2VlcDpwdw==", "email": "k@x"], "reg.example.com:5000": ["auth": auth]])
        #expect(Set(parsed.keys) == ["proxies", "auths", "n", "s", "a"])
        #expect(parsed["s"] as? String == "é\"\\")
    }

    @Test func removingTakesEverySpellingOfTheRegistry() throws {
        let original = #"{"auths":{"docker.io":{"auth":"x"},"https://index.docker.io/v1/":{"auth":"y"},"other.io":{}}}"#
        var document = try DockerConfigDocument(bytes: Array(original.utf8), path: "config.json")
        #expect(try document.removeAuths(key: DockerConfig.hubKey))
        #expect(try !document.removeAuths(key: DockerConfig.hubKey))
        let parsed = try JSONSerialization.jsonObject(with: Data(try document.bytes())) as? [String: [String: [String: String]]]
        #expect(parsed == ["auths": ["other.io": [:]]])
    }

    @Test(arguments: [
        (#"{"auths":{},"auths":{"a":{}}}"#, "twice"),
        (#"{"auths":[]}"#, "not a JSON object"),
        (#"["auths"]"#, "not a JSON object"),
        ("", "not a JSON object"),
    ])
    func aFileAirlockCannotReadIsRefused(_ text: String, _ phrase: String) {
        let error = #expect(throws: RegistryError.self) {
            _ = try DockerConfigDocument(bytes: Array(text.utf8), path: "config.json")
        }
        #expect(error.map { String(describing: $0) }?.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test func aNewFolderAndFileArePrivate() async throws {
        let folder = try TestPaths.temporaryDirectory("store").appendingPathComponent("a/b")
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": folder.path, "PATH": "/nonexistent"])
        let place = try await config.store(credential, for: "reg.example.com")
        #expect(place == .file(folder.appendingPathComponent("config.json").path))
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("config.json").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? NSNumber
        #expect(folderMode?.intValue == 0o700)
        let reread = try DockerConfig(environment: ["DOCKER_CONFIG": folder.path, "PATH": "/nonexistent"])
        #expect(try await reread.credential(for: "reg.example.com") == credential)
        #expect(try await reread.erase(for: "reg.example.com") == [.file(folder.appendingPathComponent("config.json").path)])
        #expect(try await reread.erase(for: "reg.example.com") == [])
    }

    /// A config.json that is a symbolic link (a dotfiles checkout) stays one: its target is replaced.
    @Test func aLinkedFileIsWrittenThroughTheLink() async throws {
        let folder = try TestPaths.temporaryDirectory("store-link")
        let target = folder.appendingPathComponent("dotfiles-config.json")
        try Data(#"{"credHelpers":{"gcr.io":"gcloud"}}"#.utf8).write(to: target)
        let docker = folder.appendingPathComponent("docker")
        try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: docker.appendingPathComponent("config.json").path, withDestinationPath: target.path)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": docker.path, "PATH": "/nonexistent"])
        try await config.store(credential, for: "reg.example.com")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: docker.appendingPathComponent("config.json").path) == target.path)
        let parsed = try JSONSerialization.jsonObject(with: try Data(contentsOf: target)) as? [String: Any]
        #expect(parsed?["auths"] as? [String: [String: String]] == ["reg.example.com": ["auth": auth]])
        #expect(try String(contentsOf: target, encoding: .utf8).contains(#""credHelpers": {"gcr.io":"gcloud"}"#))
    }
}
