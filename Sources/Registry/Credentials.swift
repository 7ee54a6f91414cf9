import Foundation
import NIOConcurrencyHelpers
import OCI

/// A secret for one registry. `description` never shows it.
public struct Credential: Sendable, Hashable, CustomStringConvertible {
    public let username: String
    public let password: String
    /// An OAuth2 refresh token (docker's `identitytoken`), used instead of the password at token servers.
    public let identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    public var description: String { "Credential(username: \(username), secret: <redacted>)" }

    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Where credentials for a registry host come from.
public protocol CredentialSource: Sendable {
    func credential(for host: String) async throws -> Credential?
}

/// Credentials given on the command line, for the hosts they were given for only:
/// a password typed for the target registry is never sent to a source registry.
public struct ExplicitCredentials: CredentialSource {
    let credential: Credential
    let hosts: Set<String>

    public init(_ credential: Credential, hosts: Set<String>) {
        self.credential = credential
        self.hosts = hosts
    }

    public func credential(for host: String) async throws -> Credential? {
        hosts.contains(host) || hosts.contains(DockerConfig.configKey(for: host)) ? credential : nil
    }
}

/// Tries each source in order; the first that has a credential wins.
public struct ChainedCredentials: CredentialSource {
    let sources: [any CredentialSource]

    public init(_ sources: [any CredentialSource]) { self.sources = sources }

    public func credential(for host: String) async throws -> Credential? {
        for source in sources {
            if let credential = try await source.credential(for: host) { return credential }
        }
        return nil
    }
}

/// `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`): `auths`, `credHelpers`, `credsStore`.
/// https://docs.docker.com/reference/cli/docker/login/#credential-stores
public struct DockerConfig: CredentialSource {
    struct File: Decodable {
        struct Auth: Decodable {
            let auth: String?
            let username: String?
            let password: String?
            let identitytoken: String?
        }
        let auths: [String: Auth]?
        let credHelpers: [String: String]?
        let credsStore: String?
    }

    let file: File?
    let path: String
    /// Extra directories searched for `docker-credential-*` before PATH (tests use it).
    let helperSearchPath: String?
    /// How long a credential helper may take to answer.
    let helperTimeout: Duration
    public static let defaultHelperTimeout: Duration = .seconds(30)

    /// Loads the config docker would use. A missing file means no credentials; a broken one is an error.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        helperSearchPath: String? = nil,
        helperTimeout: Duration = DockerConfig.defaultHelperTimeout
    ) throws {
        let directory = environment["DOCKER_CONFIG"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        try self.init(path: directory + "/config.json", helperSearchPath: helperSearchPath ?? environment["PATH"], helperTimeout: helperTimeout)
    }

    public init(path: String, helperSearchPath: String? = nil, helperTimeout: Duration = DockerConfig.defaultHelperTimeout) throws {
        self.path = path
        self.helperSearchPath = helperSearchPath
        self.helperTimeout = helperTimeout
        guard let data = FileManager.default.contents(atPath: path) else {
            file = nil
            return
        }
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw RegistryError.badConfiguration("docker config \(path) is not valid JSON; fix or remove it")
        }
    }

    /// Docker stores Hub credentials under its legacy v1 URL.
    static func configKey(for host: String) -> String {
        host == "index.docker.io" || host == "docker.io" || host == "registry-1.docker.io"
            ? "https://index.docker.io/v1/" : host
    }

    /// `https://host:5000/v1/` → `host:5000`, as docker matches `auths` keys.
    static func normalizedKey(_ key: String) -> String {
        if key == "https://index.docker.io/v1/" { return key }
        var text = Substring(key)
        for prefix in ["https://", "http://"] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
        }
        return String(Reference.splitRegistry(text).registry)
    }

    public func credential(for host: String) async throws -> Credential? {
        guard let file else { return nil }
        let key = Self.configKey(for: host)
        if let helper = file.credHelpers?[key] ?? file.credHelpers?[host] {
            return try await CredentialHelper(name: helper, searchPath: helperSearchPath, timeout: helperTimeout).get(serverURL: key)
        }
        if let auths = file.auths,
           let entry = auths.first(where: { Self.normalizedKey($0.key) == key })?.value {
            if let credential = try decode(entry, host: host) { return credential }
        }
        if let store = file.credsStore, !store.isEmpty {
            return try await CredentialHelper(name: store, searchPath: helperSearchPath, timeout: helperTimeout).get(serverURL: key)
        }
        return nil
    }

    private func decode(_ entry: File.Auth, host: String) throws -> Credential? {
        if let auth = entry.auth, !auth.isEmpty {
            guard let data = Data(base64Encoded: auth),
                  let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":")
            else {
                throw RegistryError.badConfiguration("the auth entry for \(host) in \(path) is not base64 of user:password")
            }
            return Credential(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]), identityToken: entry.identitytoken)
        }
        if let username = entry.username, let password = entry.password {
            return Credential(username: username, password: password, identityToken: entry.identitytoken)
        }
        if let token = entry.identitytoken {
            return Credential(username: "<token>", password: "", identityToken: token)
        }
        return nil
    }
}

/// Runs `docker-credential-NAME get` with the server URL on stdin.
/// Protocol: https://github.com/docker/docker-credential-helpers#development
struct CredentialHelper {
    let name: String
    let searchPath: String?
    /// A helper that has not answered by then (a keychain prompt nobody sees, a hung agent) is killed.
    var timeout: Duration = DockerConfig.defaultHelperTimeout

    struct Reply: Decodable {
        let Username: String
        let Secret: String
    }

    func get(serverURL: String) async throws -> Credential? {
        let program = "docker-credential-\(name)"
        guard let executable = locate(program) else {
            throw RegistryError.credentialHelper(helper: name, reason: "\(program) is not on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let run = try HelperRun(process: process, helper: name)
        try await start(process, executable: executable)
        let (status, stdout) = try await run.finish(input: Data(serverURL.utf8), timeout: timeout, helper: name)
        let text = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            // Helpers print "credentials not found in native keychain" for an unknown server.
            if text.lowercased().contains("not found") { return nil }
            throw RegistryError.credentialHelper(helper: name, reason: "exited with status \(status)")
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: stdout) else {
            throw RegistryError.credentialHelper(helper: name, reason: "its answer is not the expected JSON")
        }
        if reply.Username == "<token>" {
            return Credential(username: "<token>", password: "", identityToken: reply.Secret)
        }
        return Credential(username: reply.Username, password: reply.Secret)
    }

    /// Starts the helper. Linux refuses to run a file that some process still holds open for
    /// writing (ETXTBSY), which happens for a moment while a helper is being installed or
    /// updated; that is retried briefly rather than reported.
    private func start(_ process: Process, executable: String) async throws {
        for attempt in 1...5 {
            do {
                try HelperPipe.spawning.withLock { try process.run() }
                return
            } catch let error as NSError where error.domain == NSPOSIXErrorDomain && error.code == Int(ETXTBSY) && attempt < 5 {
                try await Task.sleep(for: .milliseconds(20 * attempt))
            } catch {
                throw RegistryError.credentialHelper(helper: name, reason: "could not start \(executable)")
            }
        }
    }

    private func locate(_ program: String) -> String? {
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
