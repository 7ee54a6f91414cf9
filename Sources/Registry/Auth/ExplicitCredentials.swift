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
