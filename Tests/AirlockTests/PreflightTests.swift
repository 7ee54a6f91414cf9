import Foundation
import Testing
import TestSupport

/// `push --preflight` and the checks every push makes before its first write, against nginx in
/// front of distribution reproducing an enterprise registry: uploads under a project that does not
/// exist are answered 404 NAME_UNKNOWN, names four components deep 400 NAME_INVALID.
struct PreflightTests {
    static let rules = NginxProxy.refuse("^/v2/newproj/.*/blobs/uploads/", status: 404, code: "NAME_UNKNOWN", message: "project newproj not found")
        + "\n" + NginxProxy.refuse("^/v2/([^/]+/){4,}(blobs|manifests|tags)/", status: 400, code: "NAME_INVALID", message: "invalid repository name")

    @Test func refusedTargetsAreNamedBeforeAnyWrite() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let proxy = try NginxProxy(upstream: site.host, maxBody: "64m", extra: Self.rules)
        defer { proxy.stop() }
        let push = ["push", packed.bundle, "--key", packed.vendorPub]

        // A writable target: every check passes, nothing is committed; the JSON says the same.
        let fine = try AirlockCLI.run(push + ["--to", "\(proxy.host)/site", "--preflight"])
        #expect(fine.status == 0, "\(fine.stdout)\(fine.stderr)")
        #expect(fine.stdout.contains("pass    push access: an upload could start in each of the 5 repositories"), "\(fine.stdout)")
        #expect(fine.stdout.hasSuffix("preflight: a push to \(proxy.host)/site would go through (nothing was written)\n"), "\(fine.stdout)")
        let json = try AirlockCLI.run(push + ["--to", "\(proxy.host)/site", "--preflight", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let checked = try run("python3", [TestPaths.script("check-json.py"), "push-preflight"], input: Data(json.stdout.utf8))
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let afterPreflight = try site.committedFiles()
        #expect(afterPreflight.isEmpty, "a preflight committed: \(afterPreflight)")

        // A project that does not exist: the registry's words and the way out, exit 8, for the
        // preflight and for the push itself; nothing of newproj in the registry's storage.
        for extra in [["--preflight"], [String]()] {
            let refused = try AirlockCLI.run(push + ["--to", "\(proxy.host)/newproj"] + extra)
            let said = refused.stdout + refused.stderr
            #expect(refused.status == 8, "\(extra): \(said)")
            #expect(said.contains("[NAME_UNKNOWN: project newproj not found]") && said.contains("create the project newproj in the registry first"), "\(said)")
            #expect(said.contains("Nothing was written") || said.contains("nothing was written"), "\(said)")
            let committed = try site.committedFiles()
            #expect(committed.isEmpty, "\(extra): \(committed)")
        }

        // Names four components deep: refused with --strip-components named; with it, the push goes.
        let deep = try AirlockCLI.run(push + ["--to", "\(proxy.host)/deep/er", "--preflight"])
        #expect(deep.status == 8, "\(deep.stdout)\(deep.stderr)")
        #expect(deep.stdout.contains("fail    push access: the registry refuses the name \(proxy.host)/deep/er/acme/") && deep.stdout.contains("--strip-components 1"), "\(deep.stdout)")
        let stripped = try AirlockCLI.run(push + ["--to", "\(proxy.host)/deep/er", "--strip-components", "1"])
        #expect(stripped.status == 0, "\(stripped.stdout)\(stripped.stderr)")
        #expect(try site.tags("deep/er/runtime").count == 5)
    }

    /// A token server that grants pull but not push: named before anything is written, exit 8.
    @Test func aPullOnlyTokenIsNamedBeforeAnyWrite() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let site = try DevRegistry.start(auth: .token, readOnly: "*/acme/agent")
        defer { site.stop() }
        let login = ["--username", site.username, "--password-stdin"]
        let input = Data((site.password + "\n").utf8)
        for extra in [["--preflight"], [String]()] {
            let result = try AirlockCLI.run(["push", packed.bundle, "--to", "\(site.host)/v", "--key", packed.vendorPub] + login + extra, input: input)
            let said = result.stdout + result.stderr
            #expect(result.status == 8, "\(extra): \(said)")
            #expect(said.contains("registry \(site.host)/v/acme/agent denied the operation (403 Forbidden): the account may not write there"), "\(said)")
            let committed = try site.committedFiles()
            #expect(committed.isEmpty, "\(extra): \(committed)")
        }
    }
}
