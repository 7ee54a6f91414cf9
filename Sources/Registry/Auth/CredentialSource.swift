/// Where credentials for a registry host come from.
public protocol CredentialSource: Sendable {
    func credential(for host: String) async throws -> Credential?
}
