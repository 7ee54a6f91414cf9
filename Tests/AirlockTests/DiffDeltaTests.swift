import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct DiffDeltaTests {
    struct Versions {
        let registry: DevRegistry
        let directory: URL
        let v1: String, v2: String, delta: String
        let key: String, pub: String

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        static func make() throws -> Versions {
            let registry = try DevRegistry.start(seed: ["runtime"])
            let directory = try TestPaths.temporaryDirectory("diff")
            let key = directory.appendingPathComponent("v").path
            _ = try AirlockCLI.run(["keygen", "--out", key])
            func pack(_ tags: String, version: String, output: String, extra: [String] = []) throws {
                let result = try AirlockCLI.run(["pack", "--image", "\(registry.host)/acme/runtime:\(tags)", "--name", "runtime", "--version", version,
                                                 "-o", output, "--key", key + ".key"] + extra)
                guard result.status == 0 else { throw TestError("pack \(version): \(result.stderr)") }
            }
            let v1 = directory.appendingPathComponent("v1.tar.zst").path
            let v2 = directory.appendingPathComponent("v2.tar.zst").path
            let delta = directory.appendingPathComponent("v2-delta.tar.zst").path
            try pack("8.12.0, 8.12.1", version: "1", output: v1)
            try pack("8.12.1, 8.12.10, 8.13.0", version: "2", output: v2)
            try pack("8.12.1, 8.12.10, 8.13.0", version: "2", output: delta, extra: ["--base", v1])
            return Versions(registry: registry, directory: directory, v1: v1, v2: v2, delta: delta, key: key + ".key", pub: key + ".pub")
        }
    }

    @Test func diffNamesWhatChangedAndCountsSharedBlobs() throws {
        let versions = try Versions.make()
        defer { versions.registry.stop() }
        let human = try AirlockCLI.run(["diff", versions.v1, versions.v2])
        #expect(human.status == 1, "\(human.stderr)")
        let lines = human.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("+ acme/runtime:8.12.10") })
        #expect(lines.contains { $0.hasPrefix("+ acme/runtime:8.13.0") })
        #expect(lines.contains { $0.hasPrefix("- acme/runtime:8.12.0") })
        #expect(lines.contains("= acme/runtime:8.12.1"))

        let json = try AirlockCLI.run(["diff", "--json", versions.v1, versions.v2])
        #expect(json.status == 1)
        let diff = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((diff["added"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["acme/runtime:8.12.10", "acme/runtime:8.13.0"])
        #expect((diff["removed"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["acme/runtime:8.12.0"])
        #expect(diff["unchanged"] as? [String] == ["acme/runtime:8.12.1"])
        #expect(diff["identical"] as? Bool == false)
        let shared = try #require(diff["sharedBlobs"] as? [String: Any])
        // The base layer (≈270 KiB, in every runtime image) and 8.12.1's own blobs are shared.
        #expect((shared["uniqueBytes"] as? Int ?? 0) > 270_000)
        #expect((shared["blobCount"] as? Int ?? 0) >= 4)

        let same = try AirlockCLI.run(["diff", versions.v2, versions.v2])
        #expect(same.status == 0)
        #expect(same.stdout.contains("identical content"))
        #expect(try AirlockCLI.run(["diff", versions.v1, versions.path("missing")]).status == 6)
    }

    @Test func deltaIsSmallerVerifiesAndPushesOnlyOnTopOfItsBase() throws {
        let versions = try Versions.make()
        defer { versions.registry.stop() }
        let size = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let diff = try #require(try JSONSerialization.jsonObject(with: Data(try AirlockCLI.run(["diff", "--json", versions.v1, versions.v2]).stdout.utf8)) as? [String: Any])
        let sharedBytes = try #require((diff["sharedBlobs"] as? [String: Any])?["uniqueBytes"] as? Int)
        #expect(size(versions.v2) - size(versions.delta) > sharedBytes * 8 / 10, "delta \(size(versions.delta)) vs full \(size(versions.v2)), shared \(sharedBytes)")

        let inspect = try AirlockCLI.run(["inspect", versions.delta])
        #expect(inspect.stdout.contains("delta      against runtime 1"))
        let alone = try AirlockCLI.run(["verify", versions.delta, "--key", versions.pub])
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdout.contains("relies on"))
        let withBase = try AirlockCLI.run(["verify", versions.delta, "--key", versions.pub, "--base", versions.v1])
        #expect(withBase.status == 0, "\(withBase.stderr)")
        #expect(withBase.stdout.contains("are in"))
        let wrongBase = try AirlockCLI.run(["verify", versions.delta, "--key", versions.pub, "--base", versions.v2])
        #expect(wrongBase.status == 3)

        // The delta alone into an empty registry: refused before any tag, naming what is missing.
        let empty = try DevRegistry.start()
        defer { empty.stop() }
        let refused = try AirlockCLI.run(["push", versions.delta, "--to", "\(empty.host)/site", "--key", versions.pub])
        #expect(refused.status == 7, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("push the base bundle runtime 1 first"))
        #expect(refused.stderr.contains("sha256:"))
        #expect(try empty.tags("site/acme/runtime").isEmpty)

        // The registry view tells the admin what to ask for.
        let lacking = try AirlockCLI.run(["diff", "--against", "\(empty.host)/site", versions.v2, "--json"])
        #expect(lacking.status == 1)

        // v1 then the delta: every v2 image at its source digest.
        #expect(try AirlockCLI.run(["push", versions.v1, "--to", "\(empty.host)/site", "--key", versions.pub]).status == 0)
        let pushed = try AirlockCLI.run(["push", versions.delta, "--to", "\(empty.host)/site", "--key", versions.pub])
        #expect(pushed.status == 0, "\(pushed.stdout) \(pushed.stderr)")
        for tag in ["8.12.1", "8.12.10", "8.13.0"] {
            #expect(try empty.skopeoDigest("site/acme/runtime:\(tag)") == (try versions.registry.skopeoDigest("acme/runtime:\(tag)")), "\(tag)")
        }
        let covered = try AirlockCLI.run(["diff", "--against", "\(empty.host)/site", versions.v2])
        #expect(covered.status == 0, "\(covered.stdout)")
        #expect(covered.stdout.contains("already holds all"))
    }
}
