import AsyncHTTPClient
import OCI
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Owns the HTTP connection pool and hands out one `RegistryClient` per registry host,
/// so tokens and the HTTP/HTTPS decision are learned once per host.
public final class RegistryTransport: Sendable {
    let http: HTTPClient
    public let options: TransportOptions
    let credentials: any CredentialSource
    let logger: Logger
    private let clients = NIOLockedValueBox<[String: RegistryClient]>([:])

    public init(options: TransportOptions = .init(), credentials: any CredentialSource, logger: Logger) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !options.caFiles.isEmpty {
            tls.additionalTrustRoots = [.certificates(try options.caFiles.flatMap(CAFile.certificates))]
        }
        if options.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,  // followed by hand so Authorization never leaves its host
            timeout: .init(connect: options.connectTimeout, read: options.readTimeout, write: options.readTimeout),
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // Our RetryPolicy decides about retries; the pool's own silent reconnect loop would hide failures for the whole connect timeout.
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.options = options
        self.credentials = credentials
        self.logger = logger
    }

    /// The client for `host` (`name[:port]`), created on first use.
    public func client(for host: String) -> RegistryClient {
        clients.withLockedValue { clients in
            if let client = clients[host] { return client }
            let client = RegistryClient(host: host, transport: self)
            clients[host] = client
            return client
        }
    }

    /// Must be called once before the transport is dropped.
    public func shutdown() async {
        do {
            try await http.shutdown()
        } catch {
            logger.debug("HTTP client shutdown: \(error)")
        }
    }

    /// Runs `body` with a transport and always shuts it down afterwards.
    public static func with<T: Sendable>(
        options: TransportOptions = .init(),
        credentials: any CredentialSource,
        logger: Logger,
        _ body: (RegistryTransport) async throws -> T
    ) async throws -> T {
        let transport = try RegistryTransport(options: options, credentials: credentials, logger: logger)
        do {
            let result = try await body(transport)
            await transport.shutdown()
            return result
        } catch {
            await transport.shutdown()
            throw error
        }
    }
}
