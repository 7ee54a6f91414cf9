import ArgumentParser
import Airlock
import Registry

/// How to connect to registries: scheme, TLS, retries and deadlines, shared by every command that
/// talks to one (inside `RegistryOptions`, or alone where the credential comes otherwise: `login`).
struct ConnectionOptions: ParsableArguments {
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
        if !(0...20).contains(retries) {
            throw ValidationError("--retries must be between 0 and 20")
        }
        if !(1...86400).contains(requestTimeout) {
            throw ValidationError("--request-timeout must be between 1 and 86400 seconds")
        }
        _ = try transportOptions()  // --min-rate's size, refused before any work
        if plainHTTP, !caFile.isEmpty || insecureSkipTLSVerify {
            throw ValidationError("--plain-http cannot be combined with --ca-file or --insecure-skip-tls-verify")
        }
    }

    func transportOptions() throws(AirlockError) -> TransportOptions {
        var options = TransportOptions()
        options.plainHTTP = plainHTTP
        options.caFiles = caFile
        options.insecureSkipTLSVerify = insecureSkipTLSVerify
        options.retry.maxAttempts = retries + 1
        options.requestTimeout = .seconds(Int64(requestTimeout))
        options.minimumRate = try ByteSize.parse(minRate, option: "--min-rate")
        return options
    }
}
