import Foundation
import Testing
import TestSupport

/// Issue 12's operations items, through the binary as a user runs it: two images on one name,
/// delta unpack, tags that move, crash-safe signing, interrupted pack and unpack, truncated
/// inspect, pattern terms that match nothing, push progress and inspect's listing.
@Suite(.serialized)
struct RobustnessTests {
    static func catalog(_ registry: DevRegistry) throws -> String {
        try run("curl", ["-sf", "\(registry.url)/v2/_catalog"]).stdout
    }

    // Item 5: two images on one target name are refused before anything is written.
    @Test func collidingTargetsAreRefusedBeforeAnyWrite() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let result = try AirlockCLI.run(["push", packed.bundle, "--to", "\(site.host)/vendor", "--key", packed.vendorPub,
                                         "--name-template", "all:{name}"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("two images would land on \(site.host)/vendor/all:runtime"), "\(result.stderr)")
        #expect(result.stderr.contains("/acme/runtime:7.23.6.0 and ") && result.stderr.contains("/acme/runtime:7.23.6.3;"), "\(result.stderr)")
        #expect(result.stderr.contains("--name-template"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let catalog = try Self.catalog(site)
        #expect(!catalog.contains("vendor"), "something was written: \(catalog)")
    }

    // Item 6: a delta unpacks only with its base, into a complete layout.
    @Test func deltaUnpacksOnlyWithItsBase() throws {
        let versions = try DiffDeltaTests.Versions.make()
        defer { versions.registry.stop() }
        let bare = versions.path("bare")
        let refused = try AirlockCLI.run(["unpack", versions.delta, "--to-dir", bare, "--key", versions.pub])
        #expect(refused.status == 7, "\(refused.stderr)")
        #expect(refused.stderr.contains("--base"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bare), "a refused unpack created its directory")

        let wrongBase = try AirlockCLI.run(["unpack", versions.delta, "--to-dir", bare, "--key", versions.pub, "--base", versions.v2])
        #expect(wrongBase.status == 3, "\(wrongBase.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bare))

        let layout = versions.path("layout")
        let done = try AirlockCLI.run(["unpack", versions.delta, "--to-dir", layout, "--key", versions.pub, "--base", versions.v1])
        #expect(done.status == 0, "\(done.stderr)")
        // Every blob every image needs is there: skopeo reads each image out of the layout.
        for tag in ["8.12.1", "8.12.10", "8.13.0"] {
            let copy = try run("skopeo", ["copy", "--all", "oci:\(layout):acme/runtime:\(tag)", "dir:\(versions.path("copy-\(tag)"))"])
            #expect(copy.status == 0, "\(tag): \(copy.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: layout + "/.airlock-unpack"))
    }

    // Item 7: a push that re-tags names with other images reports each tag it moves; diff --against
    // compares tags, not only blobs.
    @Test func pushReportsEveryTagItMovesAndDiffAgainstComparesTags() throws {
        let versions = try DiffDeltaTests.Versions.make()
        defer { versions.registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let target = "\(site.host)/vendor"
        let newer = try AirlockCLI.run(["push", versions.v2, "--to", target, "--key", versions.pub])
        #expect(newer.status == 0, "\(newer.stderr)")
        let current = try AirlockCLI.run(["diff", "--against", target, versions.v2])
        #expect(current.status == 0, "\(current.stdout)\(current.stderr)")
        #expect(current.stdout.contains("every tag (3) names the bundle's image"), "\(current.stdout)")

        // Move 8.12.10 to another image with a template that names it explicitly (another bundle name:
        // runtime 0 after runtime 2 would be a downgrade the ledger refuses).
        let single = versions.path("single.tar.zst")
        let packed = try AirlockCLI.run(["pack", "--image", "\(versions.registry.host)/acme/runtime:8.12.0", "--name", "runtime-hotfix", "--version", "0",
                                         "-o", single, "--key", versions.key])
        #expect(packed.status == 0, "\(packed.stderr)")
        let moving = try AirlockCLI.run(["push", single, "--to", target, "--key", versions.pub, "--name-template", "acme/runtime:8.12.10"])
        #expect(moving.status == 0, "\(moving.stderr)")
        #expect(moving.stdout.contains("moved \(target)/acme/runtime:8.12.10: sha256:"), "\(moving.stdout)")
        let json = try AirlockCLI.run(["push", single, "--to", target, "--key", versions.pub, "--name-template", "acme/runtime:8.12.1", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let moves = try #require(report["tagsMoved"] as? [[String: Any]])
        #expect(moves.count == 1)
        #expect(moves.first?["target"] as? String == "\(target)/acme/runtime:8.12.1")
        #expect(moves.first?["oldDigest"] as? String != moves.first?["newDigest"] as? String)

        // The registry holds every blob of v2, but two of its tags now name other images.
        let behind = try AirlockCLI.run(["diff", "--against", target, versions.v2, "--json"])
        #expect(behind.status == 1, "\(behind.stdout)\(behind.stderr)")
        let diff = try #require(try JSONSerialization.jsonObject(with: Data(behind.stdout.utf8)) as? [String: Any])
        #expect((diff["missing"] as? [Any])?.isEmpty == true)
        let tags = try #require(diff["tags"] as? [String: Any])
        #expect((tags["moved"] as? [[String: Any]])?.compactMap { $0["target"] as? String }.sorted()
                == ["\(target)/acme/runtime:8.12.1", "\(target)/acme/runtime:8.12.10"])
    }

    // Item 8: a signing torn half-way is finished by the next sign, and readers say what happened.
    @Test func tornSignatureSlotIsRepairedFromTheJournal() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let bundle = packed.bundle
        let original = try Data(contentsOf: URL(fileURLWithPath: bundle))
        // What a crash half-way through `sign --key security.key` leaves: the journal, and half a new slot.
        let signedCopy = packed.path("signed.tar.zst")
        try FileManager.default.copyItem(atPath: bundle, toPath: signedCopy)
        #expect(try AirlockCLI.run(["sign", signedCopy, "--key", packed.securityKey]).status == 0)
        let newSlot = try Data(contentsOf: URL(fileURLWithPath: signedCopy)).prefix(8 + 65536)
        #expect(!FileManager.default.fileExists(atPath: signedCopy + ".airlock-sign"), "a finished sign left its journal")
        let fingerprintSpan = original.dropFirst(8 + 65536).prefix(65536)
        var size = UInt64(original.count).littleEndian
        let journal = newSlot + Data(sha256Hex(Array(fingerprintSpan)).utf8) + withUnsafeBytes(of: &size) { Data($0) }
        try journal.write(to: URL(fileURLWithPath: bundle + ".airlock-sign"))
        // Torn a little past the first byte where the new slot differs from the old one.
        let differs = try #require(zip(newSlot, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset)
        var torn = original
        torn.replaceSubrange(0..<(differs + 16), with: newSlot.prefix(differs + 16))
        try torn.write(to: URL(fileURLWithPath: bundle))

        let reader = try packed.verify(bundle)
        #expect(reader.status == 3)
        #expect(reader.stderr.contains("interrupted airlock sign"), "\(reader.stderr)")
        let again = try AirlockCLI.run(["sign", bundle, "--key", packed.securityKey])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bundle + ".airlock-sign"))
        #expect(try packed.verify(bundle, keys: [packed.vendorPub, packed.securityPub]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: bundle)).dropFirst(8 + 65536) == original.dropFirst(8 + 65536))

        // A journal that belongs to another file is never applied.
        try journal.write(to: URL(fileURLWithPath: packed.path("other.airlock-sign")))
        try FileManager.default.copyItem(atPath: bundle, toPath: packed.path("other"))
        try run("truncate", ["-s", "+512", packed.path("other")])
        _ = try AirlockCLI.run(["sign", packed.path("other"), "--key", packed.vendorKey])
        #expect(!FileManager.default.fileExists(atPath: packed.path("other.airlock-sign")))

        // Killed at any moment, a signing leaves a bundle that the next sign makes whole.
        var landed = 0
        for delay in KillSchedule.delays(count: 12, upTo: 0.05, seed: 5) {
            let copy = packed.path("kill-\(delay).tar.zst")
            try original.write(to: URL(fileURLWithPath: copy))
            let command = "'\(AirlockCLI.path)' sign '\(copy)' --key '\(packed.securityKey)'"
            let outcome = try run("sh", ["-c", "\(command) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid; echo status=$?"])
            if outcome.stdout.contains("status=137") { landed += 1 }
            let finish = try AirlockCLI.run(["sign", copy, "--key", packed.securityKey])
            #expect(finish.status == 0, "after a kill at \(delay) s: \(finish.stderr)")
            #expect(try packed.verify(copy, keys: [packed.vendorPub, packed.securityPub]).status == 0, "after a kill at \(delay) s")
        }
        _ = landed
    }

    // Item 9: an interrupted pack keeps what it fetched, and the re-run reuses it; an interrupted
    // unpack is carried on by its re-run.
    @Test func interruptedPackAndUnpackCarryOn() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let output = packed.path("resumed.tar.zst")
        let arguments = ["pack", packed.path("spec.yaml"), "-o", output, "--key", packed.vendorKey, "--concurrency", "1", "-v"]
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        // Interrupted once a few blobs are fetched (its -v log names each fetch).
        let command = ([AirlockCLI.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let log = packed.path("pack.log")
        var interrupted: ProcessResult?
        for _ in 0..<5 {
            let script = """
                SOURCE_DATE_EPOCH=1700000000 \(command) 2>'\(log)' & pid=$!
                n=0; while [ "$(grep -c fetching '\(log)')" -lt 3 ] && [ $n -lt 2000 ] && kill -0 $pid 2>/dev/null; do sleep 0.005; n=$((n + 1)); done
                kill -INT $pid; wait $pid; echo status=$?; grep -v ' info ' '\(log)' || true
                """
            let outcome = try run("sh", ["-c", script])
            if outcome.stdout.contains("status=130") {
                interrupted = outcome
                break
            }
            try? FileManager.default.removeItem(atPath: output)
        }
        let stopped = try #require(interrupted, "no interrupt landed before pack finished")
        #expect(stopped.stdout.contains("airlock: interrupted; "), "\(stopped.stdout)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let resumed = try AirlockCLI.run(arguments, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let fetched = resumed.stderr.split(separator: "\n").filter { $0.contains("fetching ") }.count
        let fresh = try AirlockCLI.run(["pack", packed.path("spec.yaml"), "-o", packed.path("fresh.tar.zst"), "--key", packed.vendorKey, "-v"],
                                       environment: environment)
        let fetchedFresh = fresh.stderr.split(separator: "\n").filter { $0.contains("fetching ") }.count
        #expect(stopped.stdout.contains("already fetched are kept in"), "\(stopped.stdout)")
        #expect(fetched < fetchedFresh, "the re-run fetched \(fetched) blobs, a fresh pack \(fetchedFresh)")
        #expect(try packed.verify(output).status == 0)
        // Same images, same time: the resumed bundle is the fresh one, byte for byte (past the ECDSA slot).
        let a = try Data(contentsOf: URL(fileURLWithPath: output)), b = try Data(contentsOf: URL(fileURLWithPath: packed.path("fresh.tar.zst")))
        #expect(a.dropFirst(8 + 65536) == b.dropFirst(8 + 65536))
        #expect(!FileManager.default.fileExists(atPath: BundleWork.directory(output)))

        // Unpack: an interrupted run leaves DIR with its marker; the same command carries on.
        let layout = packed.path("layout")
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        try "sha256:\(String(repeating: "0", count: 64))\n".write(toFile: layout + "/.airlock-unpack", atomically: true, encoding: .utf8)
        let other = try AirlockCLI.run(["unpack", packed.bundle, "--to-dir", layout, "--key", packed.vendorPub])
        #expect(other.status == 2, "\(other.stderr)")
        #expect(other.stderr.contains("interrupted unpack of another bundle"), "\(other.stderr)")
        #expect(FileManager.default.fileExists(atPath: layout + "/.airlock-unpack"), "the refusal removed another unpack's work")
        try FileManager.default.removeItem(atPath: layout)
        // Half the bundle arrives, then the pipe stalls: the unpack has begun writing when Ctrl-C comes.
        let half = try #require(try FileManager.default.attributesOfItem(atPath: packed.bundle)[.size] as? Int) / 2
        let stalled = """
            (head -c \(half) '\(packed.bundle)'; sleep 5) | '\(AirlockCLI.path)' unpack - --to-dir '\(layout)' --key '\(packed.vendorPub)' >/dev/null 2>&1 & pid=$!
            n=0; while [ ! -e '\(layout)/.airlock-unpack' ] && [ $n -lt 2000 ]; do sleep 0.005; n=$((n + 1)); done
            sleep 0.3; kill -INT $pid; wait $pid; echo status=$?
            """
        let outcome = try run("sh", ["-c", stalled])
        #expect(outcome.stdout.contains("status=130"), "\(outcome.stdout)")
        #expect(FileManager.default.fileExists(atPath: layout + "/.airlock-unpack"), "the interrupted unpack left no marker")
        let carried = try AirlockCLI.run(["unpack", packed.bundle, "--to-dir", layout, "--key", packed.vendorPub])
        #expect(carried.status == 0, "\(carried.stderr)")
        let copy = try run("skopeo", ["copy", "--all", "oci:\(layout):acme/runtime:8.12.10", "dir:\(packed.path("copied"))"])
        #expect(copy.status == 0, "\(copy.stderr)")
        let finished = try AirlockCLI.run(["unpack", packed.bundle, "--to-dir", layout, "--key", packed.vendorPub])
        #expect(finished.status == 2, "a finished layout must not be unpacked over")
    }

    // Item 11: inspect refuses what is not a whole bundle.
    @Test func inspectRefusesTruncatedAndSplitBundles() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: packed.bundle)[.size] as? Int)
        let cut = packed.path("cut.tar.zst")
        try FileManager.default.copyItem(atPath: packed.bundle, toPath: cut)
        try run("truncate", ["-s", "\(size - 1000)", cut])
        let truncated = try AirlockCLI.run(["inspect", cut, "--key", packed.vendorPub])
        #expect(truncated.status == 3, "\(truncated.stdout)")
        #expect(truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        #expect(!truncated.stdout.contains("verified with"))

        _ = try run("split", ["-b", "\(size / 3)", packed.bundle, packed.path("piece.")])
        let piece = try AirlockCLI.run(["inspect", packed.path("piece.aa")])
        #expect(piece.status == 3, "\(piece.stdout)")
        #expect(piece.stderr.contains("truncated"), "\(piece.stderr)")

        let whole = try AirlockCLI.run(["inspect", packed.bundle, "--key", packed.vendorPub])
        #expect(whole.status == 0, "\(whole.stderr)")
    }

    // Item 22: images grouped by repository, newest first, with a filter.
    @Test func inspectGroupsByRepositoryInVersionOrder() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let listing = try AirlockCLI.run(["inspect", packed.bundle])
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        let runtime = try #require(lines.firstIndex { $0.hasPrefix("acme/runtime (5 images)") }, "\(listing.stdout)")
        let tags = lines[(runtime + 1)...(runtime + 5)].map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(tags == [":8.12.10", ":8.12.1", ":8.12.0", ":7.23.6.3", ":7.23.6.0"], "\(listing.stdout)")
        #expect(lines.contains { $0.hasPrefix("acme/agent (1 image)") })

        let filtered = try AirlockCLI.run(["inspect", packed.bundle, "--image", "acme/runtime:8.12.*", "--json"])
        #expect(filtered.status == 0, "\(filtered.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(filtered.stdout.utf8)) as? [String: Any])
        let names = (report["images"] as? [[String: Any]])?.compactMap { ($0["refName"] ?? $0["name"]) as? String }
        #expect(names == ["acme/runtime:8.12.0", "acme/runtime:8.12.1", "acme/runtime:8.12.10"])  // the bundle's order
    }

    // Item 15: a pattern term that matches nothing is named, and --strict refuses it.
    @Test func unmatchedPatternTermsAreNamed() throws {
        let registry = try DevRegistry.start(seed: ["runtime"])
        defer { registry.stop() }
        let pattern = "\(registry.host)/acme/runtime:8.12.*, 9.*"
        let warned = try AirlockCLI.run(["tags", pattern])
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("\(registry.host)/acme/runtime:9.* matches no tag"), "\(warned.stderr)")
        let json = try AirlockCLI.run(["tags", pattern, "--json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(parsed.first?["unmatched"] as? [String] == ["\(registry.host)/acme/runtime:9.*"])
        let strict = try AirlockCLI.run(["tags", pattern, "--strict"])
        #expect(strict.status == 7, "\(strict.stderr)")
        #expect(strict.stderr.contains("9.*"))

        let directory = try TestPaths.temporaryDirectory("unmatched")
        let packed = try AirlockCLI.run(["pack", "--image", pattern, "--name", "n", "--version", "1", "-o", directory.appendingPathComponent("b").path, "--json"])
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(packed.stderr.contains("9.* matches no tag"))
        let result = try #require(try JSONSerialization.jsonObject(with: Data(packed.stdout.utf8)) as? [String: Any])
        #expect(result["unmatched"] as? [String] == ["\(registry.host)/acme/runtime:9.*"])
        let strictPack = try AirlockCLI.run(["pack", "--image", pattern, "--name", "n", "--version", "1", "-o", directory.appendingPathComponent("c").path, "--strict"])
        #expect(strictPack.status == 7)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("c").path))
    }

    // Item 21 and round 3's item 15: plain progress reports bytes, rate and ETA as they go, in every
    // phase (pack's write phase too); -q leaves only failures and the summary.
    @Test func plainProgressAndQuiet() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let plain = try AirlockCLI.run(["push", packed.bundle, "--to", "\(site.host)/a", "--key", packed.vendorPub, "--progress", "plain"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let lines = plain.stderr.split(separator: "\n")
        // Bytes as they go (a tenth at a time; a large blob may cross several at once), then the images.
        let bytes = lines.firstIndex { $0.hasPrefix("push  ") && $0.contains("  100%  ") && $0.contains("/s") }
        #expect(lines.contains { $0.hasPrefix("push  ") && $0.contains("ETA ") }, "\(plain.stderr)")
        let images = lines.firstIndex { $0.hasPrefix("[1/8] pushed") }
        #expect((bytes ?? .max) < (images ?? .min), "\(plain.stderr)")
        #expect(lines.contains { $0.hasPrefix("[8/8] pushed") }, "\(plain.stderr)")
        let quiet = try AirlockCLI.run(["push", packed.bundle, "--to", "\(site.host)/b", "--key", packed.vendorPub, "-q"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.split(separator: "\n").count == 1, "\(quiet.stdout)")
        #expect(quiet.stdout.hasPrefix("8 of 8 images pushed"))
        #expect(quiet.stderr.isEmpty)

        let repacked = try AirlockCLI.run(["pack", packed.path("spec.yaml"), "-o", packed.path("again.tar.zst"), "--progress", "plain"])
        #expect(repacked.status == 0, "\(repacked.stderr)")
        let packLines = repacked.stderr.split(separator: "\n")
        for phase in ["fetch", "write"] {
            #expect(packLines.contains { $0.hasPrefix("\(phase)  ") && $0.contains("  100%  ") && $0.contains("/s") }, "\(phase): \(repacked.stderr)")
        }
        #expect(packLines.contains { $0.hasPrefix("[8/8] fetched") }, "\(repacked.stderr)")
    }
}

/// Where pack keeps its work for a re-run (the convention BundleWriter documents).
enum BundleWork {
    static func directory(_ output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(".airlock-pack.\(url.lastPathComponent)").path
    }
}
