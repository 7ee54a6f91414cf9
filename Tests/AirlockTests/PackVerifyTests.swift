import Foundation
import Testing
import TestSupport

/// A seeded registry, two signing keys, and a bundle packed from the acceptance spec.
struct PackedBundle {
    let registry: DevRegistry
    let directory: URL
    let bundle: String
    let vendorKey: String, vendorPub: String
    let securityKey: String, securityPub: String

    static let expectedRefs = [
        "acme/agent:1.4.0", "acme/legacy:3.0", "acme/operator:2.10.2",
        "acme/runtime:7.23.6.0", "acme/runtime:7.23.6.3", "acme/runtime:8.12.0", "acme/runtime:8.12.1", "acme/runtime:8.12.10",
    ]

    static func make() throws -> PackedBundle {
        let registry = try DevRegistry.start(seed: ["runtime", "operator", "agent", "legacy"])
        let directory = try TestPaths.temporaryDirectory("pack")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        for (name, type) in [("vendor", "ecdsa-p256"), ("security", "ed25519")] {
            let result = try AirlockCLI.run(["keygen", "--out", path(name), "--type", type])
            guard result.status == 0 else { throw TestError("keygen: \(result.stderr)") }
        }
        try spec(registry.host).write(toFile: path("spec.yaml"), atomically: true, encoding: .utf8)
        let bundle = path("app.tar.zst")
        let packed = try AirlockCLI.run(["pack", path("spec.yaml"), "-o", bundle, "--key", path("vendor.key")], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        guard packed.status == 0 else { throw TestError("pack: \(packed.stderr)") }
        return PackedBundle(registry: registry, directory: directory, bundle: bundle,
                            vendorKey: path("vendor.key"), vendorPub: path("vendor.pub"),
                            securityKey: path("security.key"), securityPub: path("security.pub"))
    }

    static func spec(_ host: String) -> String {
        """
        name: acme-platform
        version: 2.10.2
        images:
          - ref: \(host)/acme/runtime
            tags: ["8.12.*", "7.23.6.*"]
          - ref: \(host)/acme/operator:2.10.2
          - ref: \(host)/acme/agent:1.4.0
          - ref: \(host)/acme/legacy:3.0
        """
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func verify(_ bundle: String, keys: [String]? = nil) throws -> ProcessResult {
        try run("timeout", ["120", AirlockCLI.path, "verify", bundle] + (keys ?? [vendorPub]).flatMap { ["--key", $0] })
    }
}

@Suite(.serialized)
struct PackVerifyTests {
    @Test func packInspectVerifyAndIndependentTools() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }

        let inspect = try AirlockCLI.run(["inspect", packed.bundle, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let images = try #require(report["images"] as? [[String: Any]])
        #expect(images.compactMap { $0["name"] as? String } == PackedBundle.expectedRefs)
        let operatorImage = try #require(images.first { $0["name"] as? String == "acme/operator:2.10.2" })
        #expect(Set(operatorImage["platforms"] as? [String] ?? []) == ["linux/amd64", "linux/arm64/v8"])

        let verified = try packed.verify(packed.bundle)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("8 images"))
        #expect(verified.stderr.isEmpty, "not a terminal: nothing but the result")
        let piped = try run("sh", ["-c", "cat '\(packed.bundle)' | '\(AirlockCLI.path)' verify - --key '\(packed.vendorPub)' --progress plain"])
        #expect(piped.status == 0, "\(piped.stderr)")
        // --progress plain: a line per tenth of the bytes with the rate, ending at 100%.
        let last = try #require(piped.stderr.split(separator: "\n").last, "\(piped.stderr)")
        #expect(last.hasPrefix("verify  ") && last.contains(" / ") && last.contains("  100%  ") && last.contains("/s"), "\(piped.stderr)")
        let quiet = try AirlockCLI.run(["verify", packed.bundle, "--key", packed.vendorPub, "--progress", "tty", "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "--quiet wins over --progress")

        // zstd -dc | tar -x gives an OCI layout whose blobs hash to their names.
        let layout = packed.path("layout")
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        let extracted = try run("sh", ["-c", "zstd -dc '\(packed.bundle)' | tar -x -C '\(layout)'"])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        let check = try run("sh", ["-c", "cd '\(layout)/blobs/sha256' && for f in *; do [ \"$(sha256sum \"$f\" | cut -c1-64)\" = \"$f\" ] || echo \"bad $f\"; done; ls | wc -l"])
        #expect(!check.stdout.contains("bad"))
        #expect(Int(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 20)

        // skopeo reads and copies every OCI-typed image with the source digest; umoci unpacks one.
        // Docker schema 2 images keep their Docker media types (digests must not change), and
        // skopeo 1.9's oci: transport only looks at OCI descriptors, so those are checked by hand.
        for reference in ["acme/agent:1.4.0", "acme/legacy:3.0"] {
            let index = try run("jq", ["-r", ".manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"] == \"\(reference)\") | .digest", "\(layout)/index.json"])
            let digest = index.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(digest == (try packed.registry.skopeoDigest(reference)), "\(reference)")
            #expect(FileManager.default.fileExists(atPath: "\(layout)/blobs/sha256/\(digest.dropFirst(7))"))
        }
        for reference in PackedBundle.expectedRefs where !reference.hasPrefix("acme/agent") && !reference.hasPrefix("acme/legacy") {
            let raw = try run("sh", ["-c", "skopeo inspect --raw 'oci:\(layout):\(reference)' | sha256sum"])
            #expect(raw.status == 0, "\(reference): \(raw.stderr)")
            let source = try packed.registry.skopeoDigest(reference)
            #expect("sha256:" + raw.stdout.prefix(64) == source, "\(reference)")
            let copy = try run("skopeo", ["copy", "--all", "--dest-tls-verify=false", "oci:\(layout):\(reference)", "docker://\(packed.registry.host)/copied/\(reference)"])
            #expect(copy.status == 0, "\(reference): \(copy.stderr)")
            #expect(try packed.registry.skopeoDigest("copied/\(reference)") == source)
        }
        let listed = try run("umoci", ["ls", "--layout", layout])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").map(String.init) == PackedBundle.expectedRefs)
        let unpacked = try run("umoci", ["unpack", "--rootless", "--image", "\(layout):acme/runtime:8.12.10", packed.path("rootfs-bundle")])
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        #expect(FileManager.default.fileExists(atPath: packed.path("rootfs-bundle/rootfs/etc")))
    }

    @Test func platformFilterMakesASmallerIndexThatStillCopies() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let output = packed.path("arm.tar.zst")
        let host = packed.registry.host
        let result = try AirlockCLI.run(["pack", "--image", "\(host)/acme/operator:2.10.2", "--image", "\(host)/acme/legacy:3.0",
                                         "--name", "arm", "--version", "1", "--platform", "linux/arm64,linux/arm/v7", "-o", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let images = try #require(report["images"] as? [[String: Any]])
        let operatorImage = try #require(images.first { ($0["name"] as? String) == "acme/operator:2.10.2" })
        #expect(operatorImage["platforms"] as? [String] == ["linux/arm64/v8"])
        #expect(operatorImage["sourceDigest"] as? String == (try packed.registry.skopeoDigest("acme/operator:2.10.2")))
        #expect(operatorImage["digest"] as? String != operatorImage["sourceDigest"] as? String)
        let verified = try AirlockCLI.run(["verify", output, "--key", packed.vendorPub])
        #expect(verified.status == 3, "unsigned bundle must not verify against a key")
        // The filtered index is a valid index that skopeo copies into a registry.
        let layout = packed.path("arm-layout")
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        _ = try run("sh", ["-c", "zstd -dc '\(output)' | tar -x -C '\(layout)'"])
        let copy = try run("skopeo", ["copy", "--all", "--dest-tls-verify=false", "oci:\(layout):acme/operator:2.10.2", "docker://\(host)/filtered/operator:2.10.2"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try packed.registry.skopeoDigest("filtered/operator:2.10.2") == operatorImage["digest"] as? String)

        let none = try AirlockCLI.run(["pack", "--image", "\(host)/acme/agent:1.4.0", "--name", "x", "--version", "1", "--platform", "linux/s390x", "-o", packed.path("none.tar.zst")])
        #expect(none.status == 7)
        #expect(none.stderr.contains("linux/s390x"))
        #expect(!FileManager.default.fileExists(atPath: packed.path("none.tar.zst")))
    }

    @Test func sameInputsGiveByteIdenticalBundles() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        var digests: [String] = []
        for (i, key) in [[], [], ["--key", packed.securityKey], ["--key", packed.securityKey]].enumerated() {
            let output = packed.path("det\(i).tar.zst")
            let result = try AirlockCLI.run(["pack", packed.path("spec.yaml"), "-o", output, "-q"] + key, environment: ["SOURCE_DATE_EPOCH": "1700000000"])
            #expect(result.status == 0, "\(result.stderr)")
            digests.append(String(try run("sha256sum", [output]).stdout.prefix(64)))
        }
        #expect(digests[0] == digests[1])
        #expect(digests[2] == digests[3])
        #expect(digests[0] != digests[2])
    }

    @Test func killedPacksLeaveNothingAtTheOutputName() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let directory = packed.path("out")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/killed.tar.zst"
        let arguments = ["pack", packed.path("spec.yaml"), "-o", output, "--key", packed.vendorKey, "--concurrency", "1"]
        let command = ([AirlockCLI.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        var killed = 0
        for delay in KillSchedule.delays(count: 8, upTo: 0.5, seed: 11) {
            let outcome = try run("sh", ["-c", "\(command) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; echo status=$?"])
            guard outcome.stdout.contains("status=137") else {
                try? FileManager.default.removeItem(atPath: output)  // it finished first: a complete bundle is fine
                continue
            }
            killed += 1
            // Nothing, or (killed between the rename and the exit, as on a loaded machine) a whole bundle.
            if FileManager.default.fileExists(atPath: output) {
                #expect(try packed.verify(output).status == 0, "a pack killed at \(delay) s left a partial file at the output name")
                try FileManager.default.removeItem(atPath: output)
            }
        }
        #expect(killed >= 4, "only \(killed) of 8 kills landed before pack finished")
        let finished = try AirlockCLI.run(arguments)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try packed.verify(output).status == 0)
        // The next run removed the work folders that killed runs left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0 != "killed.tar.zst" }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test func countersignInPlace() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let before = try Data(contentsOf: URL(fileURLWithPath: packed.bundle))
        let missing = try packed.verify(packed.bundle, keys: [packed.vendorPub, packed.securityPub])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("but not by \(packed.securityPub)"), "\(missing.stderr)")
        #expect(missing.stderr.contains("has not countersigned it yet"))

        let signed = try AirlockCLI.run(["sign", packed.bundle, "--key", packed.securityKey])
        #expect(signed.status == 0, "\(signed.stderr)")
        let after = try Data(contentsOf: URL(fileURLWithPath: packed.bundle))
        #expect(after.count == before.count)
        #expect(after.dropFirst(8 + 65536) == before.dropFirst(8 + 65536), "sign must not touch anything past the slot")
        let both = try packed.verify(packed.bundle, keys: [packed.vendorPub, packed.securityPub])
        #expect(both.status == 0, "\(both.stderr)")
        let extracted = try run("sh", ["-c", "zstd -dc '\(packed.bundle)' | tar -t | head -1"])
        #expect(extracted.stdout.hasPrefix("airlock-bundle.json"))

        // Time is proportional to the signature, not the bundle: a 1 GiB (sparse) tail is never read.
        let big = packed.path("big.tar.zst")
        try FileManager.default.copyItem(atPath: packed.bundle, toPath: big)
        try run("truncate", ["-s", "1G", big])
        // sign verifies first and refuses the damaged copy (its tail is 1 GiB of zeros), unchanged;
        // --no-verify signs it in place without reading past the slot.
        let refused = try AirlockCLI.run(["sign", big, "--key", packed.vendorKey])
        #expect(refused.status == 3, "\(refused.stderr)")
        let clock = ContinuousClock()
        let start = clock.now
        let bigSign = try AirlockCLI.run(["sign", big, "--key", packed.vendorKey, "--no-verify"])
        let elapsed = clock.now - start
        #expect(bigSign.status == 0, "\(bigSign.stderr)")
        #expect(elapsed < .seconds(5), "sign of a 1 GiB file took \(elapsed)")
    }

    @Test func opensslAloneChecksTheSignatures() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        _ = try AirlockCLI.run(["sign", packed.bundle, "--key", packed.securityKey])
        let work = packed.path("openssl")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // The recipe of format-spec/bundle-format.md, "Without airlock".
        let script = """
            set -e
            cd '\(work)'
            zstd -dc '\(packed.bundle)' | tar -xO airlock-bundle.json > airlock-bundle.json
            head -c 65544 '\(packed.bundle)' | tail -c 65536 | tr -d '\\000' > slot.json
            for pub in '\(packed.vendorPub)' '\(packed.securityPub)'; do
              id="sha256:$(openssl pkey -pubin -in "$pub" -outform DER | sha256sum | cut -c1-64)"
              jq -r --arg id "$id" '.signatures[] | select(.keyID == $id) | .signature' slot.json | base64 -d > sig.bin
              alg=$(jq -r --arg id "$id" '.signatures[] | select(.keyID == $id) | .algorithm' slot.json)
              if [ "$alg" = ed25519 ]; then
                openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in airlock-bundle.json -sigfile sig.bin
              else
                openssl dgst -sha256 -verify "$pub" -signature sig.bin airlock-bundle.json
              fi
            done
            """
        let good = try run("sh", ["-c", script])
        #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
        #expect(good.stdout.contains("Verified OK"))
        #expect(good.stdout.contains("Signature Verified Successfully"))
        // The same recipe fails on a changed manifest.
        let bad = try run("sh", ["-c", script.replacingOccurrences(of: "> airlock-bundle.json\n", with: "| sed 's/acme-platform/acme-platforn/' > airlock-bundle.json\n")])
        #expect(bad.status != 0)
    }

    @Test func everyKindOfDamageFailsVerification() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let tamper = TestPaths.script("tamper.py")
        let seek = try run("python3", [tamper, "seek", packed.bundle])
        let table = try #require(try JSONSerialization.jsonObject(with: Data(seek.stdout.utf8)) as? [String: Any])
        let frames = try #require(table["frames"] as? [[Int]])
        let entries = try #require(table["entries"] as? [[String: Any]])
        let dataOffset = try #require(table["dataOffset"] as? Int)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: packed.bundle)[.size] as? Int)
        func frameOffset(_ index: Int) -> Int { dataOffset + frames.prefix(index).reduce(0) { $0 + $1[0] } }
        let lastBlob = try #require(entries.last)
        let lastFrame = try #require(lastBlob["frame"] as? Int)
        let blobName = try #require(lastBlob["name"] as? String)

        var cases: [(String, [String], String)] = [
            ("blob-byte", ["flip", String(frameOffset(lastFrame) + frames[lastFrame][0] / 2)], ""),
            ("manifest-frame-byte", ["flip", String(dataOffset + frames[0][0] / 2)], ""),
            ("slot-byte", ["flip", "20"], ""),
            ("seek-table-byte", ["flip", String(size - 30)], "seek table"),
            ("truncated-half", ["truncate", String(size / 2)], "truncated"),
            ("truncated-no-seek-table", ["truncate", String(frameOffset(frames.count))], "seek table"),
            ("truncated-tiny", ["truncate", "100"], ""),
            ("empty", ["truncate", "0"], ""),
            ("manifest-edited", ["rewrite", "--edit", "airlock-bundle.json"], "modified after signing"),
            ("index-edited", ["rewrite", "--edit", "index.json"], "index.json"),
            ("blob-edited", ["rewrite", "--edit", blobName], "corrupt"),
            ("blob-removed", ["rewrite", "--drop", blobName], "lacks blob"),
            ("extra-entry", ["rewrite", "--add", "extra.txt"], "unexpected entry"),
            ("symlink-entry", ["rewrite", "--symlink", "blobs/sha256/" + String(repeating: "0", count: 64)], ""),
            ("duplicate-entry", ["rewrite", "--dup", blobName], "twice"),
        ]
        cases.append(("manifest-removed", ["rewrite", "--drop", "airlock-bundle.json"], "bundle manifest"))
        for (label, arguments, expected) in cases {
            let output = packed.path("bad-\(label).tar.zst")
            let made = try run("python3", [tamper, arguments[0], packed.bundle, output] + arguments.dropFirst())
            #expect(made.status == 0, "\(label): \(made.stderr)")
            let result = try packed.verify(output)
            #expect(result.status == 3 || (label == "empty" && result.status != 0), "\(label): status \(result.status) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(label): \(result.stderr)")
            #expect(result.stderr.hasPrefix("airlock: "), "\(label): \(result.stderr)")
            if !expected.isEmpty { #expect(result.stderr.contains(expected), "\(label): \(result.stderr)") }
        }

        let other = packed.path("other")
        _ = try AirlockCLI.run(["keygen", "--out", other])
        let wrongKey = try packed.verify(packed.bundle, keys: [other + ".pub"])
        #expect(wrongKey.status == 3)
        #expect(wrongKey.stderr.contains("not signed by"))

        let garbage = packed.path("random.bin")
        try run("sh", ["-c", "head -c 100000 /dev/urandom > '\(garbage)'"])
        let random = try packed.verify(garbage)
        #expect(random.status == 3, "\(random.stderr)")
        #expect(try packed.verify(packed.path("missing.tar.zst")).status == 6)
    }
}
