import Foundation
import Testing
import TestSupport

/// `airlock tags` end to end: the real binary against a real registry.
@Suite(.serialized)
struct TagsCommandTests {
    @Test func resolvesWildcardNewestFirst() throws {
        let registry = try DevRegistry.start(seed: ["runtime", "operator"])
        defer { registry.stop() }
        let result = try AirlockCLI.run(["tags", "\(registry.host)/acme/runtime:8.12.*"])
        #expect(result.status == 0, "\(result.stderr)")
        let tags = result.stdout.split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(tags == ["\(registry.host)/acme/runtime:8.12.10", "\(registry.host)/acme/runtime:8.12.1", "\(registry.host)/acme/runtime:8.12.0"].map { Substring($0) })

        let json = try AirlockCLI.run(["tags", "--json", "\(registry.host)/acme/runtime:8.12.*, 7.23.6.*", "\(registry.host)/acme/operator:2.10.2"])
        #expect(json.status == 0)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let runtimeTags = (parsed[0]["images"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(runtimeTags == ["8.12.10", "8.12.1", "8.12.0", "7.23.6.3", "7.23.6.0"].map { "\(registry.host)/acme/runtime:\($0)" })
        let operatorEntry = (parsed[1]["images"] as? [[String: Any]])?.first
        #expect(operatorEntry?["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        #expect(operatorEntry?["digest"] as? String == (try registry.skopeoDigest("acme/operator:2.10.2")))
    }

    @Test func unreachableRegistryIsOneSentence() throws {
        let port = try freePort()
        let result = try AirlockCLI.run(["tags", "127.0.0.1:\(port)/acme/runtime:1.*"])
        #expect(result.status == 4)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot reach registry 127.0.0.1:\(port)"))
    }

    @Test func unauthorizedIsOneSentenceAndCredentialsFixIt() throws {
        let registry = try DevRegistry.start(auth: .basic, seed: ["agent"])
        defer { registry.stop() }
        let denied = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"])
        #expect(denied.status == 4)
        #expect(denied.stderr.split(separator: "\n").count == 1, "\(denied.stderr)")
        #expect(denied.stderr.contains("401"))
        #expect(denied.stderr.contains("no credentials"))

        let wrong = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent", "--username", registry.username, "--password-stdin"], input: Data("not-it\n".utf8))
        #expect(wrong.status == 4)
        #expect(wrong.stderr.contains("rejected"))
        #expect(!wrong.stderr.contains("not-it"))

        let flags = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent", "--username", registry.username, "--password-stdin"], input: Data((registry.password + "\n").utf8))
        #expect(flags.status == 0, "\(flags.stderr)")
        #expect(flags.stdout.contains("acme/agent:1.4.0"))

        let config = try TestPaths.temporaryDirectory("docker-config")
        let auth = Data("\(registry.username):\(registry.password)".utf8).base64EncodedString()
        try #"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.write(to: config.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let viaConfig = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: ["DOCKER_CONFIG": config.path])
        #expect(viaConfig.status == 0, "\(viaConfig.stderr)")
    }

    @Test(arguments: [
        ["tags"],
        ["tags", "Bad/Name:1"],
        ["tags", "host:5000/app:bad tag"],
        ["tags", "--password-stdin", "host:5000/app"],
        ["frobnicate"],
    ])
    func usageErrorsExitTwo(_ arguments: [String]) throws {
        let result = try AirlockCLI.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test(arguments: ["", "keygen", "tags", "pack", "inspect", "verify", "sign", "push", "unpack"])
    func helpExitsZero(_ command: String) throws {
        let result = try AirlockCLI.run((command.isEmpty ? [] : [command]) + ["--help"])
        #expect(result.status == 0, "\(command): \(result.stderr)")
        #expect(result.stdout.contains("USAGE"))
    }

    @Test func noMatchIsNotFound() throws {
        let registry = try DevRegistry.start(seed: ["agent"])
        defer { registry.stop() }
        let result = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent:9.*"])
        #expect(result.status == 7)
        #expect(result.stderr.contains("no tag of"))
    }
}
