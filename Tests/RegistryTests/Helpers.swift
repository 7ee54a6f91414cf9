import Foundation
import Logging
import NIOCore
import OCI
import Registry
import TestSupport

/// No credentials anywhere (not even the developer's own docker config).
struct NoCredentials: CredentialSource {
    func credential(for host: String) async throws -> Credential? { nil }
}

struct FixedCredentials: CredentialSource {
    let credential: Credential
    func credential(for host: String) async throws -> Credential? { credential }
}

var testLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = ProcessInfo.processInfo.environment["AIRLOCK_TEST_DEBUG"] != nil ? .debug : .critical
    return logger
}

/// Fast retries so fault tests finish quickly.
let fastRetry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxTotalDelay: .seconds(5), jitter: { 1.0 })

func withClient<T: Sendable>(
    _ host: String,
    credentials: any CredentialSource = NoCredentials(),
    configure: (inout TransportOptions) -> Void = { _ in },
    _ body: (RegistryClient) async throws -> T
) async throws -> T {
    var options = TransportOptions()
    options.retry = fastRetry
    configure(&options)
    return try await RegistryTransport.with(options: options, credentials: credentials, logger: testLogger) { transport in
        try await body(transport.client(for: host))
    }
}

/// Collects a blob through the streaming API.
func pullBlob(_ client: RegistryClient, _ descriptor: Descriptor, repository: String) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    try await client.blob(descriptor, repository: repository) { bytes.append(contentsOf: $0.readableBytesView) }
    return bytes
}

/// Deterministic pseudo-random bytes.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 42) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The seeded tag → digest table from seed.py's JSON.
    var seededTags: [String: String] { self["tags"] as? [String: String] ?? [:] }
}
