import Foundation
import Testing
import TestSupport

/// Every `--json` document validates against its schema in format-spec/json (draft 2020-12,
/// `additionalProperties: false`), so a renamed, retyped or stray key fails here.
@Suite(.serialized)
struct JSONShapeTests {
    static let tiny = TestPaths.repoRoot.appendingPathComponent("fixtures/tiny.bundle").path
    static let keys = TestPaths.repoRoot.appendingPathComponent("fixtures/keys").path

    /// Runs scripts/check-json.py SCHEMA on `output`; returns its complaints.
    func violations(_ schema: String, _ output: String) throws -> String? {
        let checked = try run("python3", [TestPaths.script("check-json.py"), schema], input: Data(output.utf8))
        return checked.status == 0 ? nil : checked.stderr + checked.stdout
    }

    @Test func everyCommandPrintsItsSchema() throws {
        let registry = try DevRegistry.start(seed: ["agent", "operator"])
        defer { registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let directory = try TestPaths.temporaryDirectory("json-shape")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let bundle = path("b.tar.zst")
        let pub = "\(Self.keys)/test-ed25519.pub"
        let runs: [(schema: String, arguments: [String], status: Int32)] = [
            ("tags", ["tags", "--json", "\(registry.host)/acme/agent", "\(registry.host)/acme/operator@\(try registry.skopeoDigest("acme/operator:2.10.2"))"], 0),
            ("pack", ["pack", "--json", "--image", "\(registry.host)/acme/agent:1.4.0", "--image", "\(registry.host)/acme/operator:2.10.2",
                      "--platform", "linux/amd64", "--name", "shape", "--version", "1", "-o", bundle, "--key", "\(Self.keys)/test-ed25519.key"], 0),
            ("pack", ["pack", "--json", "--image", "\(registry.host)/acme/agent:1.4.0", "--name", "shape", "--version", "1",
                      "-o", path("split"), "--split-size", "100K", "--key", "\(Self.keys)/test-ed25519.key"], 0),
            ("inspect", ["inspect", "--json", path("split.001"), "--key", pub], 0),
            ("inspect", ["inspect", "--json", bundle, "--key", pub], 0),
            ("verify", ["verify", "--json", bundle, "--key", pub], 0),
            ("verify", ["verify", "--json", bundle, "--key", "\(Self.keys)/test-ecdsa.pub"], 3),
            ("diff", ["diff", "--json", Self.tiny, bundle], 1),
            ("diff-against", ["diff", "--json", "--against", "\(site.host)/v", bundle], 1),
            ("push", ["push", "--json", bundle, "--to", "\(site.host)/v", "--key", pub], 0),
            ("status", ["status", "--json", "--check", "--at", "\(site.host)/v"], 0),
            ("prune", ["prune", "--json", "--at", "\(site.host)/v", "--keep", "shape@1"], 0),
            ("unpack", ["unpack", "--json", bundle, "--to-dir", path("layout"), "--key", pub], 0),
        ]
        for (schema, arguments, status) in runs {
            let result = try AirlockCLI.run(arguments)
            #expect(result.status == status, "\(arguments.prefix(2)): \(result.stderr)")
            #expect(try violations(schema, result.stdout) == nil, "\(arguments.prefix(2)): \(result.stdout)")
        }
    }

    /// Every --json command that fails writes one failure document on stdout (failure.schema.json;
    /// verify its own report with `ok: false`), whose status is the process's exit status.
    @Test func everyFailureIsADocument() throws {
        let directory = try TestPaths.temporaryDirectory("json-failure")
        let missing = directory.appendingPathComponent("no-such.bundle").path
        let pub = "\(Self.keys)/test-ed25519.pub", key = "\(Self.keys)/test-ed25519.key"
        let damaged = directory.appendingPathComponent("damaged.bundle").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.tiny)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let nowhere = "127.0.0.1:1"
        let runs: [(schema: String, arguments: [String], status: Int32)] = [
            ("failure", ["tags", "--json", "\(nowhere)/acme/agent"], 4),
            ("failure", ["pack", "--json", "--image", "\(nowhere)/acme/agent:1.4.0", "--name", "f", "--version", "1",
                         "-o", directory.appendingPathComponent("f.bundle").path, "--key", key], 4),
            ("failure", ["inspect", "--json", missing], 6),
            // inspect's own document comes first (no image in it); a failure document would be a second.
            ("inspect", ["inspect", "--json", Self.tiny, "--image", "acme/nosuch:*"], 7),
            ("verify", ["verify", "--json", damaged, "--key", pub], 3),
            ("failure", ["diff", "--json", missing, Self.tiny], 6),
            ("failure", ["diff", "--json", "--against", "\(nowhere)/v", Self.tiny], 4),
            ("failure", ["push", "--json", Self.tiny, "--to", "\(nowhere)/v", "--key", pub], 4),
            ("failure", ["push", "--json", damaged, "--to", "\(nowhere)/v", "--key", "\(Self.keys)/test-ecdsa.pub", "--key", pub], 4),
            ("failure", ["status", "--json", "--at", "\(nowhere)/v"], 4),
            ("failure", ["prune", "--json", "--at", "\(nowhere)/v", "--keep-last", "1"], 4),
            ("failure", ["unpack", "--json", damaged, "--to-dir", directory.appendingPathComponent("layout").path, "--key", pub], 3),
            ("failure", ["extract", "--json", missing, "--to-dir", directory.appendingPathComponent("files").path, "--key", pub], 6),
            ("failure", ["push", "--json"], 2),
            ("failure", ["verify", "--json", Self.tiny, "--no-such-option"], 2),
        ]
        for (schema, arguments, status) in runs {
            // Nothing listens there: no retries needed to find that out.
            let result = try AirlockCLI.run(arguments + (arguments.contains { $0.hasPrefix(nowhere) } ? ["--retries", "0"] : []))
            #expect(result.status == status, "\(arguments.prefix(2)): \(result.stderr)")
            #expect(try violations(schema, result.stdout) == nil, "\(arguments.prefix(2)): \(result.stdout)")
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            if schema == "inspect" {
                #expect((document?["images"] as? [Any])?.isEmpty == true)
                continue
            }
            #expect(document?["status"] as? Int == Int(status), "\(arguments.prefix(2)): \(result.stdout)")
            let sentence = try #require(document?["error"] as? String, "\(arguments.prefix(2)): \(result.stdout)")
            #expect(result.stderr.contains(sentence.prefix(60)), "\(arguments.prefix(2)): stderr says the same: \(result.stderr)")
        }
        #expect(try violations("failure", #"{"error":"x","status":0,"meaning":"success"}"#) != nil, "status 0 is no failure")
    }

    /// The check has teeth: a renamed key is caught.
    @Test func aRenamedKeyFails() throws {
        let result = try AirlockCLI.run(["inspect", "--json", Self.tiny])
        #expect(result.status == 0)
        #expect(try violations("inspect", result.stdout) == nil)
        let renamed = result.stdout.replacingOccurrences(of: "\"blobCount\"", with: "\"blobs\"")
        #expect(try violations("inspect", renamed) != nil)
    }
}
