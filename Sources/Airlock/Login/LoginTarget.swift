import OCI
import Registry

/// The registry `airlock login` and `logout` name: a host, optionally after `https://` or
/// `http://` (which fix the scheme of the login check, not the key it is stored under). Docker
/// Hub's names (`docker.io`, `registry-1.docker.io`, docker's key `https://index.docker.io/v1/`)
/// are one registry.
public struct LoginTarget: Sendable, Hashable {
    public let host: String
    public let scheme: String?

    public init(parsing text: String) throws(AirlockError) {
        if text == DockerConfig.hubKey {
            self.init(host: Reference.dockerHub, scheme: "https")
            return
        }
        guard let (scheme, location) = SchemePrefix.split(text) else {
            throw .usage("\(text): airlock login takes a registry host such as registry.example.com:5000, optionally after https:// or http://")
        }
        let name = location.hasSuffix("/") ? location.dropLast() : location
        guard !name.isEmpty else { throw .usage("airlock login needs a registry host, such as registry.example.com:5000") }
        guard !name.contains("/") else {
            throw .usage("\(text): a login belongs to a whole registry, not to a repository; name the host alone (\(name.split(separator: "/")[0]))")
        }
        let host = Reference.canonicalRegistry(String(name))
        do {
            _ = try Reference(registry: host, repository: "probe")
        } catch {
            throw .usage("\(text): \(error.description)")
        }
        self.init(host: host, scheme: scheme)
    }

    private init(host: String, scheme: String?) {
        self.host = host
        self.scheme = scheme
    }
}
