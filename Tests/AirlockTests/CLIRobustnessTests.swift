import Foundation
import Testing
import TestSupport

/// Issue 12: what a new user hits first — closed pipes, files overwritten, paths checked late,
/// prompts and waits on a terminal, prefixes from other tools, unclear reference errors.
@Suite(.serialized)
struct CLIRobustnessTests {
    static let tiny = TestPaths.repoRoot.appendingPathComponent("fixtures/tiny.bundle").path
    static let ed25519Pub = TestPaths.repoRoot.appendingPathComponent("fixtures/keys/test-ed25519.pub").path

    /// A one-character relative output (`--to-dir x`) crashed in NSString's deletingLastPathComponent.
    @Test func oneCharacterRelativeOutputs() throws {
        let directory = try TestPaths.temporaryDirectory("short-names")
        let unpacked = try run("sh", ["-c", "cd '\(directory.path)' && '\(AirlockCLI.path)' unpack '\(Self.tiny)' --to-dir x --key '\(Self.ed25519Pub)'"])
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x/index.json").path))
        let extracted = try run("sh", ["-c", "cd '\(directory.path)' && '\(AirlockCLI.path)' extract '\(Self.tiny)' --to-dir y --key '\(Self.ed25519Pub)'"])
        #expect(extracted.status == 7 && extracted.stderr.contains("no charts or files"), "\(extracted.status) \(extracted.stderr)")
    }
    static let ed25519Key = TestPaths.repoRoot.appendingPathComponent("fixtures/keys/test-ed25519.key").path

    /// `airlock … | head -1`: every command that prints ends quietly with 141, as git does.
    @Test func closedPipeEndsQuietlyWith141() throws {
        let registry = try DevRegistry.start(seed: ["agent"])
        defer { registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let directory = try TestPaths.temporaryDirectory("closed-pipe")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let commands: [[String]] = [
            ["tags", "\(registry.host)/acme/agent"],
            ["inspect", Self.tiny],
            ["inspect", Self.tiny, "--json"],
            ["verify", Self.tiny, "--key", Self.ed25519Pub],
            ["diff", Self.tiny, Self.tiny],
            ["unpack", Self.tiny, "--to-dir", path("layout"), "--key", Self.ed25519Pub],
            ["push", Self.tiny, "--to", "\(site.host)/vendor", "--key", Self.ed25519Pub],
            ["pack", "--image", "\(registry.host)/acme/agent:1.4.0", "--name", "tiny", "--version", "1", "-o", path("b.tar.zst")],
            ["keygen", "--out", path("k")],
        ]
        for arguments in commands {
            let result = try AirlockCLI.runWithClosedStdout(arguments)
            #expect(result.status == 141, "\(arguments[0]): \(result.status) \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(arguments[0]): \(result.stderr)")
        }
    }

    /// A fresh folder with a private key, a foreign file and an unreachable registry name.
    struct Scratch {
        let directory: URL
        let unreachable: String
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        init() throws {
            directory = try TestPaths.temporaryDirectory("robust")
            unreachable = "127.0.0.1:\(try freePort())"
            let keygen = try AirlockCLI.run(["keygen", "--out", directory.appendingPathComponent("signer").path])
            guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
            try "my notes\n".write(toFile: directory.appendingPathComponent("notes.txt").path, atomically: true, encoding: .utf8)
        }

        func contents(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }
        func mode(_ name: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? Int) ?? -1
        }
    }

    /// `-o`, `--mapping`, `--kustomize` never replace a file airlock did not write (unless
    /// --force), and a private key never; checked before anything is fetched.
    @Test func outputsNeverReplaceAKeyOrAForeignFile() throws {
        let scratch = try Scratch()
        let key = scratch.contents("signer.key")
        let pack = ["pack", "--image", "\(scratch.unreachable)/acme/agent:1.4.0", "--name", "tiny", "--version", "1"]
        for force in [[], ["--force"]] {
            let result = try AirlockCLI.run(pack + ["-o", scratch.path("signer.key")] + force)
            #expect(result.status == 6, "\(force): \(result.stderr)")
            #expect(result.stderr.contains("private key"), "\(result.stderr)")
            #expect(scratch.contents("signer.key") == key)
            #expect(try scratch.mode("signer.key") == 0o600)
        }
        let foreign = try AirlockCLI.run(pack + ["-o", scratch.path("notes.txt")])
        #expect(foreign.status == 6, "\(foreign.stderr)")
        #expect(foreign.stderr.contains("--force"), "\(foreign.stderr)")
        #expect(foreign.stderr.split(separator: "\n").count == 1)
        #expect(scratch.contents("notes.txt") == Data("my notes\n".utf8))
        let forced = try AirlockCLI.run(pack + ["-o", scratch.path("notes.txt"), "--force"])
        #expect(forced.status == 4, "--force lets pack go on to the registry: \(forced.stderr)")
        let bundle = scratch.path("old.bundle")
        try FileManager.default.copyItem(atPath: Self.tiny, toPath: bundle)
        let bundleBefore = try Data(contentsOf: URL(fileURLWithPath: bundle))
        let replacesBundle = try AirlockCLI.run(pack + ["-o", bundle])
        #expect(replacesBundle.status == 6 && replacesBundle.stderr.contains("--force"), "a bundle is replaced only with --force: \(replacesBundle.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: bundle)) == bundleBefore)
        let forcedBundle = try AirlockCLI.run(pack + ["-o", bundle, "--force"])
        #expect(forcedBundle.status == 4, "--force lets pack go on to the registry: \(forcedBundle.stderr)")

        for option in ["--mapping", "--kustomize"] {
            for target in ["signer.key", "notes.txt"] {
                let push = try AirlockCLI.run(["push", Self.tiny, "--to", "\(scratch.unreachable)/vendor", "--key", Self.ed25519Pub, option, scratch.path(target)])
                #expect(push.status == 6, "\(option) \(target): \(push.stderr)")
            }
        }
        #expect(scratch.contents("signer.key") == key)
        #expect(scratch.contents("notes.txt") == Data("my notes\n".utf8))
    }

    /// A mapping and kustomization airlock wrote are replaced by the next push.
    @Test func pushReplacesItsOwnMappingAndChecksOutputsFirst() throws {
        let site = try DevRegistry.start()
        defer { site.stop() }
        let scratch = try Scratch()
        let push = ["push", Self.tiny, "--to", "\(site.host)/vendor", "--key", Self.ed25519Pub]
        let missing = try AirlockCLI.run(push + ["--mapping", scratch.path("nodir/map.json")])
        #expect(missing.status == 6, "\(missing.stderr)")
        #expect(missing.stderr.contains("the folder \(scratch.path("nodir")) does not exist"), "\(missing.stderr)")
        #expect(try site.tags("vendor/acme/agent").isEmpty, "nothing is pushed when an output path is wrong")
        let outputs = ["--mapping", scratch.path("map.json"), "--kustomize", scratch.path("images.yaml")]
        let first = try AirlockCLI.run(push + outputs)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try AirlockCLI.run(push + outputs)
        #expect(again.status == 0, "its own mapping and kustomization are replaced: \(again.stderr)")
    }

    /// Output paths are checked before the first byte is fetched: a directory, a missing folder.
    @Test func outputPathsAreCheckedFirst() throws {
        let scratch = try Scratch()
        let pack = ["pack", "--image", "\(scratch.unreachable)/acme/agent:1.4.0", "--name", "tiny", "--version", "1"]
        let directory = try AirlockCLI.run(pack + ["-o", scratch.directory.path])
        #expect(directory.status == 6, "\(directory.stderr)")
        #expect(directory.stderr.contains("is a directory"), "\(directory.stderr)")
        let missing = try AirlockCLI.run(pack + ["-o", scratch.path("nodir/b.tar.zst")])
        #expect(missing.status == 6, "\(missing.stderr)")
        #expect(missing.stderr.contains("the folder \(scratch.path("nodir")) does not exist"), "\(missing.stderr)")
        let unpack = try AirlockCLI.run(["unpack", Self.tiny, "--to-dir", scratch.path("notes.txt/layout"), "--key", Self.ed25519Pub])
        #expect(unpack.status == 6, "\(unpack.stderr)")
        #expect(unpack.stderr.contains("\(scratch.path("notes.txt")) is not a folder"), "\(unpack.stderr)")
        let keygen = try AirlockCLI.run(["keygen", "--out", scratch.path("nodir/k")])
        #expect(keygen.status == 6, "\(keygen.stderr)")
        #expect(keygen.stderr.contains("the folder \(scratch.path("nodir")) does not exist"), "\(keygen.stderr)")
    }

    /// An encrypted private key where a public key belongs: no passphrase prompt, a sentence.
    @Test(arguments: ["verify", "inspect", "push"])
    func encryptedKeyNeverPrompts(_ command: String) throws {
        let scratch = try Scratch()
        let made = try run("openssl", ["genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:x", "-out", scratch.path("enc.key")])
        #expect(made.status == 0, "\(made.stderr)")
        var arguments = [command, Self.tiny, "--key", scratch.path("enc.key")]
        if command == "push" { arguments += ["--to", "\(scratch.unreachable)/vendor"] }
        let result = try AirlockCLI.runOnTerminal(arguments, timeout: 15)
        #expect(result.status != 124, "\(command) waited on the terminal: \(result.stdout)")
        #expect(!result.stdout.contains("pass phrase"), "\(result.stdout)")
        #expect(result.stdout.contains(".pub"), "\(result.stdout)")
    }

    /// `-` with standard input on a terminal is refused at once instead of waiting for EOF.
    @Test(arguments: ["verify", "push", "unpack"])
    func standardInputOnATerminalIsRefused(_ command: String) throws {
        let scratch = try Scratch()
        var arguments = [command, "-", "--key", Self.ed25519Pub]
        if command == "push" { arguments += ["--to", "\(scratch.unreachable)/vendor"] }
        if command == "unpack" { arguments += ["--to-dir", scratch.path("layout")] }
        let result = try AirlockCLI.runOnTerminal(arguments, timeout: 15)
        #expect(result.status == 2, "\(command): \(result.status) \(result.stdout)")
        #expect(result.stdout.contains("terminal"), "\(result.stdout)")
    }

    /// The tool's version lives at the top; `--version V` is pack's bundle version.
    @Test func versionBelongsToTheTopAndPackKeepsItsOption() throws {
        let top = try AirlockCLI.run(["--version"])
        #expect(top.status == 0)
        let version = top.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!version.isEmpty)
        let command = try AirlockCLI.run(["version"])
        #expect(command.status == 0, "\(command.stderr)")
        #expect(command.stdout.contains("airlock \(version)"), "\(command.stdout)")
        #expect(command.stdout.contains("zstd") && command.stdout.contains("OpenSSL") && command.stdout.contains("libarchive"))
        // Built from this clone: the commit is the clone's, not "unknown".
        let head = try run("git", ["-C", TestPaths.repoRoot.path, "rev-parse", "--short=12", "HEAD"])
        #expect(head.status == 0, "\(head.stderr)")
        #expect(command.stdout.contains("commit \(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"), "\(command.stdout)")
        let help = try AirlockCLI.run(["pack", "--help"])
        let versionOptions = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--version ") }
        #expect(versionOptions.count == 1, "\(help.stdout)")
        #expect(!help.stdout.contains("Show the version"), "\(help.stdout)")
        let scratch = try Scratch()
        let noValue = try AirlockCLI.run(["pack", "--image", "\(scratch.unreachable)/a/b:1", "--name", "n", "-o", scratch.path("b"), "--version"])
        #expect(noValue.status == 2, "\(noValue.stdout) \(noValue.stderr)")
        let packed = try AirlockCLI.run(["pack", "--image", "\(scratch.unreachable)/a/b:1", "--name", "n", "--version", "2.0", "-o", scratch.path("b")])
        #expect(packed.status == 4, "\(packed.stderr)")
    }

    /// Reference errors say why; a digest prints as repo@sha256:….
    @Test func referenceErrorsSayWhy() throws {
        let long = try AirlockCLI.run(["tags", "127.0.0.1:5000/app:" + String(repeating: "a", count: 129)])
        #expect(long.status == 2)
        #expect(long.stderr.contains("a tag is at most 128 characters"), "\(long.stderr)")
        let badCharacter = try AirlockCLI.run(["tags", "127.0.0.1:5000/app:v1+build"])
        #expect(badCharacter.status == 2)
        #expect(badCharacter.stderr.contains("'+'"), "\(badCharacter.stderr)")
        let upper = try AirlockCLI.run(["tags", "127.0.0.1:5000/Acme/app:1"])
        #expect(upper.status == 2)
        #expect(upper.stderr.contains("lower-case"), "\(upper.stderr)")
    }

    @Test func digestReferencesPrintWithAnAt() throws {
        let registry = try DevRegistry.start(seed: ["agent"])
        defer { registry.stop() }
        let digest = try registry.skopeoDigest("acme/agent:1.4.0")
        let result = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent@\(digest)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(registry.host)/acme/agent@\(digest)"), "\(result.stdout)")
        #expect(!result.stdout.contains(":sha256:"), "\(result.stdout)")
    }

    /// Path-like bundle names and versions are refused before anything is fetched.
    @Test(arguments: ["../../etc", "a b", "a/b", "bad\u{1}", ".hidden", "-dash"])
    func pathLikeNamesAreRefused(_ value: String) throws {
        let scratch = try Scratch()
        let image = "\(scratch.unreachable)/acme/agent:1.4.0"
        let name = try AirlockCLI.run(["pack", "--image", image, "--name", value, "--version", "1", "-o", scratch.path("b")])
        #expect(name.status == 2, "\(value): \(name.stderr)")
        let version = try AirlockCLI.run(["pack", "--image", image, "--name", "n", "--version=\(value)", "-o", scratch.path("b")])
        #expect(version.status == 2, "\(value): \(version.stderr)")
        let quoted = value.replacingOccurrences(of: "\u{1}", with: "\\x01")
        try "name: \"\(quoted)\"\nversion: \"1\"\nimages:\n  - ref: \(image)\n".write(toFile: scratch.path("spec.yaml"), atomically: true, encoding: .utf8)
        let spec = try AirlockCLI.run(["pack", scratch.path("spec.yaml"), "-o", scratch.path("b")])
        #expect(spec.status == 2, "\(value): \(spec.stderr)")
    }

    /// skopeo's and crane's prefixes: docker:// on references, http(s):// on --to.
    @Test func prefixesFromOtherTools() throws {
        let registry = try DevRegistry.start(seed: ["agent"])
        defer { registry.stop() }
        let tags = try AirlockCLI.run(["tags", "docker://\(registry.host)/acme/agent"])
        #expect(tags.status == 0, "\(tags.stderr)")
        #expect(tags.stdout.contains("\(registry.host)/acme/agent:1.4.0"))
        let scratch = try Scratch()
        let packed = try AirlockCLI.run(["pack", "--image", "docker://\(registry.host)/acme/agent:1.4.0", "--name", "n", "--version", "1", "-o", scratch.path("b.tar.zst")])
        #expect(packed.status == 0, "\(packed.stderr)")
        let site = try DevRegistry.start()
        defer { site.stop() }
        let plain = try AirlockCLI.run(["push", Self.tiny, "--to", "http://\(site.host)/vendor", "--key", Self.ed25519Pub])
        #expect(plain.status == 0, "\(plain.stderr)")
        let against = try AirlockCLI.run(["diff", "--against", "http://\(site.host)/vendor", Self.tiny])
        #expect(against.status == 0, "\(against.stderr)")
        let secure = try AirlockCLI.run(["push", Self.tiny, "--to", "https://\(site.host)/vendor", "--key", Self.ed25519Pub])
        #expect(secure.status == 4, "https:// forces TLS even on loopback: \(secure.stderr)")
        #expect(secure.stderr.contains("TLS"), "\(secure.stderr)")
        for other in ["oci:layout", "docker-archive:img.tar"] {
            let refused = try AirlockCLI.run(["tags", other])
            #expect(refused.status == 2, "\(other): \(refused.stderr)")
            #expect(refused.stderr.contains("docker://"), "\(other): \(refused.stderr)")
        }
        // A skopeo transport where a registry goes: named as such, with the command that writes a layout.
        for arguments in [["push", Self.tiny, "--to", "oci:layout", "--key", Self.ed25519Pub], ["status", "--at", "dir:copy"], ["diff", "--against", "oci:layout", Self.tiny]] {
            let refused = try AirlockCLI.run(arguments)
            #expect(refused.status == 2, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("is not a registry") && refused.stderr.contains("skopeo transport") && !refused.stderr.contains("valid port"),
                    "\(arguments): \(refused.stderr)")
        }
    }
}
