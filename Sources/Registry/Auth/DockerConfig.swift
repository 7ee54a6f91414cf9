import Foundation
import OCI

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
    /// Directories searched for `docker-credential-*` instead of PATH (tests use it).
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
        try self.init(path: Self.path(environment: environment), helperSearchPath: helperSearchPath ?? environment["PATH"], helperTimeout: helperTimeout)
    }

    /// The one rule for where the file is, for reading and for `airlock login` alike:
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (docker's; `REGISTRY_AUTH_FILE`
    /// and containers' `auth.json` are neither read nor written).
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let directory = environment["DOCKER_CONFIG"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
        return directory + "/config.json"
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

    /// The key docker gives Docker Hub's credentials: its legacy v1 URL.
    public static let hubKey = "https://index.docker.io/v1/"

    /// Docker stores Hub credentials under its legacy v1 URL.
    static func configKey(for host: String) -> String {
        Reference.canonicalRegistry(host) == Reference.dockerHub ? hubKey : host
    }

    /// `https://host:5000/v1/` → `host:5000`, as docker matches `auths` keys.
    static func normalizedKey(_ key: String) -> String {
        if key == hubKey { return key }
        var text = Substring(key)
        for prefix in ["https://", "http://"] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
        }
        return configKey(for: String(Reference.splitRegistry(text).registry))
    }

    /// The `credHelpers` entry that owns `host`'s credential, looked up by its key, then its name.
    func helperName(for host: String) -> String? {
        file?.credHelpers?[Self.configKey(for: host)] ?? file?.credHelpers?[host]
    }

    /// The `credsStore` helper, when one is set.
    var storeName: String? {
        file?.credsStore.flatMap { $0.isEmpty ? nil : $0 }
    }

    func helper(_ name: String) -> CredentialHelper {
        CredentialHelper(name: name, searchPath: helperSearchPath, timeout: helperTimeout)
    }

    public func credential(for host: String) async throws -> Credential? {
        guard let file else { return nil }
        let key = Self.configKey(for: host)
        if let name = helperName(for: host) {
            return try await helper(name).get(serverURL: key)
        }
        if let auths = file.auths,
           let entry = auths.first(where: { Self.normalizedKey($0.key) == key })?.value {
            if let credential = try decode(entry, host: host) { return credential }
        }
        if let name = storeName {
            return try await helper(name).get(serverURL: key)
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
