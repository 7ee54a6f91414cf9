import Foundation
import Logging
import Registry

/// `airlock login` and `logout`: a credential proven against the registry, then kept where every
/// command reads credentials (`DockerConfig`: its file, `credHelpers` or `credsStore`), or
/// forgotten there.
public struct RegistryLogin: Sendable {
    public let target: LoginTarget

    public init(target: LoginTarget) { self.target = target }

    /// What a login did.
    public struct Outcome: Sendable {
        /// Where the credential now is.
        public let store: CredentialStore
        /// False when the registry asked for no credentials, so it could not check them.
        public let checked: Bool
    }

    /// Checks `credential` with GET /v2/ (that credential alone, never one already stored), then
    /// stores it. A refusal stores nothing.
    public func login(_ credential: Credential, options: TransportOptions, logger: Logger) async throws -> Outcome {
        // Read first: a broken config is refused before the registry is asked.
        let config = try DockerConfig()
        var options = options
        if let scheme = target.scheme { options.schemes[target.host] = scheme }
        let only = ExplicitCredentials(credential, hosts: [target.host])
        let checked = try await RegistryTransport.with(options: options, credentials: only, logger: logger) { transport in
            try await transport.client(for: target.host).checkLogin(username: credential.username)
        }
        return Outcome(store: try await config.store(credential, for: target.host), checked: checked)
    }

    /// Forgets the registry's credential; where it was found (none: there was no login).
    public func logout() async throws -> [CredentialStore] {
        try await DockerConfig().erase(for: target.host)
    }
}
