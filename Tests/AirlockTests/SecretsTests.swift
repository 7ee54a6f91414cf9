import Foundation
import Testing
import TestSupport

/// Secrets never appear in logs, bundles or error messages: every command runs at debug log
/// level with credentials from flags, docker config and the environment, through successes and
/// failures, and nothing it prints or writes may contain a password, a Basic header or a token.
@Suite(.serialized)
struct SecretsTests {
    @Test func noSecretInAnyOutputOrFile() throws {
        let source = try DevRegistry.start(auth: .token, seed: ["runtime", "agent"])
        defer { source.stop() }
        let target = try DevRegistry.start(auth: .basic)
        defer { target.stop() }
        let work = try TestPaths.temporaryDirectory("secrets")
        func path(_ name: String) -> String { work.appendingPathComponent(name).path }
        let passphrase = "pass-phrase-\(UUID().uuidString)"
        let wrongPassword = "wrong-\(UUID().uuidString)"

        // docker config for the target: an `auths` entry (base64 user:password).
        let config = path("docker-config")
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        let basic = Data("\(target.username):\(target.password)".utf8).base64EncodedString()
        try #"{"auths":{"\#(target.host)":{"auth":"\#(basic)"}}}"#.write(toFile: config + "/config.json", atomically: true, encoding: .utf8)
        let environment = ["DOCKER_CONFIG": config, "AIRLOCK_KEY_PASSPHRASE": passphrase]
        let login = ["--username", source.username, "--password-stdin"]
        let password = Data((source.password + "\n").utf8)

        var results: [(String, ProcessResult)] = []
        func airlock(_ arguments: [String], input: Data? = nil) throws {
            let result = try AirlockCLI.run(arguments + ["-vv"].filter { _ in !["keygen", "sign", "inspect"].contains(arguments[0]) },
                                            input: input, environment: environment)
            results.append((arguments.joined(separator: " "), result))
        }
        try airlock(["keygen", "--out", path("vendor")])  // encrypted with AIRLOCK_KEY_PASSPHRASE
        try airlock(["tags", "\(source.host)/acme/runtime:8.12.*"] + login, input: password)
        try airlock(["tags", "\(source.host)/acme/runtime:8.12.*", "--username", source.username, "--password-stdin"],
                    input: Data((wrongPassword + "\n").utf8))
        try airlock(["pack", "--image", "\(source.host)/acme/runtime:8.12.*", "--image", "\(source.host)/acme/agent:1.4.0",
                     "--name", "s", "--version", "1", "-o", path("b.tar.zst"), "--key", path("vendor.key")] + login, input: password)
        try airlock(["sign", path("b.tar.zst"), "--key", path("vendor.key")])
        try airlock(["inspect", path("b.tar.zst"), "--json"])
        try airlock(["verify", path("b.tar.zst"), "--key", path("vendor.pub"), "--json"])
        try airlock(["push", path("b.tar.zst"), "--to", "\(target.host)/v", "--key", path("vendor.pub"),
                     "--mapping", path("map.json"), "--kustomize", path("k.yaml"), "--json"])
        try airlock(["push", path("b.tar.zst"), "--to", "\(target.host)/v", "--key", path("vendor.pub"),
                     "--username", target.username, "--password-stdin"], input: Data((wrongPassword + "\n").utf8))
        try airlock(["diff", "--against", "\(target.host)/v", path("b.tar.zst"), "--json"])
        try airlock(["unpack", path("b.tar.zst"), "--to-dir", path("layout"), "--key", path("vendor.pub")])

        #expect(results.first { $0.0.hasPrefix("pack") }?.1.status == 0, "\(results.map { "\($0.0): \($0.1.stderr)" })")
        #expect(results.first { $0.0.hasPrefix("push") }?.1.status == 0)
        #expect(results.contains { $0.0.hasPrefix("tags") && $0.1.status == 4 }, "the wrong password must fail")

        let secrets = [source.password, target.password, wrongPassword, passphrase, basic,
                       Data("\(source.username):\(source.password)".utf8).base64EncodedString()]
        func check(_ text: String, _ where_: String, compressed: Bool = false) {
            for secret in secrets { #expect(!text.contains(secret), "a secret appears in \(where_)") }
            // A bearer token is a JWT: base64url of '{"' starts with "eyJ". Compressed bytes hold
            // any three letters by chance (about once in 16 MiB); their decompressed stream is checked below.
            #expect(compressed || !text.contains("eyJ"), "a token appears in \(where_)")
            #expect(!text.lowercased().contains("authorization:"), "an Authorization header appears in \(where_)")
        }
        for (command, result) in results {
            check(result.stdout, "stdout of \(command)")
            check(result.stderr, "stderr of \(command)")
        }
        #expect(results.contains { $0.1.stderr.contains("debug") || $0.1.stderr.contains("GET") }, "debug logging was on")
        let files = FileManager.default.enumerator(atPath: work.path)?.compactMap { $0 as? String } ?? []
        var checked = 0
        for file in files where !file.hasPrefix("docker-config") {
            let full = path(file)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: full) else { continue }
            check(String(decoding: data, as: UTF8.self), file, compressed: data.starts(with: [0x5A, 0x2A, 0x4D, 0x18]))
            checked += 1
        }
        #expect(checked > 5, "files written: \(files)")
        // The bundle is zstd-compressed: check its decompressed tar stream as well.
        let tar = try run("sh", ["-c", "zstd -dc '\(path("b.tar.zst"))'"])
        check(tar.stdout, "the bundle's content")
    }
}
