import Foundation
import Testing
import TestSupport

/// Issue 18: the site's ledger (status, downgrade refusal, tag ownership, prune) and mirror
/// configuration, through the binary against real registries, checked with skopeo, curl, python.
@Suite(.serialized)
struct LedgerTests {
    /// A source registry with the operator and agent images, a vendor key, and three bundles of
    /// one name: 2.10.1 (operator 2.10.1 + agent), 2.10.2 (operator 2.10.2 + agent), 2.9.0 (legacy).
    struct Releases {
        let source: DevRegistry
        let directory: URL
        let pub: String
        let key: String

        static func make() throws -> Releases {
            let source = try DevRegistry.start(seed: ["operator", "agent", "legacy"])
            let directory = try TestPaths.temporaryDirectory("ledger")
            let keygen = try AirlockCLI.run(["keygen", "--out", directory.appendingPathComponent("vendor").path])
            guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
            let releases = Releases(source: source, directory: directory, pub: directory.appendingPathComponent("vendor.pub").path,
                                    key: directory.appendingPathComponent("vendor.key").path)
            try releases.pack("2.10.1", ["acme/operator:2.10.1", "acme/agent:1.4.0"])
            try releases.pack("2.10.2", ["acme/operator:2.10.2", "acme/agent:1.4.0"])
            try releases.pack("2.9.0", ["acme/legacy:3.0"])
            return releases
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func bundle(_ version: String) -> String { path("acme-\(version).tar.zst") }

        func pack(_ version: String, _ images: [String], name: String = "acme-platform") throws {
            let result = try AirlockCLI.run(["pack", "--name", name, "--version", version, "-o", bundle(version), "--key", key]
                                            + images.flatMap { ["--image", "\(source.host)/\($0)"] })
            guard result.status == 0 else { throw TestError("pack \(version): \(result.stderr)") }
        }

        func push(_ version: String, to target: String, _ extra: [String] = []) throws -> ProcessResult {
            try AirlockCLI.run(["push", bundle(version), "--to", target, "--key", pub] + extra)
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// HEAD of a manifest by digest or tag: the HTTP status.
    static func head(_ registry: DevRegistry, _ repository: String, _ reference: String) throws -> String {
        try run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I",
                         "-H", "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json",
                         "\(registry.url)/v2/\(repository)/manifests/\(reference)"]).stdout
    }

    /// The manifest digests of an image (the top one and, for an index, its children), read with skopeo.
    static func manifestDigests(_ registry: DevRegistry, _ reference: String) throws -> [String] {
        let raw = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/\(reference)"])
        let object = try json(raw.stdout)
        let children = (object["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        return ["sha256:" + sha256Hex(Array(raw.stdout.utf8))] + children
    }

    @Test func statusDowngradeRefusalAndPrune() throws {
        let releases = try Releases.make()
        defer { releases.source.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let target = "\(site.host)/vendor"

        let first = try releases.push("2.10.1", to: target, ["--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect((try Self.json(first.stdout)["ledger"] as? [String: Any])?["target"] as? String == "\(site.host)/vendor/airlock-ledger:acme-platform-2.10.1")
        let second = try releases.push("2.10.2", to: target)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("recorded in \(site.host)/vendor/airlock-ledger:acme-platform-2.10.2"), "\(second.stdout)")

        // status lists both, newest first, with the signer the bundle's slot names.
        let status = try AirlockCLI.run(["status", "--at", target, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try violations("status", status.stdout) == nil)
        let bundles = try #require(try Self.json(status.stdout)["bundles"] as? [[String: Any]])
        #expect(bundles.compactMap { $0["version"] as? String } == ["2.10.2", "2.10.1"])
        let slot = try run("sh", ["-c", "head -c 65544 '\(releases.bundle("2.10.2"))' | tail -c +9 | tr -d '\\000'"])
        let keyID = try #require(((try Self.json(slot.stdout)["signatures"] as? [[String: Any]])?.first?["keyID"]) as? String)
        let signers = try #require(bundles.first?["signers"] as? [[String: Any]])
        #expect(signers.compactMap { $0["keyID"] as? String } == [keyID])
        #expect(signers.first?["algorithm"] as? String == "ed25519" || signers.first?["algorithm"] as? String == "ecdsa-p256-sha256")
        #expect((bundles.first?["manifestDigest"] as? String)?.hasPrefix("sha256:") == true)
        #expect((bundles.first?["images"] as? [[String: Any]])?.allSatisfy { ($0["size"] as? Int ?? 0) > 0 && $0["mediaType"] is String } == true)
        let images = (bundles.first?["images"] as? [[String: Any]])?.compactMap { $0["target"] as? String }
        #expect(images == ["\(site.host)/vendor/acme/agent:1.4.0", "\(site.host)/vendor/acme/operator:2.10.2"])
        let text = try AirlockCLI.run(["status", "--at", target])
        #expect(text.stdout.hasPrefix("acme-platform 2.10.2  pushed "), "\(text.stdout)")

        // The record, read with skopeo and curl: the exact signed manifest, and a record the schema accepts.
        let artifact = try Self.json(try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target)/airlock-ledger:acme-platform-2.10.2"]).stdout)
        #expect(artifact["artifactType"] as? String == "application/vnd.airlock.ledger.v1+json")
        let layers = try #require(artifact["layers"] as? [[String: Any]])
        let signed = try run("sh", ["-c", "zstd -dc '\(releases.bundle("2.10.2"))' | tar -xO airlock-bundle.json | sha256sum"])
        #expect(layers.last?["digest"] as? String == "sha256:" + signed.stdout.prefix(64))
        let recordDigest = try #require(layers.first?["digest"] as? String)
        let record = try run("curl", ["-sf", "\(site.url)/v2/vendor/airlock-ledger/blobs/\(recordDigest)"])
        #expect(try Self.ledgerRecordViolations(record.stdout) == nil)
        #expect(record.stdout.contains("\"airlockVersion\":\"0.1.0\""))

        // An older bundle is refused before any write, naming both versions.
        let older = try releases.push("2.9.0", to: target)
        #expect(older.status == 8, "\(older.stderr)")
        #expect(older.stderr.contains("acme-platform 2.10.2") && older.stderr.contains("2.9.0"), "\(older.stderr)")
        #expect(older.stderr.split(separator: "\n").count == 1)
        #expect(!(try run("curl", ["-sf", "\(site.url)/v2/_catalog"]).stdout.contains("legacy")), "the refused bundle wrote something")
        let piped = try AirlockCLI.run(["push", "-", "--to", target, "--key", releases.pub],
                                       input: try Data(contentsOf: URL(fileURLWithPath: releases.bundle("2.9.0"))))
        #expect(piped.status == 8 && piped.stderr.contains("acme-platform 2.10.2"), "push - refuses as well: \(piped.stderr)")
        #expect(!(try run("curl", ["-sf", "\(site.url)/v2/_catalog"]).stdout.contains("legacy")), "the refused stream wrote something")
        let again = try releases.push("2.10.1", to: target)
        #expect(again.status == 8 && again.stderr.contains("2.10.2") && again.stderr.contains("2.10.1"), "\(again.stderr)")
        let allowed = try releases.push("2.10.1", to: target, ["--allow-downgrade", "--json"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try violations("push", allowed.stdout) == nil)
        #expect((try Self.json(allowed.stdout)["ledger"] as? [String: Any])?["downgradedFrom"] as? String == "2.10.2")
        let checked = try AirlockCLI.run(["status", "--at", target, "--check", "--json"])
        #expect(checked.status == 0, "\(checked.stderr)")
        let checkedReport = try Self.json(checked.stdout)
        #expect(checkedReport["intact"] as? Int == 4 && checkedReport["missing"] as? Int == 0 && checkedReport["moved"] as? Int == 0)
        // Status lists the newest bundle first by the bundle order, not the latest push: the
        // downgraded re-push of 2.10.1 comes second, and says what it went below.
        let listed = try #require(checkedReport["bundles"] as? [[String: Any]])
        #expect(listed.compactMap { $0["version"] as? String } == ["2.10.2", "2.10.1"])
        #expect(listed.last?["downgradedFrom"] as? String == "2.10.2", "the re-push notes the downgrade")

        // prune keeping 2.10.2: the dry run deletes nothing; --yes deletes exactly what only 2.10.1 used.
        let old = try Self.manifestDigests(site, "vendor/acme/operator:2.10.1")
        let kept = try Self.manifestDigests(site, "vendor/acme/operator:2.10.2") + (try Self.manifestDigests(site, "vendor/acme/agent:1.4.0"))
        #expect(old.count == 3 && Set(old).isDisjoint(with: kept))
        let dry = try AirlockCLI.run(["prune", "--at", target, "--keep", "acme-platform@2.10.2", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try violations("prune", dry.stdout) == nil)
        let plan = try Self.json(dry.stdout)
        #expect(Set((plan["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }) == Set(old))
        #expect(plan["records"] as? [String] == ["\(site.host)/vendor/airlock-ledger:acme-platform-2.10.1"])
        #expect(plan["deleted"] as? Bool == false)
        // What GC can reclaim, from skopeo's view: 2.10.1's manifests and the blobs nothing kept references, and its record.
        func sizes(_ reference: String) throws -> (manifest: Int, blobs: [String: Int]) {
            let raw = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(site.host)/\(reference)"]).stdout
            let object = try Self.json(raw)
            var blobs: [String: Int] = [:]
            for blob in [object["config"] as? [String: Any]].compactMap({ $0 }) + (object["layers"] as? [[String: Any]] ?? []) {
                if let digest = blob["digest"] as? String { blobs[digest] = blob["size"] as? Int ?? 0 }
            }
            return (raw.utf8.count, blobs)
        }
        let oldParts = try old.map { try sizes("vendor/acme/operator@\($0)") }
        let keptBlobs = try Set(kept.enumerated().flatMap { index, digest in
            try sizes("vendor/acme/\(index < 3 ? "operator" : "agent")@\(digest)").blobs.keys
        })
        var expected = oldParts.reduce(0) { $0 + $1.manifest }
        expected += oldParts.reduce(into: [String: Int]()) { $0.merge($1.blobs) { a, _ in a } }.filter { !keptBlobs.contains($0.key) }.values.reduce(0, +)
        let oldRecord = try sizes("vendor/airlock-ledger:acme-platform-2.10.1")
        expected += oldRecord.manifest + oldRecord.blobs.values.reduce(0, +)
        #expect(plan["reclaimableBytes"] as? Int == expected)
        for digest in old { #expect(try Self.head(site, "vendor/acme/operator", digest) == "200", "the dry run deleted \(digest)") }
        let dryText = try AirlockCLI.run(["prune", "--at", target, "--keep", "acme-platform@2.10.2"])
        #expect(dryText.stdout.contains("would delete \(site.host)/vendor/acme/operator@\(old[0]) (tags: 2.10.1)"), "\(dryText.stdout)")
        #expect(dryText.stdout.contains("dry run: nothing was deleted"))

        let pruned = try AirlockCLI.run(["prune", "--at", target, "--keep", "acme-platform@2.10.2", "--yes"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        for digest in old { #expect(try Self.head(site, "vendor/acme/operator", digest) == "404", "\(digest) is still there") }
        for digest in kept.prefix(3) { #expect(try Self.head(site, "vendor/acme/operator", digest) == "200") }
        #expect(try Self.head(site, "vendor/acme/agent", "1.4.0") == "200")
        #expect(try site.skopeoDigest("vendor/acme/operator:2.10.2") == (try releases.source.skopeoDigest("acme/operator:2.10.2")))
        let pulled = try run("skopeo", ["copy", "--all", "--src-tls-verify=false", "docker://\(target)/acme/operator:2.10.2", "oci:\(releases.path("copy")):x"])
        #expect(pulled.status == 0, "shared blobs must stay: \(pulled.stderr)")
        let after = try AirlockCLI.run(["status", "--at", target, "--check", "--json"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect((try Self.json(after.stdout)["bundles"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["2.10.2"])
        #expect(try site.tags("vendor/airlock-ledger") == ["acme-platform-2.10.2"])
    }

    @Test func tagOwnersAndExistingTagPolicies() throws {
        let releases = try Releases.make()
        defer { releases.source.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let target = "\(site.host)/vendor"
        // From standard input: the record holds the same signed bytes.
        let streamed = try AirlockCLI.run(["push", "-", "--to", target, "--key", releases.pub],
                                          input: try Data(contentsOf: URL(fileURLWithPath: releases.bundle("2.10.2"))))
        #expect(streamed.status == 0 && streamed.stdout.contains("recorded in \(target)/airlock-ledger:acme-platform-2.10.2"), "\(streamed.stdout)\(streamed.stderr)")
        let artifact = try Self.json(try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(target)/airlock-ledger:acme-platform-2.10.2"]).stdout)
        let signed = try run("sh", ["-c", "zstd -dc '\(releases.bundle("2.10.2"))' | tar -xO airlock-bundle.json | sha256sum"])
        #expect((artifact["layers"] as? [[String: Any]])?.last?["digest"] as? String == "sha256:" + signed.stdout.prefix(64))
        let recorded = try site.skopeoDigest("vendor/acme/operator:2.10.2")
        // Another bundle whose operator image lands on the tag acme-platform 2.10.2 owns.
        try releases.pack("1", ["acme/operator:2.10.1"], name: "hotfix")
        let onTag = ["--name-template", "{path}:2.10.2"]

        let refused = try releases.push("1", to: target, onTag + ["--on-existing-tag", "fail"])
        #expect(refused.status == 8, "\(refused.stderr)")
        #expect(refused.stderr.contains("recorded for acme-platform 2.10.2"), "\(refused.stderr)")
        #expect(try site.skopeoDigest("vendor/acme/operator:2.10.2") == recorded)

        let skipped = try releases.push("1", to: target, onTag + ["--on-existing-tag", "skip", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(try violations("push", skipped.stdout) == nil)
        let skip = try #require((try Self.json(skipped.stdout)["tagsSkipped"] as? [[String: Any]])?.first)
        #expect(skip["matches"] as? Bool == false && skip["digest"] as? String == recorded)
        #expect(try site.skopeoDigest("vendor/acme/operator:2.10.2") == recorded)
        let hotfix = try releases.source.skopeoDigest("acme/operator:2.10.1")
        #expect(try Self.head(site, "vendor/acme/operator", hotfix) == "200", "skip still pushes the image by digest")
        let same = try releases.push("2.10.2", to: target, ["--on-existing-tag", "skip"])
        #expect(same.status == 0 && same.stdout.contains("kept \(target)/acme/operator:2.10.2: it names \(recorded), this image"), "\(same.stdout)\(same.stderr)")

        let moved = try releases.push("1", to: target, onTag)
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("moved \(target)/acme/operator:2.10.2: \(recorded) → \(hotfix) (it was acme-platform 2.10.2's)"), "\(moved.stdout)")
        let check = try AirlockCLI.run(["status", "--at", target, "--check"])
        #expect(check.status == 3, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("moved (now \(hotfix.dropFirst(7).prefix(12))"), "\(check.stdout)")
    }

    @Test func aRegistryThatRefusesDeletesGetsOneSentence() throws {
        let releases = try Releases.make()
        defer { releases.source.stop() }
        let site = try DevRegistry.start(deletes: false)
        defer { site.stop() }
        let target = "\(site.host)/vendor"
        #expect(try releases.push("2.10.1", to: target).status == 0)
        #expect(try releases.push("2.10.2", to: target).status == 0)
        let dry = try AirlockCLI.run(["prune", "--at", target, "--keep-last", "1"])
        #expect(dry.status == 0 && dry.stdout.contains("prune: acme-platform 2.10.1"), "\(dry.stdout)\(dry.stderr)")
        let refused = try AirlockCLI.run(["prune", "--at", target, "--keep-last", "1", "--yes"])
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("does not allow deleting (405"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let missing = try AirlockCLI.run(["prune", "--at", target, "--keep", "acme-platform@9.9"])
        #expect(missing.status == 7 && missing.stderr.contains("records no bundle acme-platform 9.9"), "\(missing.stderr)")
        let usage = try AirlockCLI.run(["prune", "--at", target])
        #expect(usage.status == 2, "\(usage.stderr)")
    }

    /// A ledger the account may read but not write: the upload check of the ledger's repository
    /// refuses the push before any image is written (exit 8), instead of pushing images no record
    /// would then account for.
    @Test func aLedgerThatCannotBeWrittenRefusesThePush() throws {
        let releases = try Releases.make()
        defer { releases.source.stop() }
        let site = try DevRegistry.start(auth: .token, readOnly: "*/airlock-ledger")
        defer { site.stop() }
        let login = ["--username", site.username, "--password-stdin"]
        let result = try AirlockCLI.run(["push", releases.bundle("2.10.2"), "--to", "\(site.host)/vendor", "--key", releases.pub] + login,
                                        input: Data((site.password + "\n").utf8))
        #expect(result.status == 8, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("registry \(site.host)/vendor/airlock-ledger denied the operation (403 Forbidden)") && result.stderr.contains("Nothing was written"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        let committed = try site.committedFiles()
        #expect(committed.isEmpty, "written before the refusal: \(committed)")
    }

    /// A tag only a pruned bundle put on an image a kept bundle also uses: the image stays, the tag
    /// is deleted by name where the registry can (distribution 2.8 cannot: reported as left).
    @Test func aPrunedTagOnAKeptImageIsDeletedByNameOrLeft() throws {
        let releases = try Releases.make()
        defer { releases.source.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let target = "\(site.host)/vendor"
        try releases.pack("1", ["acme/agent:1.4.0"], name: "rel")
        try releases.pack("2", ["acme/agent:1.4.0", "acme/operator:2.10.2"], name: "rel")
        #expect(try releases.push("1", to: target, ["--name-template", "{path}:old"]).status == 0)
        #expect(try releases.push("2", to: target).status == 0)
        let agent = try site.skopeoDigest("vendor/acme/agent:1.4.0")
        let pruned = try AirlockCLI.run(["prune", "--at", target, "--keep-last", "1", "--yes", "--json"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let plan = try Self.json(pruned.stdout)
        #expect((plan["manifests"] as? [Any])?.isEmpty == true, "the image rel 2 uses stays")
        #expect(plan["tags"] as? [String] == ["\(target)/acme/agent:old"])
        let left = plan["tagsLeft"] as? [String] ?? []
        #expect(left == (try site.tags("vendor/acme/agent").contains("old") ? ["\(target)/acme/agent:old"] : []))
        #expect(try site.skopeoDigest("vendor/acme/agent:1.4.0") == agent)
        #expect(try site.tags("vendor/airlock-ledger") == ["rel-2"])
    }

    /// Over HTTPS: hosts.toml names the --ca-file, EKS Anywhere carries its content, and ctr pulls through it.
    @Test func mirrorConfigurationOverTLSCarriesTheCA() throws {
        let releases = try Releases.make()
        let site = try DevRegistry.start(tls: true)
        defer { site.stop() }
        let caFile = try #require(site.caFile)
        let config = releases.path("mirrors")
        let pushed = try releases.push("2.10.2", to: "\(site.host)/m", ["--ca-file", caFile, "--mirror-config", config])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let upstream = releases.source.host
        let parsed = try run("python3", ["-c", """
            import json, sys, tomllib, yaml
            d = sys.argv[1]
            print(json.dumps({"hosts": tomllib.load(open(f"{d}/containerd/certs.d/\(upstream)/hosts.toml", "rb")),
                              "eksa": yaml.safe_load(open(f"{d}/eks-anywhere-registry-mirror.yaml"))}))
            """, config])
        let files = try Self.json(parsed.stdout)
        let host = ((files["hosts"] as? [String: Any])?["host"] as? [String: Any])?["https://\(site.host)/v2/m"] as? [String: Any]
        #expect(host?["ca"] as? [String] == [caFile], "\(parsed.stdout)")
        let eksa = (files["eksa"] as? [String: Any])?["registryMirrorConfiguration"] as? [String: Any]
        let pem = try String(contentsOfFile: caFile, encoding: .utf8)
        #expect((eksa?["caCertContent"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) == pem.trimmingCharacters(in: .whitespacesAndNewlines))

        releases.source.stop()
        let containerd = try PrivateContainerd(root: releases.path("containerd"))
        defer { containerd.stop() }
        let ctr = try containerd.ctr(["images", "pull", "--hosts-dir", config + "/containerd/certs.d", "\(upstream)/acme/operator:2.10.2"])
        #expect(ctr.status == 0, "\(ctr.stdout)\(ctr.stderr)")
    }

    @Test func mirrorConfigurationParsesAndPodmanAndContainerdPullThroughIt() throws {
        let releases = try Releases.make()
        let site = try DevRegistry.start()
        defer { site.stop() }
        let upstream = releases.source.host
        let config = releases.path("mirrors")
        let pushed = try releases.push("2.10.2", to: "\(site.host)/mirror", ["--mirror-config", config])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let agent = try releases.source.skopeoDigest("acme/agent:1.4.0")

        // Each file, read by a real parser.
        let parsed = try run("python3", ["-c", """
            import json, sys, tomllib, yaml
            d = sys.argv[1]
            hosts = tomllib.load(open(f"{d}/containerd/certs.d/\(upstream)/hosts.toml", "rb"))
            conf = tomllib.load(open(f"{d}/registries.conf", "rb"))
            docs = {n: yaml.safe_load(open(f"{d}/{n}")) for n in ["imagedigestmirrorset.yaml", "imagetagmirrorset.yaml", "eks-anywhere-registry-mirror.yaml", "kustomization.yaml"]}
            print(json.dumps({"hosts": hosts, "conf": conf, **docs}))
            """, config])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let files = try Self.json(parsed.stdout)
        let hosts = try #require(files["hosts"] as? [String: Any])
        #expect(hosts["server"] as? String == "https://\(upstream)")
        let host = try #require((hosts["host"] as? [String: Any])?["http://\(site.host)/v2/mirror"] as? [String: Any])
        #expect(host["capabilities"] as? [String] == ["pull", "resolve"] && host["override_path"] as? Bool == true)
        let registries = try #require((files["conf"] as? [String: Any])?["registry"] as? [[String: Any]])
        let agentEntry = try #require(registries.first { $0["prefix"] as? String == "\(upstream)/acme/agent" })
        #expect(agentEntry["location"] as? String == "\(upstream)/acme/agent")
        #expect((agentEntry["mirror"] as? [[String: Any]])?.first?["location"] as? String == "\(site.host)/mirror/acme/agent")
        #expect((agentEntry["mirror"] as? [[String: Any]])?.first?["insecure"] as? Bool == true)
        #expect((agentEntry["mirror"] as? [[String: Any]])?.first?["pull-from-mirror"] as? String == "all")
        let idms = try #require(files["imagedigestmirrorset.yaml"] as? [String: Any])
        #expect(idms["apiVersion"] as? String == "config.openshift.io/v1" && idms["kind"] as? String == "ImageDigestMirrorSet")
        let digestMirrors = try #require((idms["spec"] as? [String: Any])?["imageDigestMirrors"] as? [[String: Any]])
        #expect(digestMirrors.contains { $0["source"] as? String == "\(upstream)/acme/operator" && $0["mirrors"] as? [String] == ["\(site.host)/mirror/acme/operator"] })
        #expect(((files["imagetagmirrorset.yaml"] as? [String: Any])?["spec"] as? [String: Any])?["imageTagMirrors"] != nil)
        let eksa = try #require((files["eks-anywhere-registry-mirror.yaml"] as? [String: Any])?["registryMirrorConfiguration"] as? [String: Any])
        #expect(eksa["endpoint"] as? String == "127.0.0.1" && eksa["port"] as? String == String(site.host.split(separator: ":").last ?? ""))
        #expect((eksa["ociNamespaces"] as? [[String: Any]])?.first?["namespace"] as? String == "mirror")
        let kustomize = try #require((files["kustomization.yaml"] as? [String: Any])?["images"] as? [[String: Any]])
        #expect(kustomize.contains { $0["name"] as? String == "\(upstream)/acme/agent" && $0["digest"] as? String == agent })

        // The upstream is gone; podman pulls the upstream name through the generated registries.conf.
        releases.source.stop()
        let storage = releases.path("podman")
        let podman = ["--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs"]
        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERS_REGISTRIES_CONF"] = config + "/registries.conf"
        let pulled = try run("timeout", ["120", "podman"] + podman + ["pull", "\(upstream)/acme/agent:1.4.0"], environment: environment)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let digest = try run("podman", podman + ["image", "inspect", "--format", "{{.Digest}}", "\(upstream)/acme/agent:1.4.0"], environment: environment)
        #expect(digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == agent)
        _ = try run("podman", podman + ["system", "reset", "--force"], environment: environment)

        // containerd's ctr, with --hosts-dir.
        let containerd = try PrivateContainerd(root: releases.path("containerd"))
        defer { containerd.stop() }
        let ctr = try containerd.ctr(["images", "pull", "--hosts-dir", config + "/containerd/certs.d", "\(upstream)/acme/agent:1.4.0"])
        #expect(ctr.status == 0, "\(ctr.stdout)\(ctr.stderr)")
        let listed = try containerd.ctr(["images", "ls"])
        #expect(listed.stdout.contains(agent), "\(listed.stdout)")

        // status writes the same from the ledger alone.
        let fromStatus = releases.path("from-status")
        let status = try AirlockCLI.run(["status", "--at", "\(site.host)/mirror", "--mirror-config", fromStatus])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try String(contentsOfFile: fromStatus + "/registries.conf", encoding: .utf8).contains("location = \"\(site.host)/mirror/acme/agent\""))

        // Renamed repositories: no host-level file can map them; registries.conf still does, repository by repository.
        let renamed = releases.path("renamed")
        let stripped = try releases.push("2.10.2", to: "\(site.host)/flat", ["--strip-components", "1", "--mirror-config", renamed])
        #expect(stripped.status == 0, "\(stripped.stderr)")
        #expect(stripped.stderr.contains("warning: \(upstream)'s repositories were renamed"), "\(stripped.stderr)")
        #expect(!FileManager.default.fileExists(atPath: renamed + "/containerd/certs.d/\(upstream)/hosts.toml"))
        #expect(!FileManager.default.fileExists(atPath: renamed + "/eks-anywhere-registry-mirror.yaml"))
        let conf = try String(contentsOfFile: renamed + "/registries.conf", encoding: .utf8)
        #expect(conf.contains("prefix = \"\(upstream)/acme/agent\"") && conf.contains("location = \"\(site.host)/flat/agent\""), "\(conf)")
        // A file airlock did not write is not replaced without --force.
        try "mine\n".write(toFile: renamed + "/registries.conf", atomically: true, encoding: .utf8)
        let refused = try releases.push("2.10.2", to: "\(site.host)/flat", ["--strip-components", "1", "--mirror-config", renamed])
        #expect(refused.status == 6 && refused.stderr.contains("registries.conf exists and is not an airlock mirror configuration"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("pushed"), "checked before the push: \(refused.stdout)")
    }

    /// scripts/check-json.py's complaints about `output` against format-spec/json/SCHEMA.
    func violations(_ schema: String, _ output: String) throws -> String? {
        let checked = try run("python3", [TestPaths.script("check-json.py"), schema], input: Data(output.utf8))
        return checked.status == 0 ? nil : checked.stderr + checked.stdout
    }

    /// A ledger record against format-spec/ledger-record.schema.json (which uses signature-slot's definitions).
    static func ledgerRecordViolations(_ record: String) throws -> String? {
        let checked = try run("python3", ["-c", """
            import json, pathlib, sys
            import jsonschema
            from referencing import Registry, Resource
            spec = pathlib.Path(sys.argv[1])
            schemas = [json.loads((spec / n).read_text()) for n in ["ledger-record.schema.json", "signature-slot.schema.json"]]
            registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
            errors = list(jsonschema.Draft202012Validator(schemas[0], registry=registry).iter_errors(json.load(sys.stdin)))
            for e in errors: print(e.message, file=sys.stderr)
            sys.exit(1 if errors else 0)
            """, TestPaths.repoRoot.appendingPathComponent("format-spec").path], input: Data(record.utf8))
        return checked.status == 0 ? nil : checked.stderr
    }
}
