import Airlock
import ArgumentParser
import Foundation
import Logging
import OCI
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

    @Option(help: "Retries of a request that failed with 429, 5xx or a dropped connection (backoff honours Retry-After).")
    var retries: Int = 5

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

/// Logging and output shape, shared by every command.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log what happens (repeat for debug detail).")
    var verbose: Int

    @Flag(name: .shortAndLong, help: "Print only errors and the result.")
    var quiet = false

    var logger: Logger {
        let level: Logger.Level = quiet ? .error : (verbose >= 2 ? .debug : verbose == 1 ? .info : .warning)
        var logger = Logger(label: "airlock") { label in
            StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level
        return logger
    }
}

/// The one writer of stdout (results) and stderr (sentences, progress). A reader that went away
/// (`airlock tags … | head -1`) ends airlock quietly with 141, as a shell reports for git.
enum Output {
    static func line(_ text: String) {
        write(Data((printable(text) + "\n").utf8), to: STDOUT_FILENO)
    }

    /// One line on stderr (already printable, or made so by the caller).
    static func error(_ text: String) {
        write(Data((text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Raw bytes on stderr (status-line redraws).
    static func status(_ text: String) {
        write(Data(text.utf8), to: STDERR_FILENO)
    }

    /// Writes every byte, retrying short writes and EINTR. A closed pipe ends the process: there is
    /// no one left to tell. Any other failure of stdout is a sentence on stderr and exit 6.
    static func write(_ data: Data, to fd: Int32) {
        let failure: Int32? = data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let failure else { return }
        if failure == EPIPE { Foundation.exit(ExitStatus.closedOutput.rawValue) }
        if fd == STDOUT_FILENO {
            error("airlock: cannot write the result to standard output: \(String(cString: strerror(failure)))")
            Foundation.exit(ExitStatus.io.rawValue)
        }
        // stderr itself failed: nothing is left to report on.
    }

    /// A pattern term that matched no tag, on stderr (results stay on stdout).
    @Sendable static func warning(unmatched term: String) {
        error("airlock: warning: \(printable(term)) matches no tag (a typo? --strict makes this an error)")
    }

    /// An image a local chart's values name that the bundle lacks, on stderr.
    @Sendable static func warning(chartImage text: String) {
        error("airlock: warning: \(printable(text))")
    }

    /// An upstream registry whose repositories were renamed: only per-repository mirror files map it.
    @Sendable static func warning(renamedMirrorHost host: String) {
        error("airlock: warning: \(printable(host))'s repositories were renamed on the way (--strip-components or --name-template), so no containerd hosts.toml or EKS Anywhere namespace can map it; registries.conf and the OpenShift mirror sets do")
    }

    /// Names come from bundles and registries, which may be hostile: control characters (terminal
    /// escapes, carriage returns, newlines that forge a second result line) are shown escaped.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func json<T: Encodable>(_ value: T) throws {
        write(Data(try CanonicalJSON.pretty(value)), to: STDOUT_FILENO)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        guard let width = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
