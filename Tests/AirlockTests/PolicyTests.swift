import Foundation
import Testing
import TestSupport

/// Issue 25: a trust policy checked offline (airlock-policy(5)): roles and thresholds, revoked
/// keys, max-age, the bundle's name, image sources and required evidence; malformed policies;
/// and every reader refusing before it writes. Through the binary.
@Suite(.serialized)
struct PolicyTests {
    /// A source registry with the agent image, six keys, and one bundle signed by the vendor.
    struct Site {
        let source: DevRegistry
        let directory: URL

        static func make() throws -> Site {
            let source = try DevRegistry.start(seed: ["agent"])
            let site = Site(source: source, directory: try TestPaths.temporaryDirectory("policy"))
            for name in ["vendor", "sec-alice", "sec-bob", "sec-carol", "vendor-2024", "stranger"] {
                let keygen = try AirlockCLI.run(["keygen", "--out", site.path(name)])
                guard keygen.status == 0 else { throw TestError("keygen \(name): \(keygen.stderr)") }
            }
            try FileManager.default.createDirectory(atPath: site.path("keys"), withIntermediateDirectories: true)
            try "hello\n".write(toFile: site.path("notes.txt"), atomically: true, encoding: .utf8)
            try site.pack("bundle.tar.zst", epoch: Int(Date().timeIntervalSince1970) - 3600)
            return site
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func pack(_ name: String, epoch: Int, bundleName: String = "acme-platform") throws {
            let result = try AirlockCLI.run(["pack", "--name", bundleName, "--version", "1.0", "-o", path(name), "--key", path("vendor.key"),
                                             "--image", "\(source.host)/acme/agent:1.4.0", "--file", path("notes.txt")],
                                            environment: ["SOURCE_DATE_EPOCH": String(epoch)])
            guard result.status == 0 else { throw TestError("pack \(name): \(result.stderr)") }
        }

        /// A copy of the bundle countersigned by `signers`.
        func signed(by signers: [String], from bundle: String = "bundle.tar.zst") throws -> String {
            let copy = path("signed-\(signers.joined(separator: "-"))-\(bundle)")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: path(bundle), toPath: copy)
            for signer in signers {
                let sign = try AirlockCLI.run(["sign", copy, "--key", path("\(signer).key")])
                guard sign.status == 0 else { throw TestError("sign \(signer): \(sign.stderr)") }
            }
            return copy
        }

        /// Writes a policy beside the keys; key paths in it are relative to its folder.
        func policy(_ text: String, name: String = "policy.yaml") throws -> String {
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            return path(name)
        }

        func verify(_ bundle: String, policy: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
            try AirlockCLI.run(["verify", bundle, "--policy", policy] + extra, environment: environment)
        }
    }

    static let roles = """
        version: 1
        roles:
          vendor:
            keys: [vendor.pub]
          security:
            keys: [sec-alice.pub, sec-bob.pub, sec-carol.pub]
            threshold: 2

        """

    @Test func thresholdsCountDistinctSignersOfEachRole() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let oneOfOne = try site.policy("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n", name: "one.yaml")
        #expect(try site.verify(site.path("bundle.tar.zst"), policy: oneOfOne).status == 0)

        let policy = try site.policy(Self.roles)
        let one = try site.verify(try site.signed(by: ["sec-alice"]), policy: policy)
        #expect(one.status == 3, "\(one.stderr)")
        #expect(one.stderr.contains("role security: 1 of 2 required signatures (sec-alice); missing: one of sec-bob, sec-carol"), "\(one.stderr)")
        for signers in [["sec-alice", "sec-bob"], ["sec-alice", "sec-bob", "sec-carol"], ["sec-carol", "sec-bob"]] {
            let result = try site.verify(try site.signed(by: signers), policy: policy, ["--json"])
            #expect(result.status == 0, "\(signers): \(result.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let rules = try #require((report["policy"] as? [String: Any])?["rules"] as? [[String: Any]])
            #expect(rules.compactMap { $0["rule"] as? String } == ["role vendor", "role security"])
            #expect(rules.allSatisfy { $0["passed"] as? Bool == true })
            #expect((rules.last?["evidence"] as? [String])?.count == signers.count)
        }
        // The same signature twice is one signer: a re-sign by alice does not make two.
        let twice = try site.signed(by: ["sec-alice", "sec-alice"])
        #expect(try site.verify(twice, policy: policy).status == 3)
        // --key given with --policy must also have signed.
        let extra = try site.verify(try site.signed(by: ["sec-alice", "sec-bob"]), policy: policy, ["--key", site.path("stranger.pub")])
        #expect(extra.status == 3 && extra.stderr.contains("stranger"), "\(extra.stderr)")
    }

    @Test func aRevokedKeyFailsTheBundleWhateverElseHolds() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let policy = try site.policy(Self.roles + "revoked: [vendor-2024.pub]\n")
        let bundle = try site.signed(by: ["sec-alice", "sec-bob", "vendor-2024"])
        let result = try site.verify(bundle, policy: policy, ["--json"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("signed by revoked key vendor-2024 ("), "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        let rules = try #require((report["policy"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.first { $0["rule"] as? String == "revoked" }?["passed"] as? Bool == false)
        #expect(rules.first { $0["rule"] as? String == "role security" }?["passed"] as? Bool == true)
    }

    @Test func maxAgeRefusesOldAndFutureBundles() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let now = Int(Date().timeIntervalSince1970)
        try site.pack("old.tar.zst", epoch: now - 90 * 86400)
        try site.pack("ahead.tar.zst", epoch: now + 86400)
        let policy = try site.policy("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\nmax-age: 30d\n")
        let old = try site.verify(site.path("old.tar.zst"), policy: policy)
        #expect(old.status == 3 && old.stderr.contains("older than max-age 30d"), "\(old.stderr)")
        let ahead = try site.verify(site.path("ahead.tar.zst"), policy: policy)
        #expect(ahead.status == 3 && ahead.stderr.contains("more than 5 minutes in the future"), "\(ahead.stderr)")
        #expect(try site.verify(site.path("bundle.tar.zst"), policy: policy).status == 0)
    }

    @Test func nameSourcesAndEvidenceRulesNameWhatIsWrong() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let bundle = site.path("bundle.tar.zst")
        let base = "version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n"
        let name = try site.verify(bundle, policy: try site.policy(base + "bundle: evil-platform\n", name: "name.yaml"))
        #expect(name.status == 3 && name.stderr.contains("bundle name acme-platform is not evil-platform"), "\(name.stderr)")
        let sources = try site.verify(bundle, policy: try site.policy(base + "images:\n  sources: [\"registry.acme.example/*\"]\n", name: "sources.yaml"))
        #expect(sources.status == 3 && sources.stderr.contains("image acme/agent:1.4.0 comes from \(site.source.host)/acme/agent"), "\(sources.stderr)")
        let ours = try site.verify(bundle, policy: try site.policy(base + "images:\n  sources: [\"\(site.source.host)/acme/*\"]\n", name: "ours.yaml"))
        #expect(ours.status == 0, "\(ours.stderr)")
        let sbom = try site.verify(bundle, policy: try site.policy(base + "images:\n  require: [sbom]\n", name: "sbom.yaml"))
        #expect(sbom.status == 3 && sbom.stderr.contains("image acme/agent:1.4.0 carries no SBOM"), "\(sbom.stderr)")
        let cosign = try site.verify(bundle, policy: try site.policy(base + "images:\n  cosign-keys: [stranger.pub]\n", name: "cosign.yaml"))
        #expect(cosign.status == 3 && cosign.stderr.contains("acme/agent"), "\(cosign.stderr)")
    }

    /// (policy text, the phrase its refusal must hold): exit 2, naming the file and the line.
    @Test(arguments: [
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\nmaxage: 30d\n", "line 5: the policy has an unknown field 'maxage'"),
        ("version: 1\nroles:\n  vendor:\n    keys: [missing.pub]\n", "line 4: key file missing.pub of role vendor"),
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n    threshold: 2\n", "line 5: role vendor: threshold 2 is above its 1 distinct key(s)"),
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n  security:\n    keys: [vendor.pub]\n", "is in roles vendor and security"),
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\nrevoked: [vendor.pub]\n", "line 5: key"),
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\nmax-age: 30y\n", "line 5: max-age '30y' is not a number followed by a unit"),
        ("version: 2\nroles:\n  vendor:\n    keys: [vendor.pub]\n", "line 1: has version 2"),
        ("roles:\n  vendor:\n    keys: [vendor.pub]\n", "has no version"),
        ("version: 1\n", "has no roles"),
        ("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n    certificates: {roots: [ca.pem]}\n", "certificates are not supported"),
        ("version: 1\nroles: [\n", "is not valid YAML"),
    ])
    func aMalformedPolicyIsAUsageErrorBeforeAnyBundleIsRead(text: String, phrase: String) throws {
        let directory = try TestPaths.temporaryDirectory("bad-policy")
        let keygen = try AirlockCLI.run(["keygen", "--out", directory.appendingPathComponent("vendor").path])
        #expect(keygen.status == 0)
        let policy = directory.appendingPathComponent("policy.yaml").path
        try text.write(toFile: policy, atomically: true, encoding: .utf8)
        // The bundle does not exist: the policy is refused first, as every reader does.
        for command in [["verify", "/nonexistent.tar.zst"], ["unpack", "/nonexistent.tar.zst", "--to-dir", directory.appendingPathComponent("out").path]] {
            let result = try AirlockCLI.run(command + ["--policy", policy])
            #expect(result.status == 2, "\(command[0]): \(result.stderr)")
            #expect(result.stderr.contains(policy) && result.stderr.contains(phrase), "\(command[0]): \(result.stderr)")
        }
        let check = try AirlockCLI.run(["policy", "check", policy])
        #expect(check.status == 2 && check.stderr.contains(phrase), "\(check.stderr)")
    }

    @Test func policyCheckSummarisesAndAIRLOCK_POLICYIsTheDefault() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let policy = try site.policy(Self.roles + "max-age: 2w\nrevoked: [vendor-2024.pub]\nimages:\n  require: [sbom]\n")
        let check = try AirlockCLI.run(["policy", "check", policy])
        #expect(check.status == 0, "\(check.stderr)")
        for line in ["role vendor: 1 of 1 key must sign", "role security: 2 of 3 keys must sign", "max-age: created at most 2w ago",
                     "revoked: a signature by any of these fails the bundle", "images.require: every image carries an SBOM"] {
            #expect(check.stdout.contains(line), "\(line): \(check.stdout)")
        }
        // The file matches format-spec/policy.schema.json (as JSON, read by PyYAML).
        let schema = TestPaths.repoRoot.appendingPathComponent("format-spec/policy.schema.json").path
        let checker = TestPaths.repoRoot.appendingPathComponent("scripts/check-json.py").path
        let valid = try run("sh", ["-c", "python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' \"$1\" | python3 \"$2\" \"$3\"",
                                   "sh", policy, checker, schema])
        #expect(valid.status == 0, "\(valid.stderr)")
        try "version: 1\nroles: {}\nmaxage: 1d\n".write(toFile: site.path("bad.yaml"), atomically: true, encoding: .utf8)
        let invalid = try run("sh", ["-c", "python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' \"$1\" | python3 \"$2\" \"$3\"",
                                     "sh", site.path("bad.yaml"), checker, schema])
        #expect(invalid.status == 1 && invalid.stderr.contains("maxage"), "\(invalid.stderr)")
        let fromEnvironment = try AirlockCLI.run(["verify", try site.signed(by: ["sec-alice"])], environment: ["AIRLOCK_POLICY": site.path("one-env.yaml")])
        #expect(fromEnvironment.status == 2 && fromEnvironment.stderr.contains("one-env.yaml does not exist"), "\(fromEnvironment.stderr)")
        let strict = try site.policy(Self.roles, name: "env.yaml")
        let refused = try AirlockCLI.run(["verify", try site.signed(by: ["sec-alice"])], environment: ["AIRLOCK_POLICY": strict])
        #expect(refused.status == 3 && refused.stderr.contains("role security: 1 of 2"), "\(refused.stderr)")
        let passed = try AirlockCLI.run(["verify", try site.signed(by: ["sec-alice", "sec-bob"])], environment: ["AIRLOCK_POLICY": strict])
        #expect(passed.status == 0, "\(passed.stderr)")
    }

    /// A failing policy: push, unpack, extract, join and serve write nothing; a passing one works.
    @Test func everyReaderRefusesBeforeItWrites() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let policy = try site.policy(Self.roles)
        let failing = try site.signed(by: ["sec-alice"])
        let passing = try site.signed(by: ["sec-alice", "sec-bob"])
        let target = "\(registry.host)/site"

        // The target holds something first, so that "unchanged" is not "empty".
        let first = try AirlockCLI.run(["push", passing, "--to", "\(registry.host)/first", "--policy", policy])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try run("curl", ["-sf", "\(registry.url)/v2/_catalog"])
        #expect(before.status == 0 && before.stdout.contains("first/acme/agent"), "\(before.stdout)")
        for stdin in [false, true] {
            let refused = stdin
                ? try AirlockCLI.run(["push", "-", "--to", target, "--policy", policy], input: try Data(contentsOf: URL(fileURLWithPath: failing)))
                : try AirlockCLI.run(["push", failing, "--to", target, "--policy", policy])
            #expect(refused.status == 3 && refused.stderr.contains("role security: 1 of 2"), "push \(stdin ? "-" : "file"): \(refused.stderr)")
        }
        let after = try run("curl", ["-sf", "\(registry.url)/v2/_catalog"])
        #expect(after.status == 0 && after.stdout == before.stdout, "\(after.stdout)")

        let out = site.path("out")
        for command in [["unpack", failing, "--to-dir", out], ["extract", failing, "--to-dir", out], ["join", failing, "-o", out]] {
            let result = try AirlockCLI.run(command + ["--policy", policy])
            #expect(result.status == 3 && result.stderr.contains("does not meet the policy"), "\(command[0]): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(command[0]) wrote \(out)")
        }
        let serve = try AirlockCLI.run(["serve", failing, "--policy", policy, "--listen", "127.0.0.1:0"])
        #expect(serve.status == 3 && !serve.stderr.contains("serving"), "\(serve.stderr)")

        for command in [["unpack", passing, "--to-dir", site.path("layout")], ["extract", passing, "--to-dir", site.path("files")]] {
            let result = try AirlockCLI.run(command + ["--policy", policy])
            #expect(result.status == 0, "\(command[0]): \(result.stderr)")
        }
        #expect(try String(contentsOfFile: site.path("files/notes.txt"), encoding: .utf8) == "hello\n")
        let joined = try AirlockCLI.run(["join", passing, "-o", site.path("joined.tar.zst"), "--policy", policy])
        #expect(joined.status == 0 && FileManager.default.fileExists(atPath: site.path("joined.tar.zst")), "\(joined.stderr)")
        // serve starts listening under a passing policy (stopped by SIGTERM after a moment; a safety net, not a measure).
        let served = try run("sh", ["-c", "timeout 3 \"$0\" serve \"$1\" --policy \"$2\" --listen 127.0.0.1:0; echo status=$?", AirlockCLI.path, passing, policy])
        #expect(served.stderr.contains("airlock: serving"), "\(served.stderr)")
        let pushed = try AirlockCLI.run(["push", passing, "--to", target, "--policy", policy])
        #expect(pushed.status == 0, "\(pushed.stderr)")
    }

    /// sign proves the bundle first: a damaged one is refused with the file unchanged; with
    /// --policy the signature being added counts, and a bundle the policy still refuses is not signed.
    @Test func signVerifiesFirstAndHoldsThePolicy() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let damaged = site.path("damaged.tar.zst")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: site.path("bundle.tar.zst")))
        let offset = bytes.count / 2
        bytes[offset] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try AirlockCLI.run(["sign", damaged, "--key", site.path("sec-alice.key")])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: damaged)) == bytes, "a refused sign changed the file")

        let policy = try site.policy(Self.roles)
        let alone = try site.signed(by: [])
        let before = try Data(contentsOf: URL(fileURLWithPath: alone))
        let short = try AirlockCLI.run(["sign", alone, "--key", site.path("sec-alice.key"), "--policy", policy])
        #expect(short.status == 3 && short.stderr.contains("role security: 1 of 2 required signatures (sec-alice)"), "\(short.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: alone)) == before, "a refused sign changed the file")

        let withAlice = try site.signed(by: ["sec-alice"])
        let second = try AirlockCLI.run(["sign", withAlice, "--key", site.path("sec-bob.key"), "--policy", policy])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try site.verify(withAlice, policy: policy).status == 0)
        let noVerify = try AirlockCLI.run(["sign", damaged, "--key", site.path("sec-alice.key"), "--no-verify"])
        #expect(noVerify.status == 0, "--no-verify signs what the bundle holds: \(noVerify.stderr)")
    }

    /// The site re-verifies: status --policy holds every record's signatures to the policy again
    /// and names the bundle that does not meet it; diff compares only trusted bundles.
    @Test func statusAndDiffHoldTheRecordsToThePolicy() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let policy = try site.policy(Self.roles + "max-age: 1m\n")
        let strict = try site.policy(Self.roles, name: "no-age.yaml")
        let good = try site.signed(by: ["sec-alice", "sec-bob"])
        let target = "\(registry.host)/site"
        #expect(try AirlockCLI.run(["push", good, "--to", target, "--policy", strict]).status == 0)
        // The record is older than max-age 1m by now only in principle: status leaves max-age out.
        let passing = try AirlockCLI.run(["status", "--at", target, "--check", "--policy", policy, "--json"])
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(try violations(passing.stdout) == nil)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(passing.stdout.utf8)) as? [String: Any])
        #expect(report["untrusted"] as? Int == 0)
        #expect(((report["bundles"] as? [[String: Any]])?.first?["trust"] as? [String: Any])?["passed"] as? Bool == true)

        // Another bundle, signed by alice alone, pushed with the vendor's key only.
        try site.pack("other.tar.zst", epoch: Int(Date().timeIntervalSince1970) - 60, bundleName: "acme-tools")
        let weak = try site.signed(by: ["sec-alice"], from: "other.tar.zst")
        #expect(try AirlockCLI.run(["push", weak, "--to", target, "--key", site.path("vendor.pub")]).status == 0)
        let failing = try AirlockCLI.run(["status", "--at", target, "--policy", strict])
        #expect(failing.status == 3, "\(failing.stderr)")
        #expect(failing.stdout.contains("NOT TRUSTED") && failing.stdout.contains("airlock-ledger:acme-tools-1.0")
                && failing.stdout.contains("role security: 1 of 2"), "\(failing.stdout)")
        #expect(failing.stdout.contains("1 of 2 bundle(s) meet the trust given"), "\(failing.stdout)")

        let diff = try AirlockCLI.run(["diff", good, weak, "--policy", strict])
        #expect(diff.status == 3 && diff.stderr.contains("role security: 1 of 2"), "\(diff.stderr)")
        let weakOld = try AirlockCLI.run(["diff", weak, good, "--policy", strict])
        #expect(weakOld.status == 3 && weakOld.stderr.contains(weak), "OLD is held to the signers too: \(weakOld.stderr)")
        let trusted = try AirlockCLI.run(["diff", good, try site.signed(by: ["sec-alice", "sec-carol"], from: "other.tar.zst"), "--policy", strict])
        #expect(trusted.status == 1, "two trusted bundles that differ: \(trusted.stderr)")
    }

    func violations(_ output: String) throws -> String? {
        let result = try run("python3", [TestPaths.repoRoot.appendingPathComponent("scripts/check-json.py").path, "status"], input: Data(output.utf8))
        return result.status == 0 ? nil : result.stderr
    }

    /// sign --policy records its verdict: openssl checks it by the format-spec's recipe, inspect
    /// lists it, and a site role with attests-policy counts only signers that recorded one.
    @Test func aCountersignatureRecordsThePolicyItMet() throws {
        let site = try Site.make()
        defer { site.source.stop() }
        let team = try site.policy("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\nmax-age: 30d\n", name: "team.yaml")
        let bundle = try site.signed(by: [])
        let plain = try site.signed(by: ["sec-alice"])
        let signed = try AirlockCLI.run(["sign", bundle, "--key", site.path("sec-alice.key"), "--policy", team])
        #expect(signed.status == 0, "\(signed.stderr)")

        let recipe = """
            set -e
            cd "$1"
            head -c 65544 "$2" | tail -c 65536 | tr -d '\\000' > slot.json
            jq -r '.attestations[0].payload' slot.json | base64 -d > statement.json
            jq -r '.attestations[0].signatures[0].sig' slot.json | base64 -d > sig.der
            type=application/vnd.in-toto+json
            { printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(wc -c < statement.json)"; cat statement.json; } > pae.bin
            openssl dgst -sha256 -verify "$3" -signature sig.der pae.bin
            test "$(jq -r '.subject[0].digest.sha256' statement.json)" = "$(zstd -dc "$2" | tar -xO airlock-bundle.json | sha256sum | cut -c1-64)"
            test "$(jq -r '.predicate.policy.digest.sha256' statement.json)" = "$(sha256sum "$4" | cut -c1-64)"
            jq -r '.predicateType, .predicate.verificationResult' statement.json
            """
        let work = site.path("openssl")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let checked = try run("bash", ["-c", recipe, "bash", work, bundle, site.path("sec-alice.pub"), team])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
        #expect(checked.stdout.contains("Verified OK") && checked.stdout.contains("https://slsa.dev/verification_summary/v1\nPASSED"), "\(checked.stdout)")

        let inspect = try AirlockCLI.run(["inspect", bundle, "--key", site.path("sec-alice.pub")])
        #expect(inspect.stdout.contains("verdict") && inspect.stdout.contains("PASSED: policy team.yaml") && inspect.stdout.contains("(verified)"), "\(inspect.stdout)")

        // The site requires the security signer to have met the team's policy.
        let digest = try #require(try AirlockCLI.run(["policy", "check", team]).stdout.split(separator: "\n").first?.split(separator: "(").last?.dropLast())
        let site2 = try site.policy("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n  security:\n    keys: [sec-alice.pub]\n    attests-policy: \(digest)\n", name: "site.yaml")
        #expect(try site.verify(bundle, policy: site2).status == 0)
        let without = try site.verify(plain, policy: site2)
        #expect(without.status == 3 && without.stderr.contains("role security: 0 of 1 required signature attesting policy"), "\(without.stderr)")
        let bad = try site.policy("version: 1\nroles:\n  vendor:\n    keys: [vendor.pub]\n    attests-policy: sha256:xyz\n", name: "bad-attests.yaml")
        #expect(try AirlockCLI.run(["policy", "check", bad]).status == 2)
    }
}
