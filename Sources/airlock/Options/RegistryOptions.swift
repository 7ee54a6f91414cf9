import ArgumentParser
import Airlock
import Foundation
import Logging
import Registry

/// How to reach registries: credentials, and the connection (`ConnectionOptions`), shared by every
/// command that talks to one.
struct RegistryOptions: ParsableArguments {
    @Option(help: "Username for the registry named on the command line (other registries use docker config).")
    var username: String?

    @Flag(help: "Read the password for --username from standard input.")
    var passwordStdin = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if passwordStdin, username == nil {
            throw ValidationError("--password-stdin needs --username")
        }
        if username != nil, !passwordStdin {
            throw ValidationError("--username needs --password-stdin (passwords are never taken as arguments)")
        }
    }

    /// Explicit credentials (for `hosts` only) first, then docker's config and helpers.
    func credentials(for hosts: Set<String>) async throws -> any CredentialSource {
        var sources: [any CredentialSource] = []
        if let username, passwordStdin {
            let password = try await SecretInput.standardInput()
            sources.append(ExplicitCredentials(Credential(username: username, password: password), hosts: hosts))
        }
        sources.append(try DockerConfig())
        return ChainedCredentials(sources)
    }

    /// Runs `body` with a transport for these options, shutting it down afterwards. `schemes`
    /// holds the scheme a `--to https://REG` named for its host.
    func withTransport<T: Sendable>(
        hosts: Set<String>,
        schemes: [String: String] = [:],
        chunkSize: Int? = nil,
        logger: Logger,
        _ body: (RegistryTransport) async throws -> T
    ) async throws -> T {
        let credentials = try await credentials(for: hosts)
        var options = try connection.transportOptions()
        options.schemes = schemes
        options.chunkSize = chunkSize
        return try await RegistryTransport.with(options: options, credentials: credentials, logger: logger, body)
    }
}
