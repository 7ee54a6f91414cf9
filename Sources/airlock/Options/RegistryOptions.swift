import ArgumentParser
import Airlock
import Foundation
import Logging
import Registry

/// How to reach registries: credentials and TLS, shared by every command that talks to one.
struct RegistryOptions: ParsableArguments {
    @Option(help: "Username for the registry named on the command line (other registries use docker config).")
    var username: String?

    @Flag(help: "Read the password for --username from standard input.")
    var passwordStdin = false

    @Flag(help: "Use plain HTTP instead of HTTPS for every registry.")
    var plainHTTP = false

    @Option(help: "PEM file of extra CA certificates to trust (repeatable: all are trusted).", completion: .file())
    var caFile: [String] = []

    @Flag(help: "Do not verify registry TLS certificates (dangerous).")
    var insecureSkipTLSVerify = false

    @Option(parsing: .unconditional, help: "Retries of a request that failed with 429, 5xx or a dropped connection (backoff honours Retry-After).")
    var retries: Int = 5

    @Option(help: "Seconds a registry may take to answer a request: its head, and a manifest, tag page or token whole (blob transfers keep --min-rate instead).")
    var requestTimeout: Int = 300

    @Option(help: "Slowest a blob may arrive, in bytes a second averaged over a minute (K, M suffixes); slower is resumed, then refused.")
    var minRate: String = "1K"

    func validate() throws {
        if passwordStdin, username == nil {
            throw ValidationError("--password-stdin needs --username")
        }
        if username != nil, !passwordStdin {
            throw ValidationError("--username needs --password-stdin (passwords are never taken as arguments)")
        }
        if !(0...20).contains(retries) {
            throw ValidationError("--retries must be between 0 and 20")
        }
        if !(1...86400).contains(requestTimeout) {
            throw ValidationError("--request-timeout must be between 1 and 86400 seconds")
        }
        _ = try ByteSize.parse(minRate, option: "--min-rate")
        if plainHTTP, !caFile.isEmpty || insecureSkipTLSVerify {
            throw ValidationError("--plain-http cannot be combined with --ca-file or --insecure-skip-tls-verify")
        }
    }

    var transportOptions: TransportOptions {
        var options = TransportOptions()
        options.plainHTTP = plainHTTP
        options.caFiles = caFile
        options.insecureSkipTLSVerify = insecureSkipTLSVerify
        options.retry.maxAttempts = retries + 1
        options.requestTimeout = .seconds(Int64(requestTimeout))
        // Checked in validate().
        options.minimumRate = (try? ByteSize.parse(minRate, option: "--min-rate")) ?? options.minimumRate
        return options
    }

    /// Explicit credentials (for `hosts` only) first, then docker's config and helpers.
    func credentials(for hosts: Set<String>) throws -> any CredentialSource {
        var sources: [any CredentialSource] = []
        if let username, passwordStdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            var password = String(decoding: data, as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            guard !password.isEmpty else { throw ValidationError("--password-stdin read an empty password") }
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
        logger: Logger,
        _ body: (RegistryTransport) async throws -> T
    ) async throws -> T {
        let credentials = try credentials(for: hosts)
        var options = transportOptions
        options.schemes = schemes
        return try await RegistryTransport.with(options: options, credentials: credentials, logger: logger, body)
    }
}
