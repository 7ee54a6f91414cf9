import Foundation
import Testing
import TestSupport

/// The sentences a user meets when something is wrong, held to what they must say: what is at
/// fault by name, and what to do (issue 24, item 13). Each case builds its own bad input.
@Suite(.serialized)
struct MessagesTests {
    static let tiny = TestPaths.repoRoot.appendingPathComponent("fixtures/tiny.bundle").path
    static let keys = TestPaths.repoRoot.appendingPathComponent("fixtures/keys").path
    static var pub: String { "\(keys)/test-ed25519.pub" }

    /// The fixture with one byte flipped in the middle: inside the compressed frames of the
    /// agent image's layer, so zstd's frame checksum catches it.
    static func damagedCopy(_ directory: URL) throws -> String {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: tiny)))
        bytes[bytes.count / 2] ^= 0xFF
        let path = directory.appendingPathComponent("damaged.bundle").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aFlippedByteNamesTheBundleTheBlobAndItsImages() throws {
        let directory = try TestPaths.temporaryDirectory("messages-damage")
        let damaged = try Self.damagedCopy(directory)
        let site = try DevRegistry.start()
        defer { site.stop() }
        let layer = "sha256:b74fcd2ec31b41cac26ca84b14004eaea28a0b4b5483ac79c5411c217e682fee"
        let runs: [(name: String, arguments: [String], input: Data?, bundle: String)] = [
            ("verify", ["verify", damaged, "--key", Self.pub], nil, damaged),
            ("verify -", ["verify", "-", "--key", Self.pub], try Data(contentsOf: URL(fileURLWithPath: damaged)), "standard input"),
            ("unpack", ["unpack", damaged, "--to-dir", directory.appendingPathComponent("layout").path, "--key", Self.pub], nil, damaged),
            ("push", ["push", damaged, "--to", "\(site.host)/v", "--key", Self.pub], nil, damaged),
        ]
        for (name, arguments, input, bundle) in runs {
            let result = try AirlockCLI.run(arguments, input: input)
            #expect(result.status == 3, "\(name): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("airlock: ") }
            #expect(lines.count == 1, "\(name): one sentence: \(result.stderr)")
            let sentence = String(lines.first ?? "")
            #expect(sentence.contains("\(bundle) is damaged"), "\(name): \(sentence)")
            #expect(sentence.contains(layer) && sentence.contains("used by acme/agent:1.4.0"), "\(name): \(sentence)")
            #expect(sentence.contains("copy the file again"), "\(name): \(sentence)")
            #expect(!sentence.contains("zstd says"), "\(name): \(sentence)")
        }
        // The push tagged nothing: the damaged layer's image has no tag in the registry.
        let tags = try run("curl", ["-sS", "http://\(site.host)/v2/v/acme/agent/tags/list"])
        #expect(tags.status == 0, "\(tags.stderr)")
        #expect(!tags.stdout.contains("1.4.0") && (tags.stdout.contains("NAME_UNKNOWN") || tags.stdout.contains("\"tags\":null") || tags.stdout.contains("\"tags\":[]")),
                "\(tags.stdout)")
    }

    @Test func aBusyPortIsNamed() throws {
        // The registry listens there already.
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let result = try AirlockCLI.run(["serve", Self.tiny, "--listen", registry.host, "--key", Self.pub])
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains("another program already uses port"), "\(result.stderr)")
        #expect(!result.stderr.contains("errno") && !result.stderr.contains("bind("), "\(result.stderr)")
    }

    @Test(arguments: [
        ("name: a\nversion: 1\nimages:\n  - ref: [x\n", "line 5, column 1"),
        ("name: a\nversion: 1\nimages:\n\t- ref: x\n", "line 4, column 1"),
        ("name: a\n  version: 1\n", "line 2, column 10"),
    ])
    func aBrokenSpecSaysWhere(_ text: String, _ place: String) throws {
        let directory = try TestPaths.temporaryDirectory("messages-yaml")
        let spec = directory.appendingPathComponent("spec.yaml").path
        try text.write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try AirlockCLI.run(["pack", spec, "-o", directory.appendingPathComponent("b.bundle").path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("\(spec) is not valid YAML") && result.stderr.contains(place), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && !result.stderr.contains("^"), "no libyaml snippet: \(result.stderr)")
    }

    @Test func aVirtualFolderIsNotBlamedOnFreeSpace() throws {
        let result = try AirlockCLI.run(["unpack", Self.tiny, "--to-dir", "/proc/airlock-layout", "--key", Self.pub])
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains("virtual file system") && !result.stderr.contains("free space"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/proc/airlock-layout"))
    }

    @Test func oneIsSingularAndARepushSaysPresent() throws {
        let site = try DevRegistry.start()
        defer { site.stop() }
        let first = try AirlockCLI.run(["push", Self.tiny, "--to", "\(site.host)/v", "--key", Self.pub])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("pushed \(site.host)/v/acme/agent:1.4.0"), "\(first.stdout)")
        #expect(first.stdout.contains("1 of 1 image pushed"), "\(first.stdout)")
        let again = try AirlockCLI.run(["push", Self.tiny, "--to", "\(site.host)/v", "--key", Self.pub])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("present \(site.host)/v/acme/agent:1.4.0") && !again.stdout.contains("pushed \(site.host)"), "\(again.stdout)")
        #expect(again.stdout.contains("(1 already present)"), "\(again.stdout)")
        let verified = try AirlockCLI.run(["verify", Self.tiny, "--key", Self.pub])
        #expect(verified.stdout.contains("1 image, 4 blobs"), "\(verified.stdout)")
    }
}
