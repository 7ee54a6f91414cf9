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
