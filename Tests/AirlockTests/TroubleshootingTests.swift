import Foundation
import Testing
import TestSupport

/// The README's troubleshooting section quotes the exact message airlock prints for the eleven most
/// likely errors. This makes each error happen and compares: the README cannot drift.
@Suite(.serialized)
struct TroubleshootingTests {
    struct Entry {
        let title: String
        /// Each `text` block of the entry: a message, with `<...>` where it varies.
        let messages: [String]
        let status: Int32?
    }

    static func readmeEntries() throws -> [Entry] {
        let readme = try String(contentsOfFile: TestPaths.repoRoot.appendingPathComponent("README.md").path, encoding: .utf8)
        guard let start = readme.range(of: "\n## Troubleshooting\n") else { throw TestError("README has no Troubleshooting section") }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        return section.components(separatedBy: "\n### ").dropFirst().map { chunk in
            let title = String(chunk.prefix { $0 != "\n" })
            let blocks = chunk.components(separatedBy: "```text\n").dropFirst().map { String($0.components(separatedBy: "\n```").first ?? "") }
            let status = chunk.range(of: "exit status ").flatMap { Int32(chunk[$0.upperBound...].prefix { $0.isNumber }) }
            return Entry(title: title, messages: blocks, status: status)
        }
    }

    /// Whether some line of `output` is `template` with each `<...>` standing for any text.
    static func matches(_ template: String, _ output: String) -> Bool {
        var pattern = "^"
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + ".+?"
            rest = rest[rest.index(after: close)...]
        }
        pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else { return false }
        return regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)) != nil
    }

    @Test func everyDocumentedErrorIsWhatAirlockPrints() async throws {
        let entries = try Self.readmeEntries()
        #expect(entries.count == 11, "the README lists \(entries.count) troubleshooting entries")
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let keys = ["--key", packed.vendorPub]
        let other = packed.path("other")
        _ = try AirlockCLI.run(["keygen", "--out", other])

        // What each situation prints, in README order.
        var outputs: [String: [ProcessResult]] = [:]
        func scenario(_ key: String, _ body: () async throws -> [ProcessResult]) async throws {
            outputs[key] = try await body()
        }
        try await scenario("401") {
            let target = try DevRegistry.start(auth: .basic)
            defer { target.stop() }
            return [try AirlockCLI.run(["tags", "\(target.host)/acme/runtime:*"])]
        }
        try await scenario("x509") {
            let target = try DevRegistry.start(tls: true)
            defer { target.stop() }
            return [try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/vendor"] + keys)]
        }
        try await scenario("HTTP") {
            let tls = try DevRegistry.start(tls: true)
            defer { tls.stop() }
            let port = packed.registry.host.split(separator: ":").last ?? ""
            // 0.0.0.0 is not a loopback name to the scheme rule, so HTTPS is tried against plain HTTP.
            return [try AirlockCLI.run(["tags", "0.0.0.0:\(port)/acme/runtime:*"]),
                    try AirlockCLI.run(["tags", "--plain-http", "\(tls.host)/acme/runtime:*"])]
        }
        try await scenario("wrong key") {
            [try AirlockCLI.run(["verify", packed.bundle, "--key", other + ".pub"])]
        }
        try await scenario("missing") {
            [try AirlockCLI.run(["verify", packed.bundle, "--key", packed.vendorPub, "--key", packed.securityPub])]
        }
        try await scenario("truncated") {
            let copy = packed.path("copy.tar.zst")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: packed.bundle))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: copy))
            return [try AirlockCLI.run(["verify", copy] + keys), try AirlockCLI.run(["push", copy, "--to", "127.0.0.1:1/x"] + keys)]
        }
        try await scenario("disk") {
            let small = packed.path("small")
            try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
            let unpack = [AirlockCLI.path, "unpack", packed.bundle, "--to-dir", small + "/layout"] + keys
            // A 64 KiB tmpfs; without the right to mount, a private mount namespace gives it.
            var result = try run("sh", ["-c", "mount -t tmpfs -o size=64k tmpfs '\(small)' && { \"$@\"; s=$?; umount '\(small)'; exit $s; }", "sh"] + unpack)
            if result.stderr.contains("mount:") {
                result = try run("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs '\(small)' && exec \"$@\"", "sh"] + unpack)
            }
            return [result]
        }
        try await scenario("refus") {
            let target = try DevRegistry.start(auth: .token, readOnly: "*")
            defer { target.stop() }
            let login = ["--username", target.username, "--password-stdin"]
            return [try AirlockCLI.run(["push", packed.bundle, "--to", "\(target.host)/vendor", "--fail-fast"] + keys + login,
                                       input: Data((target.password + "\n").utf8))]
        }
        try await scenario("delta") {
            let delta = packed.path("delta.tar.zst")
            let made = try AirlockCLI.run(["pack", "--image", "\(packed.registry.host)/acme/agent:1.4.0", "--name", "acme-platform", "--version", "2.10.3",
                                           "--base", packed.bundle, "-o", delta, "--key", packed.vendorKey])
            #expect(made.status == 0, "\(made.stderr)")
            let target = try DevRegistry.start()
            defer { target.stop() }
            return [try AirlockCLI.run(["push", delta, "--to", "\(target.host)/vendor"] + keys)]
        }
        try await scenario("rate") {
            let fake = try await FakeRegistry.start { _ in
                .json(.tooManyRequests, #"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#, headers: [("Retry-After", "0")])
            }
            let result = try AirlockCLI.run(["tags", "--retries", "2", "\(fake.host)/acme/runtime:*"])
            await fake.stop()
            return [result]
        }
        try await scenario("slowly") {
            // One page of 20,000 tags offered again and again under a new URL: the tag limit ends it.
            let tags = (0..<20_000).map { "1.\($0).0" }
            let page = Array(try JSONSerialization.data(withJSONObject: ["name": "acme/app", "tags": tags]))
            let fake = try await FakeRegistry.start { request in
                if request.path == "/v2/" { return FakeResponse(.ok) }
                if request.path.hasPrefix("/v2/quiet/") { return FakeResponse(.ok, behaviour: .silent) }
                let next = UUID().uuidString
                return FakeResponse(.ok, headers: [("Content-Type", "application/json"), ("Link", "</v2/acme/app/tags/list?page=\(next)>; rel=\"next\"")], body: page)
            }
            let silent = try AirlockCLI.run(["tags", "--request-timeout", "2", "--retries", "0", "\(fake.host)/quiet/app:*"])
            let endless = try AirlockCLI.run(["tags", "\(fake.host)/acme/app:9.*"])
            await fake.stop()
            return [silent, endless]
        }

        for entry in entries {
            let key = outputs.keys.first { entry.title.localizedCaseInsensitiveContains($0) }
            guard let key, let results = outputs[key] else {
                Issue.record("no scenario reproduces README entry '\(entry.title)'")
                continue
            }
            #expect(entry.messages.count == results.count, "\(entry.title): \(entry.messages.count) messages for \(results.count) runs")
            for (message, result) in zip(entry.messages, results) {
                let output = result.stdout + "\n" + result.stderr
                #expect(Self.matches(message, output), "\(entry.title): README says\n\(message)\nairlock printed\n\(output)")
                if let status = entry.status { #expect(result.status == status, "\(entry.title): exit status \(result.status)") }
            }
        }
    }
}
