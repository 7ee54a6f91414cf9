@testable import Airlock
import Foundation
import Testing

struct PackSpecTests {
    @Test func parsesTheProductExample() throws {
        let spec = try PackSpec.parse("""
            name: acme-platform
            version: 2.10.2
            platforms: [linux/amd64]
            images:
              - ref: registry.example.com/acme/runtime
                tags: ["8.12.*", "7.23.6.*"]
                max: 50
              - ref: registry.example.com/acme/operator:2.10.2
              - ref: registry.example.com/acme/agent@sha256:\(String(repeating: "a", count: 64))
              - ref: registry.example.com/acme/plain
            """, source: "spec.yaml")
        let patterns = try spec.patterns()
        #expect(patterns.map(\.description) == [
            "registry.example.com/acme/runtime:8.12.*, 7.23.6.*",
            "registry.example.com/acme/operator:2.10.2",
            "registry.example.com/acme/agent@sha256:\(String(repeating: "a", count: 64))",
            "registry.example.com/acme/plain:latest",
        ])
        #expect(patterns[0].max == 50)
        #expect(try spec.parsedPlatforms()?.map(\.description) == ["linux/amd64"])
    }

    @Test(arguments: [
        ("", "mapping"),
        ("name: x\nversion: 1\nimages: []", "no images"),
        ("name: x\nimages:\n  - ref: a.io/b", "version"),
        ("name: x\nversion: 1\nimage:\n  - ref: a.io/b", "unknown key 'image'"),
        ("name: x\nversion: 1\nimages:\n  - ref: a.io/b\n    tag: 1", "unknown key 'tag'"),
        ("name: x\nversion: 1\nimages:\n  - ref: a.io/b\n    max: many", "wrong type"),
        ("name: x\nversion: 1\nimages: [ {ref: a.io/b", "not valid YAML"),
    ])
    func rejectsBadSpecs(_ text: String, _ expected: String) {
        do {
            _ = try PackSpec.parse(text, source: "spec.yaml")
            Issue.record("expected an error for: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.contains("spec.yaml"))
        }
    }

    @Test func tagInRefAndTagsListConflict() throws {
        let spec = try PackSpec.parse("name: x\nversion: 1\nimages:\n  - ref: a.io/b:1.0\n    tags: ['2.*']", source: "s")
        #expect(throws: AirlockError.self) { try spec.patterns() }
    }
}

/// Specs saved by Windows editors: a UTF-8 byte-order mark and CRLF line endings.
struct PackSpecWindowsTests {
    @Test(arguments: [("\u{FEFF}", "\n"), ("", "\r\n"), ("\u{FEFF}", "\r\n")])
    func byteOrderMarkAndCRLFAreAccepted(_ prefix: String, _ newline: String) throws {
        let lines = ["name: acme-platform", "version: 2.10.2", "images:", "  - ref: registry.example.com/acme/runtime", "    tags: [\"8.12.*\"]", ""]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("spec.yaml").path
        try Data((prefix + lines.joined(separator: newline)).utf8).write(to: URL(fileURLWithPath: path))
        let loaded = try PackSpec.load(path: path)
        #expect(loaded.spec.name == "acme-platform")
        #expect(loaded.spec.version == "2.10.2")
        #expect(try loaded.spec.patterns().map(\.description) == ["registry.example.com/acme/runtime:8.12.*"])
    }
}
