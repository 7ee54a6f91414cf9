import Foundation
import Testing
import TestSupport

/// Issue 23: each safety decision made once, and so the same from every command and from a file
/// or standard input: bundle order (downgrades, prune), delta bases (verify, unpack), and the push
/// plan (every refusal before the first write, a mount included). Through the binary, against
/// real registries; what the registry holds is read with curl and skopeo, whose failures fail the test.
@Suite(.serialized)
struct OneRuleTests {
    struct Vendor {
        let source: DevRegistry
        let directory: URL
        let key: String
        let pub: String

        static func make() throws -> Vendor {
            let source = try DevRegistry.start(seed: ["runtime", "operator", "agent"])
            let directory = try TestPaths.temporaryDirectory("one-rule")
            let keygen = try AirlockCLI.run(["keygen", "--out", directory.appendingPathComponent("vendor").path])
            guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
            return Vendor(source: source, directory: directory, key: directory.appendingPathComponent("vendor.key").path,
                          pub: directory.appendingPathComponent("vendor.pub").path)
        }

        func bundle(_ version: String) -> String { directory.appendingPathComponent("acme-\(version).tar.zst").path }

        /// Packs `images` as acme-platform VERSION, created at `epoch` (SOURCE_DATE_EPOCH).
        @discardableResult
        func pack(_ version: String, _ images: [String], epoch: Int, base: String? = nil, _ extra: [String] = []) throws -> ProcessResult {
            let result = try AirlockCLI.run(["pack", "--name", "acme-platform", "--version", version, "-o", bundle(version), "--key", key]
                                            + images.flatMap { ["--image", "\(source.host)/\($0)"] } + (base.map { ["--base", bundle($0)] } ?? []) + extra,
                                            environment: ["SOURCE_DATE_EPOCH": String(epoch)])
            guard result.status == 0 else { throw TestError("pack \(version): \(result.stderr)") }
            return result
        }

        /// Pushes from the file, or through standard input.
        func push(_ version: String, to target: String, stdin: Bool, _ extra: [String] = []) throws -> ProcessResult {
            if stdin {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle(version)))
                return try AirlockCLI.run(["push", "-", "--to", target, "--key", pub] + extra, input: bytes)
            }
            return try AirlockCLI.run(["push", bundle(version), "--to", target, "--key", pub] + extra)
        }
    }

    /// A vendor (with its source registry) and a site registry whose `vendor` namespace is the target.
    struct Scene {
        let vendor: Vendor
        let site: DevRegistry
        var target: String { "\(site.host)/vendor" }

        static func make() throws -> Scene {
            let vendor = try Vendor.make()
            do {
                return Scene(vendor: vendor, site: try DevRegistry.start())
            } catch {
                vendor.source.stop()
                throw error
            }
        }

        func stop() {
            site.stop()
            vendor.source.stop()
        }
    }

    /// `_catalog` of a registry; a failing curl fails the test.
    static func catalog(_ registry: DevRegistry) throws -> [String] {
        let result = try run("curl", ["-sf", "\(registry.url)/v2/_catalog"])
        guard result.status == 0 else { throw TestError("curl _catalog: exit \(result.status)") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["repositories"] as? [String]).sorted()
    }

    /// Tags of a repository; a failing skopeo fails the test.
    static func tags(_ registry: DevRegistry, _ repository: String) throws -> [String] {
        let result = try run("skopeo", ["list-tags", "--tls-verify=false", "docker://\(registry.host)/\(repository)"])
        guard result.status == 0 else { throw TestError("skopeo list-tags \(repository): \(result.stderr)") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["Tags"] as? [String]).sorted()
    }

    /// The HTTP status of a HEAD on a blob.
    static func blobStatus(_ registry: DevRegistry, _ repository: String, _ digest: String) throws -> String {
        let result = try run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I", "\(registry.url)/v2/\(repository)/blobs/\(digest)"])
        guard result.status == 0, result.stdout.count == 3 else { throw TestError("curl HEAD blob: exit \(result.status)") }
        return result.stdout
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The ledger's versions as status lists them (newest bundle first).
    static func statusVersions(_ target: String) throws -> [String] {
        let status = try AirlockCLI.run(["status", "--at", target, "--json"])
        guard status.status == 0 else { throw TestError("status: \(status.stderr)") }
        return try #require(try json(status.stdout)["bundles"] as? [[String: Any]]).compactMap { $0["version"] as? String }
    }

    /// (first pushed, then pushed, its epoch offset): each second push is an upgrade by the rule,
    /// and pushing the first again afterwards is a downgrade (exit 8, nothing written).
    @Test(arguments: [("r17", "r18", 100), ("d1", "d2", 100), ("v1", "r17", 100), ("2024.06", "2024.06-hotfix1", -100),
                      ("1.0.0", "1.0.0-p1", -100)], [false, true])
    func upgradesByTheOneRule(versions: (String, String, Int), stdin: Bool) throws {
        let (first, second, offset) = versions
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, site, target) = (scene.vendor, scene.site, scene.target)
        let epoch = 1_767_000_000
        try vendor.pack(first, ["acme/agent:1.4.0"], epoch: epoch)
        // The second is created later where the rule falls to creation time, earlier otherwise
        // (so only the version rule can put it first).
        try vendor.pack(second, ["acme/operator:2.10.2", "acme/agent:1.4.0"], epoch: epoch + offset)

        let pushed = try vendor.push(first, to: target, stdin: stdin)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let upgrade = try vendor.push(second, to: target, stdin: stdin)
        #expect(upgrade.status == 0, "\(first) → \(second): \(upgrade.stderr)")
        #expect(try Self.statusVersions(target) == [second, first])

        let before = try Self.tags(site, "vendor/airlock-ledger")
        let catalog = try Self.catalog(site)
        let downgrade = try vendor.push(first, to: target, stdin: stdin)
        #expect(downgrade.status == 8, "\(second) → \(first): \(downgrade.stderr)")
        #expect(downgrade.stderr.contains("would downgrade it. Nothing was written"), "\(downgrade.stderr)")
        #expect(try Self.tags(site, "vendor/airlock-ledger") == before)
        #expect(try Self.catalog(site) == catalog)
    }

    /// A delta built on v1 is newer than v1 even though its name is no version and it was made earlier.
    @Test(arguments: [false, true])
    func aDeltaIsNewerThanItsBase(stdin: Bool) throws {
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, target) = (scene.vendor, scene.target)
        try vendor.pack("v1", ["acme/agent:1.4.0"], epoch: 1_767_000_000)
        try vendor.pack("d2", ["acme/operator:2.10.2", "acme/agent:1.4.0"], epoch: 1_766_000_000, base: "v1")
        #expect(try vendor.push("v1", to: target, stdin: stdin).status == 0)
        let delta = try vendor.push("d2", to: target, stdin: stdin)
        #expect(delta.status == 0, "\(delta.stderr)")
        #expect(try Self.statusVersions(target) == ["d2", "v1"])
        let back = try vendor.push("v1", to: target, stdin: stdin)
        #expect(back.status == 8, "\(back.stderr)")
    }

    /// Two different bundles at one version: refused as a conflict naming both manifests.
    @Test func theSameVersionWithAnotherManifestIsAConflict() throws {
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, site, target) = (scene.vendor, scene.site, scene.target)
        try vendor.pack("2.0", ["acme/agent:1.4.0"], epoch: 1_767_000_000)
        #expect(try vendor.push("2.0", to: target, stdin: false).status == 0)
        let first = try #require(try Self.json(try AirlockCLI.run(["inspect", vendor.bundle("2.0"), "--json"]).stdout)["manifestDigest"] as? String)
        // pack never replaces a bundle without --force (it may carry countersignatures).
        let before = try Data(contentsOf: URL(fileURLWithPath: vendor.bundle("2.0")))
        #expect(throws: TestError.self) { try vendor.pack("2.0", ["acme/operator:2.10.2"], epoch: 1_767_000_100) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: vendor.bundle("2.0"))) == before)
        try vendor.pack("2.0", ["acme/operator:2.10.2"], epoch: 1_767_000_100, ["--force"])
        let second = try #require(try Self.json(try AirlockCLI.run(["inspect", vendor.bundle("2.0"), "--json"]).stdout)["manifestDigest"] as? String)
        #expect(first != second)
        let catalog = try Self.catalog(site)
        for (stdin, extra) in [(true, [String]()), (false, []), (false, ["--allow-downgrade"])] {
            let conflict = try vendor.push("2.0", to: target, stdin: stdin, extra)
            #expect(conflict.status == 8, "\(extra): \(conflict.stderr)")
            #expect(conflict.stderr.contains(first) && conflict.stderr.contains(second) && conflict.stderr.contains("--allow-replace"), "\(conflict.stderr)")
            #expect(try Self.catalog(site) == catalog)
        }
        let replaced = try vendor.push("2.0", to: target, stdin: false, ["--allow-replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try Self.tags(site, "vendor/acme/operator") == ["2.10.2"])
        let status = try Self.json(try AirlockCLI.run(["status", "--at", target, "--json"]).stdout)
        let bundles = try #require(status["bundles"] as? [[String: Any]])
        #expect(bundles.count == 1 && "\(bundles)".contains(String(second.dropFirst(7))), "\(bundles)")
    }

    /// A delta that keeps its base's version would replace the base's ledger record although the
    /// order puts it above its base: refused as a replacement all the same (one definition of the
    /// record a push replaces: `Ledger.replaced`), while `2.0.0` beside `2.0` is a conflict of order.
    @Test func aDeltaUnderItsBasesVersionIsAReplacement() throws {
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, site, target) = (scene.vendor, scene.site, scene.target)
        try vendor.pack("2.0", ["acme/agent:1.4.0"], epoch: 1_767_000_000)
        #expect(try vendor.push("2.0", to: target, stdin: false).status == 0)
        try FileManager.default.moveItem(atPath: vendor.bundle("2.0"), toPath: vendor.bundle("2.0-base"))
        try vendor.pack("2.0", ["acme/operator:2.10.2", "acme/agent:1.4.0"], epoch: 1_767_000_100, base: "2.0-base")
        let catalog = try Self.catalog(site)
        let ledger = try Self.tags(site, "vendor/airlock-ledger")
        for stdin in [false, true] {
            let delta = try vendor.push("2.0", to: target, stdin: stdin)
            #expect(delta.status == 8, "\(delta.stderr)")
            #expect(delta.stderr.contains("--allow-replace") && delta.stderr.contains("Nothing was written"), "\(delta.stderr)")
            #expect(try Self.catalog(site) == catalog)
            #expect(try Self.tags(site, "vendor/airlock-ledger") == ledger)
        }
        try vendor.pack("2.0.0", ["acme/operator:2.10.2"], epoch: 1_767_000_200)
        let twin = try vendor.push("2.0.0", to: target, stdin: false)
        #expect(twin.status == 8, "\(twin.stderr)")
        #expect(twin.stderr.contains("cannot be ordered against (the same version, different manifests)") && twin.stderr.contains("--allow-downgrade"), "\(twin.stderr)")
        #expect(try Self.catalog(site) == catalog)
        let replaced = try vendor.push("2.0", to: target, stdin: false, ["--allow-replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try Self.statusVersions(target) == ["2.0"])
    }

    /// prune --keep-last 1 keeps the newest bundle by the rule (r18 after r17), and its images.
    @Test func pruneKeepsTheNewestByTheRule() throws {
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, site, target) = (scene.vendor, scene.site, scene.target)
        try vendor.pack("r17", ["acme/operator:2.10.1"], epoch: 1_767_000_000)
        try vendor.pack("r18", ["acme/operator:2.10.2"], epoch: 1_767_000_100)
        #expect(try vendor.push("r17", to: target, stdin: false).status == 0)
        #expect(try vendor.push("r18", to: target, stdin: false).status == 0)
        let prune = try AirlockCLI.run(["prune", "--at", target, "--keep-last", "1", "--yes"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(try Self.statusVersions(target) == ["r18"])
        #expect(try Self.tags(site, "vendor/acme/operator") == ["2.10.2"])
    }

    /// A delta of a delta: B (on A) stores only what A lacks, C (on B) leaves out what either holds.
    /// verify and unpack give the same verdict on `--base B` alone, from a file and from stdin, and
    /// both succeed with `--base B --base A`.
    @Test func aDeltaOfADeltaNeedsTheWholeChain() throws {
        let vendor = try Vendor.make()
        defer { vendor.source.stop() }
        try vendor.pack("A", ["acme/agent:1.4.0", "acme/runtime:8.12.0"], epoch: 1_767_000_000)
        try vendor.pack("B", ["acme/agent:1.4.0", "acme/runtime:8.12.1"], epoch: 1_767_000_100, base: "A")
        let packC = try vendor.pack("C", ["acme/agent:1.4.0", "acme/runtime:8.12.1", "acme/operator:2.10.2"], epoch: 1_767_000_200, base: "B")
        #expect(packC.stderr.contains("is itself a delta against acme-platform A"), "\(packC.stderr)")
        let inspect = try Self.json(try AirlockCLI.run(["inspect", vendor.bundle("C"), "--json"]).stdout)
        let base = try #require(inspect["base"] as? [String: Any])
        #expect((base["chain"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["A"])

        let bytes = try Data(contentsOf: URL(fileURLWithPath: vendor.bundle("C")))
        for stdin in [false, true] {
            let source = stdin ? "-" : vendor.bundle("C")
            let input = stdin ? bytes : nil
            let verify = try AirlockCLI.run(["verify", source, "--key", vendor.pub, "--base", vendor.bundle("B")], input: input)
            let directory = vendor.directory.appendingPathComponent("layout-\(stdin)").path
            let unpack = try AirlockCLI.run(["unpack", source, "--to-dir", directory, "--key", vendor.pub, "--base", vendor.bundle("B")], input: input)
            #expect(verify.status == 7 && unpack.status == 7, "verify \(verify.status) \(verify.stderr) / unpack \(unpack.status) \(unpack.stderr)")
            for result in [verify, unpack] {
                #expect(result.stderr.contains("is itself a delta against acme-platform A"), "\(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: directory))

            let whole = try AirlockCLI.run(["verify", source, "--key", vendor.pub, "--base", vendor.bundle("B"), "--base", vendor.bundle("A")], input: input)
            #expect(whole.status == 0, "\(whole.stderr)")
            #expect(whole.stdout.contains("blobs it leaves out are in \(vendor.bundle("B")) and \(vendor.bundle("A"))"), "\(whole.stdout)")
            let unpacked = try AirlockCLI.run(["unpack", source, "--to-dir", directory, "--key", vendor.pub,
                                               "--base", vendor.bundle("A"), "--base", vendor.bundle("B")], input: input)
            #expect(unpacked.status == 0, "\(unpacked.stderr)")
            // Every blob C's signed manifest names (stored or left to A and B) is in the layout
            // under its own digest (zstd, tar and sha256sum), and skopeo reads the OCI images whole.
            let manifest = try run("sh", ["-c", "zstd -dc '\(vendor.bundle("C"))' | tar -xO airlock-bundle.json"])
            let signed = try Self.json(manifest.stdout)
            let named = (try #require(signed["blobs"] as? [[String: Any]]) + (try #require((signed["base"] as? [String: Any])?["externalBlobs"] as? [[String: Any]])))
                .compactMap { ($0["digest"] as? String)?.dropFirst(7) }
            #expect(named.count > 6)
            let sums = try run("sh", ["-c", "cd '\(directory)/blobs/sha256' && sha256sum *"])
            #expect(sums.status == 0)
            let held = Set(sums.stdout.split(separator: "\n").compactMap { line -> Substring? in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count == 2 && fields[0] == fields[1] ? fields[0] : nil
            })
            #expect(named.allSatisfy { held.contains($0) }, "\(named.filter { !held.contains($0) })")
            for name in ["acme/runtime:8.12.1", "acme/operator:2.10.2"] {
                let copy = try run("skopeo", ["copy", "--all", "oci:\(directory):\(name)", "dir:\(directory)-copy-\(name.replacingOccurrences(of: "/", with: "_"))"])
                #expect(copy.status == 0, "\(name) from \(directory): \(copy.stderr)")
            }
        }
        // A bundle that is not in the chain is named as such.
        let stranger = try AirlockCLI.run(["verify", vendor.bundle("B"), "--key", vendor.pub, "--base", vendor.bundle("C")])
        #expect(stranger.status == 3 && stranger.stderr.contains("is not the base this delta was made against"), "\(stranger.stderr)")
    }

    /// `push -` and `push FILE` with --on-existing-tag fail refuse before any write: the blob a
    /// delta would mount from another repository of the push is not mounted, no repository appears.
    @Test(arguments: [false, true])
    func refusalsComeBeforeTheFirstMount(stdin: Bool) throws {
        let scene = try Scene.make()
        defer { scene.stop() }
        let (vendor, site, target) = (scene.vendor, scene.site, scene.target)
        try vendor.pack("1.0", ["acme/runtime:8.12.0"], epoch: 1_767_000_000)
        try vendor.pack("1.1", ["acme/runtime:8.12.0", "acme/operator:2.10.2"], epoch: 1_767_000_100, base: "1.0")
        #expect(try vendor.push("1.0", to: target, stdin: false).status == 0)
        // Another manifest under the bundle's tag (skopeo, not airlock), so --on-existing-tag fail refuses.
        let moved = try run("skopeo", ["copy", "--dest-tls-verify=false", "--src-tls-verify=false",
                                       "docker://\(vendor.source.host)/acme/runtime:8.12.1", "docker://\(target)/acme/runtime:8.12.0"])
        #expect(moved.status == 0, "\(moved.stderr)")
        // The shared base layer is in vendor/acme/runtime only: 1.1 would mount it into vendor/acme/operator.
        let external = try #require(try Self.json(try AirlockCLI.run(["inspect", vendor.bundle("1.1"), "--json"]).stdout)["base"] as? [String: Any])
        let layers = try #require(external["externalBlobs"] as? [[String: Any]]).filter { ($0["mediaType"] as? String)?.contains("layer") == true }
            .compactMap { $0["digest"] as? String }
        #expect(!layers.isEmpty)
        for digest in layers { #expect(try Self.blobStatus(site, "vendor/acme/operator", digest) == "404") }
        let catalog = try Self.catalog(site)
        let runtimeTags = try Self.tags(site, "vendor/acme/runtime")

        let refused = try vendor.push("1.1", to: target, stdin: stdin, ["--on-existing-tag", "fail"])
        #expect(refused.status == 8, "\(refused.stderr)")
        #expect(refused.stderr.contains("Nothing was written"), "\(refused.stderr)")
        #expect(try Self.catalog(site) == catalog)
        #expect(try Self.tags(site, "vendor/acme/runtime") == runtimeTags)
        for digest in layers { #expect(try Self.blobStatus(site, "vendor/acme/operator", digest) == "404") }

        // Without the refusal the same push mounts the shared layer (the delta does not hold it) and completes.
        let pushed = try vendor.push("1.1", to: target, stdin: stdin)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(try layers.map { try Self.blobStatus(site, "vendor/acme/operator", $0) }.contains("200"))
    }
}
