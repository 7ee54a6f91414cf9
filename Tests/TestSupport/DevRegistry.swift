import Foundation
import NIOConcurrencyHelpers

/// The repository root, found from this file's path.
public enum TestPaths {
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func script(_ name: String) -> String { repoRoot.appendingPathComponent("scripts/\(name)").path }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ label: String = "airlock-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A free TCP port on 127.0.0.1 (bound then released; good enough for tests on one machine).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw TestError("bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestError("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

public struct TestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The result of running a program to completion.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `executable` (a path, or a name looked up on PATH) with `arguments`, feeding `input`;
/// waits for it to end. posix_spawn + waitpid: Foundation's Process.waitUntilExit can hang when
/// called from a Swift concurrency thread on Linux.
@discardableResult
public func run(
    _ executable: String,
    _ arguments: [String],
    input: Data? = nil,
    environment: [String: String]? = nil
) throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let stdinPath = scratch.appendingPathComponent("in").path
    let stdoutPath = scratch.appendingPathComponent("out").path
    let stderrPath = scratch.appendingPathComponent("err").path
    FileManager.default.createFile(atPath: stdinPath, contents: input ?? Data())

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { env.forEach { free($0) } }

    // A child starts with no signal blocked and every signal at its default, whatever the test
    // thread that spawns it has blocked or ignored (a shell that inherits a blocked SIGCHLD can wait
    // forever for a child that already exited; a blocked SIGINT never reaches airlock).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let spawned = executable.contains("/")
        ? posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        : posix_spawnp(&pid, executable, &actions, &attributes, argv, env)
    guard spawned == 0 else { throw TestError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(
        status: exitStatus,
        stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    )
}

/// A real CNCF distribution registry on loopback, run through scripts/dev-registry.sh.
public struct DevRegistry: Sendable {
    public enum Auth: Sendable { case none, basic, token }

    public let name: String
    public let host: String
    public let url: String
    public let caFile: String?
    public let username: String
    public let password: String
    public let tokenURL: String?
    public let stateDirectory: String

    static let stateRoot: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-dev-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static let running = NIOLockedValueBox<Set<String>>([])

    /// Starts a registry; `seed` names sample sets for scripts/seed.sh (`runtime`, `operator`, `agent`, `legacy`, `many`).
    /// `readOnly` (token auth only) is a glob of repositories the user may pull but not push.
    /// `deletes: false` leaves distribution's `storage.delete.enabled` off: every DELETE is refused (405).
    public static func start(auth: Auth = .none, tls: Bool = false, seed: [String] = [], readOnly: String? = nil, deletes: Bool = true) throws -> DevRegistry {
        let name = "t\(getpid())-\(UUID().uuidString.prefix(6).lowercased())"
        let port = try freePort()
        var arguments = ["start", name, String(port)]
        if tls { arguments.append("--tls") }
        if !deletes { arguments.append("--no-delete") }
        switch auth {
        case .none: break
        case .basic: arguments.append("--auth")
        case .token: arguments += ["--token", String(try freePort())]
        }
        var environment = ProcessInfo.processInfo.environment
        environment["AIRLOCK_DEV_DIR"] = stateRoot
        environment["DEV_REGISTRY_WATCH_PID"] = String(getpid())
        if let readOnly { environment["DEV_REGISTRY_READ_ONLY"] = readOnly }
        registerCleanup()
        let started = try run(TestPaths.script("dev-registry.sh"), arguments, environment: environment)
        guard started.status == 0 else {
            throw TestError("dev-registry.sh start failed: \(started.stderr) \(started.stdout)")
        }
        running.withLockedValue { _ = $0.insert(name) }
        let facts = try run(TestPaths.script("dev-registry.sh"), ["env", name], environment: environment)
        var values: [String: String] = [:]
        for line in facts.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.hasPrefix("'"), value.hasSuffix("'") { value = String(value.dropFirst().dropLast()) }
            values[String(line[..<equals])] = value
        }
        let registry = DevRegistry(
            name: name,
            host: values["HOST"] ?? "127.0.0.1:\(port)",
            url: values["URL"] ?? "http://127.0.0.1:\(port)",
            caFile: values["CA_FILE"].flatMap { $0.isEmpty ? nil : $0 },
            username: values["USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "airlock",
            password: values["PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } ?? "airlock-pass",
            tokenURL: values["TOKEN_URL"].flatMap { $0.isEmpty ? nil : $0 },
            stateDirectory: values["STATE_DIR"] ?? ""
        )
        if !seed.isEmpty { try registry.seed(seed, auth: auth) }
        return registry
    }

    /// Pushes sample images with the independent Python client; returns its JSON summary.
    @discardableResult
    public func seed(_ sets: [String], auth: Auth = .none) throws -> [String: Any] {
        var arguments = [host, "--json", "--only", sets.joined(separator: ",")]
        if let caFile { arguments += ["--ca-file", caFile] } else { arguments.append("--plain-http") }
        if auth != .none { arguments += ["--username", username, "--password", password] }
        let result = try run(TestPaths.script("seed.sh"), arguments)
        guard result.status == 0 else { throw TestError("seed failed: \(result.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return object as? [String: Any] ?? [:]
    }

    public func stop() {
        Self.stop(name: name)
    }

    /// Kills the registry process, keeping its data; `resume` starts it again.
    public func pause() throws { try control("pause") }
    public func resume() throws { try control("resume") }

    private func control(_ command: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["AIRLOCK_DEV_DIR"] = Self.stateRoot
        let result = try run(TestPaths.script("dev-registry.sh"), [command, name], environment: environment)
        guard result.status == 0 else { throw TestError("dev-registry.sh \(command) failed: \(result.stderr)") }
    }

    /// Tags of a repository as skopeo lists them (empty when the repository is unknown).
    public func tags(_ repository: String) throws -> [String] {
        let result = try run("skopeo", ["list-tags", "--creds", "\(username):\(password)"] + (try skopeoTLSFlags()) + ["docker://\(host)/\(repository)"])
        let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return object?["Tags"] as? [String] ?? []
    }

    /// Every file in the registry's storage that commits something (a blob link, a manifest, a
    /// tag), relative to its repositories folder; upload sessions, open or cancelled, do not count.
    /// Throws when the storage cannot be listed (never an empty default).
    public func committedFiles() throws -> [String] {
        let root = stateDirectory + "/data/docker/registry/v2/repositories"
        guard !stateDirectory.isEmpty else { throw TestError("the registry's state directory is unknown") }
        guard FileManager.default.fileExists(atPath: root) else { return [] }  // nothing was ever pushed
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw TestError("cannot list \(root)") }
        return walker.compactMap { $0 as? String }.filter { $0.contains("/_manifests/") || $0.contains("/_layers/") }.sorted()
    }

    static func stop(name: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["AIRLOCK_DEV_DIR"] = stateRoot
        _ = try? run(TestPaths.script("dev-registry.sh"), ["stop", name], environment: environment)
        running.withLockedValue { _ = $0.remove(name) }
    }

    private static let cleanupRegistered = NIOLockedValueBox(false)

    /// Registries a test forgot to stop (or that a failing test skipped) die with the test process.
    private static func registerCleanup() {
        let first = cleanupRegistered.withLockedValue { registered in
            defer { registered = true }
            return !registered
        }
        guard first else { return }
        atexit {
            for name in DevRegistry.running.withLockedValue({ $0 }) { DevRegistry.stop(name: name) }
        }
    }

    /// skopeo flags that trust this registry's CA (a directory holding only ca.crt).
    public func skopeoTLSFlags(prefix: String = "") throws -> [String] {
        guard let caFile else { return ["--\(prefix)tls-verify=false"] }
        let directory = try TestPaths.temporaryDirectory("skopeo-certs")
        try FileManager.default.copyItem(atPath: caFile, toPath: directory.appendingPathComponent("ca.crt").path)
        return ["--\(prefix)cert-dir", directory.path]
    }

    /// The manifest digest of `reference` as skopeo (an independent client) sees it.
    public func skopeoDigest(_ reference: String) throws -> String {
        var arguments = ["inspect", "--raw", "--creds", "\(username):\(password)"]
        if let caFile {
            // skopeo reads every *.crt/*.key pair in --cert-dir, so give it the CA alone.
            let directory = try TestPaths.temporaryDirectory("skopeo-certs")
            try FileManager.default.copyItem(atPath: caFile, toPath: directory.appendingPathComponent("ca.crt").path)
            arguments += ["--cert-dir", directory.path]
        } else {
            arguments.append("--tls-verify=false")
        }
        arguments.append("docker://\(host)/\(reference)")
        let result = try run("skopeo", arguments)
        guard result.status == 0 else { throw TestError("skopeo inspect failed: \(result.stderr)") }
        return "sha256:" + sha256Hex(Array(result.stdout.utf8))
    }
}

/// sha256 via the `sha256sum` tool: an independent check of airlock's own hashing.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    let result = try? run("sha256sum", [], input: Data(bytes))
    return result.map { String($0.stdout.prefix(64)) } ?? ""
}

/// The `airlock` executable built next to the test bundle.
public enum AirlockCLI {
    /// The memory bound a sanitized build is held to: ASan's shadow memory and quarantine add tens
    /// of MiB, so under a sanitizer (this test process is built like the binary) there is none.
    public static let peakRSSLimitKiB: Int = {
        let runtimes: [String] = ["__asan_init", "__tsan_init"]
        let sanitized = runtimes.contains { name in dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) != nil }
        return sanitized ? .max : 100 * 1024
    }()

    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["AIRLOCK_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("airlock").path
    }

    /// Runs airlock with a private, empty docker config unless `environment` says otherwise.
    public static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
        var merged = ProcessInfo.processInfo.environment
        if environment["DOCKER_CONFIG"] == nil {
            merged["DOCKER_CONFIG"] = try TestPaths.temporaryDirectory("empty-docker-config").path
        }
        merged.merge(environment) { $1 }
        return try TestSupport.run(path, arguments, input: input, environment: merged)
    }
}

/// Reproducible "random" moments to kill a process at: the same seed gives the same schedule,
/// so a failure names delays that can be replayed.
public enum KillSchedule {
    public static func delays(count: Int, upTo limit: Double, seed: UInt64) -> [String] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let fraction = Double(state >> 11) / Double(1 << 53)
            return String(format: "%.3f", 0.01 + fraction * limit)
        }
    }
}
