import Foundation
import Testing
import TestSupport

/// `airlock login` and `logout` end to end: the real binary against real registries (Basic and
/// token auth), the file every command reads, a credential helper, and skopeo reading the result.
@Suite(.serialized)
struct LoginTests {
    /// A docker config folder that does not exist yet, inside a fresh temporary folder.
    struct Config {
        let folder: URL
        var path: String { folder.appendingPathComponent("config.json").path }
        var environment: [String: String] { ["DOCKER_CONFIG": folder.path] }

        init(_ json: String? = nil) throws {
            folder = try TestPaths.temporaryDirectory("login").appendingPathComponent("docker")
            guard let json else { return }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        }

        var bytes: Data? { FileManager.default.contents(atPath: path) }

        func json() throws -> [String: Any] {
            let data = try #require(bytes)
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        func mode(_ path: String) throws -> Int {
            ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
    }

    static func login(_ registry: DevRegistry, password: String, config: Config, extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        try AirlockCLI.run(["login", registry.host, "--username", registry.username, "--password-stdin"] + extra,
                           input: Data((password + "\n").utf8), environment: config.environment.merging(environment) { $1 })
    }

    /// Nothing airlock prints, at any verbosity, holds the password.
    static func expectSecretKept(_ result: ProcessResult, _ password: String) {
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "the password was printed: \(result.stdout) \(result.stderr)")
    }

    @Test func loginStoresAnEntryThatAirlockAndSkopeoUse() throws {
        let registry = try DevRegistry.start(auth: .basic, seed: ["agent"])
        defer { registry.stop() }
        let config = try Config()
        let denied = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: config.environment)
        #expect(denied.status == 4, "\(denied.stderr)")
        #expect(denied.stderr.contains("run airlock login \(registry.host)"), "\(denied.stderr)")

        let result = try Self.login(registry, password: registry.password, config: config, extra: ["-vv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Logged in to \(registry.host) as \(registry.username) (stored in \(config.path))\n")
        Self.expectSecretKept(result, registry.password)
        #expect(try config.mode(config.folder.path) == 0o700)
        #expect(try config.mode(config.path) == 0o600)
        let entry = try #require((try config.json()["auths"] as? [String: Any])?[registry.host] as? [String: Any])
        #expect(entry["auth"] as? String == Data("\(registry.username):\(registry.password)".utf8).base64EncodedString())

        let tags = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: config.environment)
        #expect(tags.status == 0, "\(tags.stderr)")
        #expect(tags.stdout.contains("acme/agent:1.4.0"))
        let skopeo = try run("skopeo", ["list-tags", "--authfile", config.path, "--tls-verify=false", "docker://\(registry.host)/acme/agent"])
        #expect(skopeo.status == 0, "\(skopeo.stderr)")
        #expect(skopeo.stdout.contains("1.4.0"))

        let logout = try AirlockCLI.run(["logout", registry.host], environment: config.environment)
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(logout.stdout == "Logged out of \(registry.host) (removed from \(config.path))\n")
        #expect((try config.json()["auths"] as? [String: Any])?.isEmpty == true)
        let again = try AirlockCLI.run(["logout", registry.host], environment: config.environment)
        #expect(again.status == 0 && again.stdout == "Not logged in to \(registry.host)\n", "\(again.stdout) \(again.stderr)")
        #expect(try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: config.environment).status == 4)
    }

    @Test(arguments: [DevRegistry.Auth.basic, .token])
    func wrongPasswordIsRefusedAndNothingIsWritten(_ auth: DevRegistry.Auth) throws {
        let registry = try DevRegistry.start(auth: auth)
        defer { registry.stop() }
        let config = try Config(#"{"auths":{"other.example.com":{"auth":"b3RoZXI6cHc="}},"credHelpers":{"helped.example.com":"none"}}"#)
        let before = try #require(config.bytes)
        let wrong = "wr0ng-secret-\(auth)"
        let result = try Self.login(registry, password: wrong, config: config, extra: ["-vv"])
        #expect(result.status == 4, "\(result.status) \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let sentences = result.stderr.split(separator: "\n").filter { $0.hasPrefix("airlock:") }
        #expect(sentences == ["airlock: registry \(registry.host) refused the login of \(registry.username) (401 Unauthorized): check the username and password; nothing was stored" + (auth == .token ? " [token server refused]" : "")], "\(result.stderr)")
        Self.expectSecretKept(result, wrong)
        #expect(config.bytes == before)

        let right = try Self.login(registry, password: registry.password, config: config)
        #expect(right.status == 0, "\(right.stderr)")
        #expect((try config.json()["auths"] as? [String: Any])?[registry.host] != nil)
    }

    /// Every key airlock does not change keeps its value, whatever it is; the registry's older
    /// entries (another spelling of the same host) give way to the new one.
    @Test func otherKeysOfTheConfigAreKept() throws {
        let registry = try DevRegistry.start(auth: .basic)
        defer { registry.stop() }
        let stale = Data("old:stale".utf8).base64EncodedString()
        let original = """
            {
              "auths": {"other.example.com": {"auth": "b3RoZXI6cHc=", "email": "o@example.com"},
                        "https://\(registry.host)/v1/": {"auth": "\(stale)"}},
              "credHelpers": {"gcr.io": "gcloud"},
              "HttpHeaders": {"User-Agent": "Docker-Client/24 (linux)"},
              "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "*.local,169.254/16"}},
              "detachKeys": "ctrl-e,e", "aNumber": 1.50, "flags": [true, false, null, {"deep": ["\\u00e9\\n"]}],
              "currentContext": "tëst"
            }
            """
        let config = try Config(original)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config.path)
        let before = try config.json()
        let result = try Self.login(registry, password: registry.password, config: config)
        #expect(result.status == 0, "\(result.stderr)")
        let after = try config.json()
        #expect(Set(after.keys) == Set(before.keys))
        for key in before.keys where key != "auths" {
            #expect((after[key] as? NSObject) == (before[key] as? NSObject), "\(key) changed: \(String(describing: after[key]))")
        }
        let auths = try #require(after["auths"] as? [String: Any])
        #expect(Set(auths.keys) == ["other.example.com", registry.host])
        #expect((auths["other.example.com"] as? NSObject) == ((before["auths"] as? [String: Any])?["other.example.com"] as? NSObject))
        #expect(try config.mode(config.path) == 0o600)
        // Untouched values keep their very bytes (1.50 stays 1.50, escapes stay escapes).
        let text = String(decoding: try #require(config.bytes), as: UTF8.self)
        for raw in [#""aNumber": 1.50"#, #"[true, false, null, {"deep": ["\u00e9\n"]}]"#, #""currentContext": "tëst""#] {
            #expect(text.contains(raw), "lost \(raw):\n\(text)")
        }
    }

    /// A fake `docker-credential-test`: store and erase write what they read into LOG_DIR, get
    /// answers with the last stored entry.
    static func helper() throws -> (path: String, folder: URL) {
        let folder = try TestPaths.temporaryDirectory("login-helper")
        let script = """
            #!/bin/sh
            dir=\(folder.path)
            case "$1" in
              store) cat > "$dir/stored.json" ;;
              get) read -r server; echo "$server" >> "$dir/asked"
                   if [ -f "$dir/stored.json" ]; then cat "$dir/stored.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;
              erase) read -r server; echo "$server" > "$dir/erased"
                   if [ -f "$dir/stored.json" ]; then rm "$dir/stored.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;
              *) exit 3 ;;
            esac
            """
        try writeExecutable(folder.appendingPathComponent("docker-credential-test").path, script)
        return (folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), folder)
    }

    /// With a helper configured for the registry (its own credHelpers entry, or credsStore), the
    /// helper gets the login and config.json is left as it was; logout erases it there.
    @Test(arguments: ["credsStore", "credHelpers"])
    func aConfiguredHelperGetsTheLogin(_ kind: String) throws {
        let registry = try DevRegistry.start(auth: .basic, seed: ["agent"])
        defer { registry.stop() }
        let helper = try Self.helper()
        let config = try Config(kind == "credsStore" ? #"{"credsStore":"test"}"# : #"{"credHelpers":{"\#(registry.host)":"test"},"credsStore":"absent"}"#)
        let before = try #require(config.bytes)
        let environment = ["PATH": helper.path]
        let result = try Self.login(registry, password: registry.password, config: config, extra: ["-vv"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Logged in to \(registry.host) as \(registry.username) (stored by docker-credential-test)\n")
        Self.expectSecretKept(result, registry.password)
        #expect(config.bytes == before)
        let stored = try #require(FileManager.default.contents(atPath: helper.folder.appendingPathComponent("stored.json").path))
        let entry = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: String])
        #expect(entry == ["ServerURL": registry.host, "Username": registry.username, "Secret": registry.password])

        let tags = try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: config.environment.merging(environment) { $1 })
        #expect(tags.status == 0, "\(tags.stderr)")

        let logout = try AirlockCLI.run(["logout", registry.host], environment: config.environment.merging(environment) { $1 })
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(logout.stdout == "Logged out of \(registry.host) (erased by docker-credential-test)\n")
        let erased = try String(contentsOf: helper.folder.appendingPathComponent("erased"), encoding: .utf8)
        #expect(erased == registry.host + "\n")
        let again = try AirlockCLI.run(["logout", registry.host], environment: config.environment.merging(environment) { $1 })
        #expect(again.status == 0 && again.stdout == "Not logged in to \(registry.host)\n", "\(again.stdout) \(again.stderr)")
        #expect(config.bytes == before)
    }

    /// With credsStore, an old entry the file holds for the registry would be read before the
    /// helper: the login removes it (and only it).
    @Test func credsStoreLoginRemovesTheFilesStaleEntry() throws {
        let registry = try DevRegistry.start(auth: .basic, seed: ["agent"])
        defer { registry.stop() }
        let helper = try Self.helper()
        let stale = Data("\(registry.username):stale".utf8).base64EncodedString()
        let config = try Config(#"{"credsStore":"test","auths":{"\#(registry.host)":{"auth":"\#(stale)"},"keep.example.com":{"auth":"a2VlcDpwdw=="}}}"#)
        let environment = config.environment.merging(["PATH": helper.path]) { $1 }
        let result = try AirlockCLI.run(["login", registry.host, "--username", registry.username, "--password-stdin"], input: Data(registry.password.utf8), environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Set(((try config.json()["auths"] as? [String: Any]) ?? [:]).keys) == ["keep.example.com"])
        #expect(try AirlockCLI.run(["tags", "\(registry.host)/acme/agent"], environment: environment).status == 0)
    }

    @Test(arguments: [
        (["login", "127.0.0.1:5999"], "not a terminal"),
        (["login", "127.0.0.1:5999", "--username", "u"], "not a terminal"),
        (["login", "127.0.0.1:5999", "--password-stdin"], "--password-stdin needs --username"),
        (["login", "127.0.0.1:5999/acme/agent", "--username", "u", "--password-stdin"], "not to a repository"),
        (["login", "ftp://127.0.0.1:5999", "--username", "u", "--password-stdin"], "registry host"),
        (["login", "127.0.0.1:5999", "--password", "x"], "--password"),
        (["logout"], "registry"),
    ])
    func usageErrorsExitTwo(_ arguments: [String], _ phrase: String) throws {
        let config = try Config()
        let result = try AirlockCLI.run(arguments, input: Data("pw\n".utf8), environment: config.environment)
        #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        #expect(config.bytes == nil)
    }

    /// No terminal and no --password-stdin: one sentence, at once, and nothing is asked for.
    @Test func noTerminalIsOneSentence() throws {
        let result = try AirlockCLI.run(["login", "127.0.0.1:5999"])
        #expect(result.status == 2)
        #expect(result.stderr == "airlock: standard input is not a terminal to type a password at: pipe it in with --username U --password-stdin (a password is never taken as an argument)\n")
    }

    /// At a terminal: the username is asked for and shown, the password is asked for with echo
    /// off, so what the terminal shows never holds it. A pty driven by python3 types each answer
    /// once its prompt is on the screen.
    @Test func promptsAtATerminalHideThePassword() throws {
        let registry = try DevRegistry.start(auth: .basic)
        defer { registry.stop() }
        let config = try Config()
        let driver = """
            import os, pty, select, sys, time
            user, password, argv = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(argv[0], argv)
            seen = b""
            def read(until=None, limit=30):
                global seen
                end = time.time() + limit
                while until is None or until not in seen:
                    ready, _, _ = select.select([fd], [], [], max(0, end - time.time()))
                    if not ready:
                        sys.stdout.write(seen.decode(errors="replace")); sys.exit(124)
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        return
                    seen += chunk
            read(b"Username: "); os.write(fd, user + b"\\n")
            read(b"Password: "); os.write(fd, password + b"\\n")
            read()
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
            """
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_CONFIG"] = config.folder.path
        let result = try run("python3", ["-c", driver, registry.username, registry.password, AirlockCLI.path, "login", registry.host], environment: environment)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("Username: \(registry.username)"), "\(result.stdout)")
        #expect(result.stdout.contains("Logged in to \(registry.host) as \(registry.username)"), "\(result.stdout)")
        #expect(!result.stdout.contains(registry.password), "the terminal showed the password: \(result.stdout)")
        #expect((try config.json()["auths"] as? [String: Any])?[registry.host] != nil)
    }
}
