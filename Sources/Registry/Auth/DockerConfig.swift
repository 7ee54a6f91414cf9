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
