import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct PushUnpackTests {
    static let repositories = ["acme/agent", "acme/legacy", "acme/operator", "acme/runtime"]

    /// Every pushed image has its source digest at the target, and index children are all there.
    func expectSameDigests(_ packed: PackedBundle, target: DevRegistry, namespace: String) throws {
        for reference in PackedBundle.expectedRefs {
            let source = try packed.registry.skopeoDigest(reference)
            #expect(try target.skopeoDigest("\(namespace)/\(reference)") == source, "\(reference)")
        }
        for (reference, children) in [("acme/operator:2.10.2", 2), ("acme/legacy:3.0", 2)] {
            let copy = try run("skopeo", ["copy", "--all", "--src-creds", "\(target.username):\(target.password)"]
                + (try target.skopeoTLSFlags(prefix: "src-"))
                + ["docker://\(target.host)/\(namespace)/\(reference)", "dir:\(packed.path("children-\(UUID().uuidString.prefix(6))"))"])
            #expect(copy.status == 0, "\(reference) is incomplete at the target: \(copy.stderr)")
            _ = children
        }
    }

    @Test func pushWithDockerConfigCredentialsAndRepushSendsNothing() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start(auth: .basic)
        defer { target.stop() }
        let config = try TestPaths.temporaryDirectory("docker-config")
        let auth = Data("\(target.username):\(target.password)".utf8).base64EncodedString()
        try #"{"auths":{"\#(target.host)":{"auth":"\#(auth)"}}}"#.write(to: config.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let environment = ["DOCKER_CONFIG": config.path]

        let first = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/vendor", "--key", packed.vendorPub, "--json",
                                        "--mapping", packed.path("map.json"), "--kustomize", packed.path("kustomization.yaml")], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.isEmpty, "not a terminal: no progress, no logs")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect((summary["bytesUploaded"] as? Int ?? 0) > 0)
        try expectSameDigests(packed, target: target, namespace: "vendor")

        let mapping = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: packed.path("map.json")))) as? [String: Any])
        let entries = try #require(mapping["images"] as? [[String: String]])
        #expect(entries.count == PackedBundle.expectedRefs.count)
        let agent = try #require(entries.first { $0["source"] == "\(packed.registry.host)/acme/agent:1.4.0" })
        #expect(agent["target"] == "\(target.host)/vendor/acme/agent:1.4.0")
        #expect(agent["targetByDigest"] == "\(target.host)/vendor/acme/agent@\(try packed.registry.skopeoDigest("acme/agent:1.4.0"))")
        let kustomization = try String(contentsOfFile: packed.path("kustomization.yaml"), encoding: .utf8)
        #expect(kustomization.contains("- name: \(packed.registry.host)/acme/runtime\n  newName: \(target.host)/vendor/acme/runtime"))

        let clock = ContinuousClock()
        let start = clock.now
        let again = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/vendor", "--key", packed.vendorPub, "--json"], environment: environment)
        let repushTime = clock.now - start
        #expect(again.status == 0, "\(again.stderr)")
        let repeated = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(repeated["bytesUploaded"] as? Int == 0)
        #expect(repeated["blobsUploaded"] as? Int == 0)
        #expect(repeated["imagesAlreadyPresent"] as? Int == PackedBundle.expectedRefs.count, "a complete image costs one HEAD")
        #expect(repushTime < .seconds(30))

        // Without credentials: one sentence, registry failure status.
        let denied = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/other", "--key", packed.vendorPub])
        #expect(denied.status == 4, "\(denied.stdout) \(denied.stderr)")
        #expect(denied.stdout.contains("401") || denied.stderr.contains("401"))
    }

    @Test func pushOverTLSWithACustomCA() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start(tls: true)
        defer { target.stop() }
        let caFile = try #require(target.caFile)
        let untrusted = try AirlockCLI.run(["push", packed.bundle, "--to", target.host, "--key", packed.vendorPub])
        #expect(untrusted.status == 4)
        #expect(untrusted.stderr.contains("TLS"), "\(untrusted.stderr)")
        let pushed = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/mirror", "--key", packed.vendorPub, "--ca-file", caFile,
                                         "--progress", "plain"])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        // --progress plain: one numbered line per image on stderr (after the byte lines); the results stay on stdout.
        let count = PackedBundle.expectedRefs.count
        let lines = pushed.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(lines.count == count, "\(pushed.stderr)")
        #expect(lines.last?.hasPrefix("[\(count)/\(count)] pushed \(target.host)/mirror/") == true, "\(pushed.stderr)")
        #expect(!pushed.stdout.contains("[1/"))
        try expectSameDigests(packed, target: target, namespace: "mirror")
    }

    @Test func interruptedPushesResume() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start()
        defer { target.stop() }
        let arguments = ["push", packed.bundle, "--to", "\(target.host)/v", "--key", packed.vendorPub, "--concurrency", "1"]

        // Registry down: a clear failure, then the same command completes once it is back.
        try target.pause()
        let down = try AirlockCLI.run(arguments)
        #expect(down.status == 4)
        #expect(down.stderr.contains("cannot reach"))
        try target.resume()

        // Killed at ten points in a row (spread over a whole push), then re-run to completion.
        let delays = KillSchedule.delays(count: 10, upTo: 1.2, seed: 7)
        for delay in delays {
            _ = try run("sh", ["-c", "'\(AirlockCLI.path)' \(arguments.map { "'\($0)'" }.joined(separator: " ")) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true"])
            // At no point does a tag name an incomplete image.
            for repository in Self.repositories {
                for tag in try target.tags("v/\(repository)") {
                    let copy = try run("skopeo", ["copy", "--all", "--src-tls-verify=false", "docker://\(target.host)/v/\(repository):\(tag)", "dir:\(packed.path("check-\(UUID().uuidString.prefix(6))"))"])
                    #expect(copy.status == 0, "after a kill at \(delay) s, v/\(repository):\(tag) is tagged but incomplete: \(copy.stderr)")
                }
            }
        }
        let final = try AirlockCLI.run(arguments + ["--json"])
        #expect(final.status == 0, "\(final.stderr)")
        try expectSameDigests(packed, target: target, namespace: "v")
    }

    @Test func tamperedBundleLeavesNoTag() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start()
        defer { target.stop() }
        let seek = try run("python3", [TestPaths.script("tamper.py"), "seek", packed.bundle])
        let table = try #require(try JSONSerialization.jsonObject(with: Data(seek.stdout.utf8)) as? [String: Any])
        let frames = try #require(table["frames"] as? [[Int]])
        let entries = try #require(table["entries"] as? [[String: Any]])
        let dataOffset = try #require(table["dataOffset"] as? Int)
        // The largest blob is the shared base layer, late in the stream.
        let biggest = try #require(entries.max { ($0["size"] as? Int ?? 0) < ($1["size"] as? Int ?? 0) })
        let frame = try #require(biggest["frame"] as? Int)
        let offset = dataOffset + frames.prefix(frame).reduce(0) { $0 + $1[0] } + frames[frame][0] / 2
        let bad = packed.path("bad.tar.zst")
        _ = try run("python3", [TestPaths.script("tamper.py"), "flip", packed.bundle, bad, String(offset)])
        let result = try AirlockCLI.run(["push", bad, "--to", "\(target.host)/t", "--key", packed.vendorPub])
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        for repository in Self.repositories {
            #expect(try target.tags("t/\(repository)").isEmpty, "\(repository) has tags after a tampered push")
        }
        let unsigned = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/t", "--key", packed.securityPub])
        #expect(unsigned.status == 3)
        #expect(unsigned.stderr.contains("not signed by"))
    }

    @Test func pushFromStandardInputInOnePass() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start()
        defer { target.stop() }
        let pipe = { (bundle: String, arguments: String) throws -> ProcessResult in
            try run("sh", ["-c", "cat '\(bundle)' | '\(AirlockCLI.path)' push - --to \(target.host)/s --key '\(packed.vendorPub)' \(arguments)"])
        }
        let first = try pipe(packed.bundle, "--json")
        #expect(first.status == 0, "\(first.stderr)")
        try expectSameDigests(packed, target: target, namespace: "s")
        let again = try pipe(packed.bundle, "--json")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect(summary["bytesUploaded"] as? Int == 0)

        let bad = packed.path("bad-stdin.tar.zst")
        _ = try run("python3", [TestPaths.script("tamper.py"), "rewrite", packed.bundle, bad, "--edit", "blobs/sha256/" + (try packed.registry.skopeoDigest("acme/runtime:8.12.10")).dropFirst(7)])
        let other = try DevRegistry.start()
        defer { other.stop() }
        let refused = try run("sh", ["-c", "cat '\(bad)' | '\(AirlockCLI.path)' push - --to \(other.host)/s --key '\(packed.vendorPub)'"])
        #expect(refused.status == 3, "\(refused.stderr)")
        for repository in Self.repositories {
            #expect(try other.tags("s/\(repository)").isEmpty)
        }
    }

    /// One repository the account may not push to refuses the whole push before any write (the
    /// upload check of every repository comes first), as a failure document under --json.
    @Test func oneRefusedRepositoryRefusesThePushBeforeAnyWrite() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start(auth: .token, readOnly: "*/acme/agent")
        defer { target.stop() }
        let login = ["--username", target.username, "--password-stdin"]
        let input = Data((target.password + "\n").utf8)
        let refused = try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/v", "--key", packed.vendorPub, "--json"] + login, input: input)
        #expect(refused.status == 8, "\(refused.stdout) \(refused.stderr)")
        let failure = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any], "\(refused.stdout)")
        #expect((failure["error"] as? String)?.contains("\(target.host)/v/acme/agent denied the operation (403 Forbidden)") == true, "\(failure)")
        let committed = try target.committedFiles()
        #expect(committed.isEmpty, "written before the refusal: \(committed)")
    }

    @Test func unpackWritesAVerifiedLayoutAndNothingOutside() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let directory = packed.path("unpacked")
        let result = try run("sh", ["-c", "cat '\(packed.bundle)' | '\(AirlockCLI.path)' unpack - --to-dir '\(directory)' --key '\(packed.vendorPub)'"])
        #expect(result.status == 0, "\(result.stderr)")
        let raw = try run("sh", ["-c", "skopeo inspect --raw 'oci:\(directory):acme/runtime:8.12.10' | sha256sum"])
        #expect("sha256:" + raw.stdout.prefix(64) == (try packed.registry.skopeoDigest("acme/runtime:8.12.10")))
        let listed = try run("umoci", ["ls", "--layout", directory])
        #expect(listed.stdout.split(separator: "\n").map(String.init) == PackedBundle.expectedRefs)

        // A crafted bundle with escaping names and a link: refused, nothing outside DIR.
        let evil = packed.path("evil.tar.zst")
        let made = try run("python3", [TestPaths.script("tamper.py"), "rewrite", packed.bundle, evil,
                                       "--add", "../escaped.txt", "--add", "/tmp/airlock-absolute-\(getpid()).txt", "--symlink", "blobs/sha256/link"])
        #expect(made.status == 0, "\(made.stderr)")
        let target = packed.path("evil-out/layout")
        let refused = try AirlockCLI.run(["unpack", evil, "--to-dir", target, "--key", packed.vendorPub])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("unexpected entry"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: packed.path("evil-out/escaped.txt")))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/airlock-absolute-\(getpid()).txt"))
        // A failed unpack leaves DIR as it found it: here, not there at all.
        #expect(!FileManager.default.fileExists(atPath: target), "a failed unpack left \(target) behind")
        #expect(FileManager.default.fileExists(atPath: packed.path("evil-out")))

        let nonEmpty = try AirlockCLI.run(["unpack", packed.bundle, "--to-dir", directory, "--key", packed.vendorPub])
        #expect(nonEmpty.status == 2)
    }
}
