import Foundation
import Testing
import TestSupport

/// Split bundles (format-spec §13): parts that are plain byte ranges, read by every command,
/// named when missing or wrong; and the free-space checks of pack and unpack.
@Suite(.serialized)
struct SplitBundleTests {
    static let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]

    /// The seeded registry, an Ed25519 key, an unsplit pack `whole` and a pack split at 1 MiB
    /// `split` (parts `split.001`, …), both from the same spec and time.
    struct Packs {
        let registry: DevRegistry
        let directory: URL
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        var whole: String { path("whole.bundle") }
        var split: String { path("split.bundle") }
        var key: String { path("ed.key") }
        var pub: String { path("ed.pub") }
        var parts: [String] {
            (1...999).map { String(format: "%@.%03d", split, $0) }.prefix { FileManager.default.fileExists(atPath: $0) }
        }

        static func make(split size: String = "1M") throws -> Packs {
            let registry = try DevRegistry.start(seed: ["runtime", "operator", "agent", "legacy"])
            let packs = Packs(registry: registry, directory: try TestPaths.temporaryDirectory("split"))
            let keygen = try AirlockCLI.run(["keygen", "--out", packs.path("ed"), "--type", "ed25519"])
            guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
            try addLargeImage(to: registry, work: packs.path("big-layout"))
            try (PackedBundle.spec(registry.host) + "\n  - ref: \(registry.host)/acme/big:1.0.0\n")
                .write(toFile: packs.path("spec.yaml"), atomically: true, encoding: .utf8)
            for (output, extra) in [(packs.whole, [String]()), (packs.split, ["--split-size", size])] {
                let packed = try AirlockCLI.run(["pack", packs.path("spec.yaml"), "-o", output, "--key", packs.key] + extra, environment: epoch)
                guard packed.status == 0 else { throw TestError("pack: \(packed.stderr)") }
            }
            return packs
        }

        static let refs = PackedBundle.expectedRefs + ["acme/big:1.0.0"]

        /// acme/big:1.0.0, one 3 MiB layer of random bytes (built with umoci, copied with skopeo),
        /// so that the bundle spans several 1 MiB parts.
        static func addLargeImage(to registry: DevRegistry, work: String) throws {
            let script = """
                set -e
                mkdir -p "$1" && cd "$1"
                umoci init --layout big >/dev/null
                umoci new --image big:1 >/dev/null
                head -c 3145728 /dev/urandom > data
                umoci insert --rootless --image big:1 data /data >/dev/null
                skopeo copy -q --dest-tls-verify=false --dest-creds "$3" oci:big:1 "docker://$2/acme/big:1.0.0"
                """
            let made = try run("sh", ["-c", script, "sh", work, registry.host, "\(registry.username):\(registry.password)"])
            guard made.status == 0 else { throw TestError("large image: \(made.stderr)") }
        }

        /// A copy of the parts (and table) in a directory of their own, to damage.
        func copy(_ name: String) throws -> String {
            let directory = try TestPaths.temporaryDirectory(name)
            for file in parts + [split + ".parts"] {
                try FileManager.default.copyItem(atPath: file, toPath: directory.appendingPathComponent((file as NSString).lastPathComponent).path)
            }
            return directory.appendingPathComponent("split.bundle").path
        }
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func splitPackJoinsToTheUnsplitBytesAndEveryCommandReadsIt() throws {
        let packs = try Packs.make()
        defer { packs.registry.stop() }
        let parts = packs.parts
        #expect(parts.count >= 3, "the test needs a bundle of several MiB")
        for part in parts { #expect(try Self.bytes(part).count <= 1 << 20, "\(part)") }
        // cat split.0* equals the unsplit pack, signatures included.
        let whole = try Self.bytes(packs.whole)
        let joined = try run("sh", ["-c", "cat \"$0\".0* | sha256sum", packs.split])
        #expect(joined.stdout.hasPrefix(sha256Hex(Array(whole))))
        #expect(try run("sh", ["-c", "cat \"$0\".0* | \"$1\" verify - --key \"$2\"", packs.split, AirlockCLI.path, packs.pub]).status == 0)

        // The table is JSON that names the bundle, as python's own json and hashlib read it.
        let table = try run("python3", ["-c", """
            import hashlib, json, sys, jsonschema
            t = json.load(open(sys.argv[1] + '.parts'))
            jsonschema.validate(t, json.load(open(sys.argv[2])))
            assert t['mediaType'] == 'application/vnd.airlock.bundle.parts.v1+json'
            assert t['size'] == sum(p['size'] for p in t['parts'])
            for i, p in enumerate(t['parts']):
                b = open('%s.%03d' % (sys.argv[1], i + 1), 'rb').read()
                if i == 0: b = b[65544:]
                assert 'sha256:' + hashlib.sha256(b).hexdigest() == p['sha256'], i
                assert 'sha256:' + hashlib.sha256(b[:4096] + b[4096:][-4096:]).hexdigest() == p['sample'], i
            print(len(t['parts']))
            """, packs.split, TestPaths.repoRoot.appendingPathComponent("format-spec/parts-table.schema.json").path])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(parts.count)")

        // split and join agree with pack, byte for byte.
        let resplit = try AirlockCLI.run(["split", packs.whole, "--size", "1MiB", "-o", packs.path("again")])
        #expect(resplit.status == 0, "\(resplit.stderr)")
        for (index, part) in parts.enumerated() {
            #expect(try Self.bytes(String(format: "%@.%03d", packs.path("again"), index + 1)) == Self.bytes(part))
        }
        #expect(try Self.bytes(packs.path("again.parts")) == Self.bytes(packs.split + ".parts"))
        let join = try AirlockCLI.run(["join", parts[0], "-o", packs.path("joined"), "--key", packs.pub])
        #expect(join.status == 0, "\(join.stderr)")
        #expect(try Self.bytes(packs.path("joined")) == whole)

        // verify, inspect, push and unpack from split.001 (and from split.bundle, whose parts exist).
        for name in [parts[0], packs.split] {
            let verified = try AirlockCLI.run(["verify", name, "--key", packs.pub])
            #expect(verified.status == 0, "\(name): \(verified.stderr)")
            let inspected = try AirlockCLI.run(["inspect", name, "--key", packs.pub])
            #expect(inspected.status == 0, "\(name): \(inspected.stderr)")
            #expect(inspected.stdout.contains("acme/runtime"))
        }
        let target = try DevRegistry.start()
        defer { target.stop() }
        let pushed = try AirlockCLI.run(["push", parts[0], "--to", "\(target.host)/mirror", "--key", packs.pub])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        for reference in Packs.refs {
            #expect(try target.skopeoDigest("mirror/\(reference)") == packs.registry.skopeoDigest(reference), "\(reference)")
        }
        let fromParts = packs.path("layout-parts"), fromWhole = packs.path("layout-whole")
        #expect(try AirlockCLI.run(["unpack", parts[0], "--to-dir", fromParts, "--key", packs.pub]).status == 0)
        #expect(try AirlockCLI.run(["unpack", packs.whole, "--to-dir", fromWhole, "--key", packs.pub]).status == 0)
        #expect(try run("diff", ["-r", fromParts, fromWhole]).status == 0)
        // serve reads the parts in place: every image's digest, and the large layers' bytes (curl, sha256sum).
        let server = try ServeTests.Server([parts[0], "--key", packs.pub], log: packs.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        for reference in Packs.refs {
            let raw = try run("sh", ["-c", "skopeo inspect --raw --tls-verify=false \"docker://$0\" | sha256sum", "\(server.host)/\(reference)"])
            #expect("sha256:" + raw.stdout.prefix(64) == (try packs.registry.skopeoDigest(reference)), "\(reference) from serve")
        }
        let manifest = try ServeTests.curl(["-H", "Accept: application/vnd.oci.image.manifest.v1+json", "http://\(server.host)/v2/acme/big/manifests/1.0.0"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) as? [String: Any])
        let layers = try #require(document["layers"] as? [[String: Any]])
        #expect(!layers.isEmpty)
        for digest in layers.compactMap({ $0["digest"] as? String }) {
            let blob = try run("sh", ["-c", "curl -s --max-time 30 \"$0\" | sha256sum", "http://\(server.host)/v2/acme/big/blobs/\(digest)"])
            #expect("sha256:" + blob.stdout.prefix(64) == digest)
        }
        let diff = try AirlockCLI.run(["diff", parts[0], packs.whole])
        #expect(diff.status == 0, "\(diff.stdout) \(diff.stderr)")

        // sign rewrites only the slot in split.001; the table stays valid.
        let before = try parts.map(Self.bytes)
        let table0 = try Self.bytes(packs.split + ".parts")
        let keygen = try AirlockCLI.run(["keygen", "--out", packs.path("second"), "--type", "ecdsa-p256"])
        #expect(keygen.status == 0)
        let signed = try AirlockCLI.run(["sign", parts[0], "--key", packs.path("second.key")])
        #expect(signed.status == 0, "\(signed.stderr)")
        let after = try parts.map(Self.bytes)
        #expect(after[0] != before[0])
        #expect(after[0].dropFirst(65544) == before[0].dropFirst(65544), "only the slot changed in part 1")
        #expect(Array(after.dropFirst()) == Array(before.dropFirst()), "no other part changed")
        #expect(try Self.bytes(packs.split + ".parts") == table0)
        #expect(!FileManager.default.fileExists(atPath: packs.split + ".airlock-sign"))
        let both = try AirlockCLI.run(["verify", parts[0], "--key", packs.pub, "--key", packs.path("second.pub")])
        #expect(both.status == 0, "\(both.stderr)")
    }

    @Test func aMissingSwappedTruncatedOrForeignPartIsNamedAndNothingIsWritten() throws {
        let packs = try Packs.make()
        defer { packs.registry.stop() }
        // A part of another bundle: the same images, one platform, another version (the same images
        // and cuts under another version can give a part 2 byte for byte this bundle's: no foreign part).
        let other = packs.path("other.bundle")
        let otherPack = try AirlockCLI.run(["pack", packs.path("spec.yaml"), "-o", other, "--version", "9.9.9", "--platform", "linux/amd64", "--split-size", "1M", "--key", packs.key], environment: Self.epoch)
        #expect(otherPack.status == 0, "\(otherPack.stderr)")
        let ours = try Data(contentsOf: URL(fileURLWithPath: packs.path("split.bundle.002")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: other + ".002")) != ours, "the foreign part must differ from ours")
        let target = try DevRegistry.start()
        defer { target.stop() }

        let cases: [(name: String, damage: (String) throws -> Void, says: String)] = [
            ("missing", { try FileManager.default.removeItem(atPath: $0 + ".002") }, "split.bundle.002 is missing"),
            ("swapped", { bundle in
                try FileManager.default.moveItem(atPath: bundle + ".002", toPath: bundle + ".tmp")
                try FileManager.default.moveItem(atPath: bundle + ".003", toPath: bundle + ".002")
                try FileManager.default.moveItem(atPath: bundle + ".tmp", toPath: bundle + ".003")
            }, "split.bundle.002 is not part 2 of this bundle (it is a copy of part 3)"),
            ("truncated", { bundle in
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: bundle + ".002"))
                try handle.truncate(atOffset: 1000)
                try handle.close()
            }, "split.bundle.002 is truncated"),
            ("foreign", { bundle in
                try FileManager.default.removeItem(atPath: bundle + ".002")
                try FileManager.default.copyItem(atPath: other + ".002", toPath: bundle + ".002")
            }, "split.bundle.002 is not part 2 of this bundle"),
            ("duplicated", { bundle in
                try FileManager.default.removeItem(atPath: bundle + ".003")
                try FileManager.default.copyItem(atPath: bundle + ".002", toPath: bundle + ".003")
            }, "split.bundle.003 is not part 3 of this bundle (it is a copy of part 2)"),
        ]
        for (index, testCase) in cases.enumerated() {
            let bundle = try packs.copy("split-\(testCase.name)")
            try testCase.damage(bundle)
            let namespace = "case\(index)"
            for arguments in [["verify", bundle + ".001"], ["inspect", bundle + ".001"], ["push", bundle + ".001", "--to", "\(target.host)/\(namespace)"],
                              ["unpack", bundle, "--to-dir", bundle + "-dir"], ["join", bundle + ".001", "-o", bundle + "-joined"]] {
                let result = try AirlockCLI.run(arguments + ["--key", packs.pub])
                #expect(result.status == 3, "\(testCase.name) \(arguments[0]): \(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains(testCase.says), "\(testCase.name) \(arguments[0]): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "one sentence: \(result.stderr)")
            }
            for repository in Packs.refs.map({ String($0.split(separator: ":")[0]) }) {
                #expect(try target.tags("\(namespace)/\(repository)").isEmpty, "\(testCase.name): a tag was written")
            }
            #expect(!FileManager.default.fileExists(atPath: bundle + "-dir"), "\(testCase.name): unpack wrote")
            #expect(!FileManager.default.fileExists(atPath: bundle + "-joined"), "\(testCase.name): join wrote")
        }

        // A byte changed inside a part: sizes and fingerprints still match, the part's SHA-256 does
        // not; the part is named whether the part's end or a bad frame comes first.
        for offset: UInt64 in [300_000, 1_040_000] {
            let flipped = try packs.copy("split-flipped")
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: flipped + ".002"))
            try handle.seek(toOffset: offset)
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data([byte ^ 0xFF]))
            try handle.close()
            for arguments in [["verify", flipped + ".001"], ["push", flipped + ".001", "--to", "\(target.host)/flipped"]] {
                let result = try AirlockCLI.run(arguments + ["--key", packs.pub])
                #expect(result.status == 3, "\(offset) \(arguments[0]): \(result.stderr)")
                #expect(result.stderr.contains("split.bundle.002 is damaged"), "\(offset) \(arguments[0]): \(result.stderr)")
            }
        }

        // Without the table the parts are read in number order; a gap is still named.
        let untabled = try packs.copy("split-untabled")
        try FileManager.default.removeItem(atPath: untabled + ".parts")
        #expect(try AirlockCLI.run(["verify", untabled + ".001", "--key", packs.pub]).status == 0)
        try FileManager.default.removeItem(atPath: untabled + ".002")
        let gap = try AirlockCLI.run(["verify", untabled + ".001", "--key", packs.pub])
        #expect(gap.status == 3)
        #expect(gap.stderr.contains("split.bundle.002 is missing"), "\(gap.stderr)")
    }

    @Test func packAndUnpackRefuseAFileSystemTooSmallBeforeWriting() throws {
        let probe = try run("unshare", ["-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs \"$d\" && umount \"$d\""])
        try #require(probe.status == 0, "this test mounts a tmpfs in a user namespace (unshare -rm): \(probe.stderr)")
        let packs = try Packs.make()
        defer { packs.registry.stop() }
        let small = try TestPaths.temporaryDirectory("small-fs").path
        // "Before fetching": the large layer's GETs in the source registry's log, before and after.
        let layer = try run("sh", ["-c", "skopeo inspect --raw --tls-verify=false \"docker://$0/acme/big:1.0.0\" | jq -r '.layers[0].digest'", packs.registry.host])
        let layerDigest = layer.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let registryLog = packs.registry.stateDirectory + "/registry.log"
        func layerFetches() throws -> Int {
            try String(contentsOfFile: registryLog, encoding: .utf8).components(separatedBy: "blobs/\(layerDigest)").count - 1
        }
        let fetchedBefore = try layerFetches()
        #expect(fetchedBefore >= 2, "the two packs fetched the layer, and the log shows it")
        // In a private mount namespace: a 1 MiB tmpfs, then the pack and the unpack into it.
        let script = """
            mount -t tmpfs -o size=1m tmpfs "$1" || exit 99
            "$2" pack "$3" -o "$1/app.bundle" --key "$4"; echo "pack=$?"
            "$2" unpack "$5" --to-dir "$1/layout" --key "$6"; echo "unpack=$?"
            echo "left=$(ls -A "$1" | tr '\\n' ' ')"
            """
        let result = try run("unshare", ["-rm", "sh", "-c", script, "sh", small, AirlockCLI.path, packs.path("spec.yaml"), packs.key, packs.whole, packs.pub],
                             environment: ProcessInfo.processInfo.environment.merging(["DOCKER_CONFIG": small + "-docker"]) { $1 })
        #expect(result.stdout.contains("pack=6"), "\(result.stdout) \(result.stderr)")
        #expect(try layerFetches() == fetchedBefore, "the refused pack fetched no layer")
        #expect(result.stdout.contains("unpack=6"), "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("left=\n"), "nothing left behind: \(result.stdout)")
        let lines = result.stderr.split(separator: "\n")
        let refusal = try #require(lines.first { $0.contains("app.bundle") }, "\(result.stderr)")
        #expect(refusal.contains("not enough free space") && refusal.contains("nothing was fetched"), "\(refusal)")
        // Both numbers, in bytes: what the bundle needs and what the tmpfs has (1 MiB, less nothing).
        let numbers = refusal.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.filter { $0 > 100_000 }
        #expect(numbers.contains(1 << 20), "\(refusal)")
        let wholeSize = try Self.bytes(packs.whole).count
        #expect(numbers.contains { $0 > wholeSize }, "the estimate bounds the real size: \(refusal)")
        #expect(lines.contains { $0.contains("layout") && $0.contains("not enough free space") }, "\(result.stderr)")
    }

    @Test(arguments: [("1M", 1 << 20), ("1MiB", 1 << 20), ("64k", -1), ("65544", 65544), ("fat32", (4 << 30) - 1), ("2G", 2 << 30), ("x", -1), ("", -1)])
    func partSizes(_ text: String, _ bytes: Int) throws {
        let packs = try TestPaths.temporaryDirectory("sizes")
        let bundle = packs.appendingPathComponent("b").path
        FileManager.default.createFile(atPath: bundle, contents: Data("not a bundle".utf8))
        let result = try AirlockCLI.run(["split", bundle, "--size", text])
        if bytes < 0 {
            #expect(result.status == 2, "\(text): \(result.stderr)")
        } else {
            #expect(result.status == 3, "a valid size reaches the bundle check: \(text): \(result.stderr)")
        }
    }
}
