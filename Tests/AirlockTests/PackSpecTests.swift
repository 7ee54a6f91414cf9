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
        ("name: x\nversion: 1\ncharts:\n  - ref: a.io/c\n    path: c.tgz", "either ref (with versions) or path"),
        ("name: x\nversion: 1\ncharts:\n  - path: c.tgz\n    versions: [\"1.*\"]", "either ref (with versions) or path"),
        ("name: x\nversion: 1\ncharts:\n  - version: 1", "unknown key 'version'"),
        ("name: x\nversion: 1\nfiles:\n  - path: a\n    mode: 644", "unknown key 'mode'"),
        ("name: x\nversion: 1\nfiles:\n  - name: a", "files.0.path"),
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

    @Test func chartsAndFilesWithoutImages() throws {
        let spec = try PackSpec.parse("""
            name: release
            version: 1.0
            charts:
              - ref: registry.example.com/charts/acme
                versions: ["2.10.*", "1.2.3+build"]
                max: 2
              - ref: registry.example.com/charts/all
              - path: charts/acme-2.10.2.tgz
            files:
              - path: install.sh
              - path: /srv/docs/
                name: Docs
            """, source: "spec.yaml")
        #expect(spec.images.isEmpty)
        let charts = try spec.chartPatterns()
        #expect(charts.map(\.description) == ["registry.example.com/charts/acme:2.10.*, 1.2.3_build", "registry.example.com/charts/all:*"])
        #expect(charts[0].max == 2)
        #expect(spec.localCharts(relativeTo: "/work/spec").map(\.path) == ["/work/spec/charts/acme-2.10.2.tgz"])
        let files = spec.localFiles(relativeTo: "/work/spec")
        #expect(files.map(\.path) == ["/work/spec/install.sh", "/srv/docs/"])
        #expect(files.map(\.shown) == ["install.sh", "/srv/docs/"])
        #expect(files.map(\.name) == [nil, "Docs"])
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
