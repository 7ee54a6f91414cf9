import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OCI

/// Talks the distribution API to one registry host.
/// https://github.com/opencontainers/distribution-spec/blob/main/spec.md
///
/// Every request goes through `send`, which owns retries, redirects and authentication;
/// the `+Pull`, `+Push` and `+Tags` files only say what to ask for.
public final class RegistryClient: Sendable {
    public let host: String
    let transport: RegistryTransport
    let session: HostSession

    init(host: String, transport: RegistryTransport) {
        self.host = host
        self.transport = transport
        self.session = HostSession(host: host)
    }

    var logger: Logger { transport.logger }

    /// Makes a request body from the first byte. Called once per attempt, so a retry, a
    /// re-authentication or a redirect sends the whole body again.
    typealias BodyFactory = @Sendable () async throws -> HTTPClientRequest.Body

    /// What a request is for: named in errors, and the token scopes it needs.
    struct Purpose: Sendable {
        let description: String
        let repository: String?
        let access: RegistryError.Access
        let scopes: [String]

        static func pull(_ what: String, _ repository: String) -> Purpose {
            Purpose(description: what, repository: repository, access: .read, scopes: ["repository:\(repository):pull"])
        }

        static func delete(_ what: String, _ repository: String) -> Purpose {
            Purpose(description: what, repository: repository, access: .delete, scopes: ["repository:\(repository):delete"])
        }

        static func push(_ what: String, _ repository: String, mountFrom: String? = nil) -> Purpose {
            var scopes = ["repository:\(repository):pull,push"]
            if let mountFrom, mountFrom != repository { scopes.append("repository:\(mountFrom):pull") }
            return Purpose(description: what, repository: repository, access: .write, scopes: scopes)
        }
    }

    /// Sends one logical request: authenticates on a 401 challenge, follows redirects (dropping
    /// Authorization when the origin changes), and retries transient failures per the retry policy.
    /// Returns the first response that is neither of those; the caller judges its status with `expect`.
    func send(
        _ method: HTTPMethod,
        _ pathOrURL: String,
        headers: HTTPHeaders = [:],
        body: BodyFactory? = nil,
        purpose: Purpose,
        retry: Bool = true
    ) async throws -> HTTPClientResponse {
        let base = try await baseURL()
        var url = pathOrURL.hasPrefix("http://") || pathOrURL.hasPrefix("https://") ? pathOrURL : base + pathOrURL
        var method = method
        var budget = RetryBudget(retry ? transport.options.retry : .none)
        var reauthenticated = false
        var redirects = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers = headers
            request.headers.replaceOrAdd(name: "User-Agent", value: transport.options.userAgent)
            // Credentials go only to the origin they were given for: an https → http redirect on
            // the same host would send them in clear text.
            let sameOrigin = URLParts.origin(of: url) == URLParts.origin(of: base)
            if sameOrigin, let authorization = try await session.authorization(for: purpose.scopes, client: self) {
                request.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            if let body { request.body = try await body() }

            let response: HTTPClientResponse
            do {
                response = try await transport.http.execute(request, deadline: .distantFuture, logger: nil)
            } catch let error as any DomainError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let failure = TransportFailure.classify(error, host: host)
                if failure.isRetryable, let delay = try await budget.backOff() {
                    logger.debug("\(method) \(URLParts.redacted(url)) failed (\(failure.reason)); retried after \(delay)")
                    continue
                }
                if failure.isRetryable, budget.attempt > 1 {
                    throw RegistryError.unreachable(host: host, reason: "\(failure.reason) (after \(budget.attempt) attempts)")
                }
                throw failure.error
            }
            let status = Int(response.status.code)
            logger.debug("\(method) \(URLParts.redacted(url)) → \(status)")

            if status == 401, sameOrigin, !reauthenticated {
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                await Self.discard(response)
                let sent = request.headers.first(name: "Authorization")?.hasPrefix("Basic ") ?? false
                if try await session.learn(challenges, for: purpose.scopes, sentAuthorization: sent, client: self) {
                    reauthenticated = true
                    continue
                }
                throw try await unauthorized(purpose, detail: nil)
            }
            if status == 401 {
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                let detail = await Self.errorSummary(response)
                let error = try await unauthorized(purpose, detail: detail)
                // Authenticated, but the token does not grant this: a denial, not a login problem.
                if case .unauthorized(_, _, true, _) = error, challenges.contains(where: { $0.parameters["error"] == "insufficient_scope" }) {
                    throw RegistryError.forbidden(host: host, repository: purpose.repository, access: purpose.access, detail: detail)
                }
                throw error
            }
            if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") {
                await Self.discard(response)
                redirects += 1
                guard redirects <= 10 else {
                    throw RegistryError.protocolViolation(host: host, reason: "more than 10 redirects for \(purpose.description)")
                }
                guard let next = URLParts.resolve(location, against: url) else {
                    throw RegistryError.protocolViolation(host: host, reason: "redirect to an invalid location")
                }
                if next.hasPrefix("http://"), !url.hasPrefix("http://"), !RegistryHost.allowsPlainHTTP(URLParts.authority(of: next) ?? "") {
                    throw RegistryError.protocolViolation(host: host, reason: "refusing a redirect from HTTPS to plain HTTP")
                }
                if status == 303 { method = .GET }
                url = next
                continue
            }
            if RetryPolicy.isRetryable(status: status) {
                let retryAfter = RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After"))
                let detail = await Self.errorSummary(response)
                if let delay = try await budget.backOff(retryAfter: retryAfter) {
                    logger.debug("\(method) \(URLParts.redacted(url)) → \(status); retried after \(delay)")
                    continue
                }
                if budget.attempt > 1 {
                    throw RegistryError.gaveUp(operation: purpose.description, host: host, lastStatus: status, attempts: budget.attempt)
                }
                throw RegistryError.unexpectedStatus(status, operation: purpose.description, host: host, detail: detail)
            }
            return response
        }
    }

    private func unauthorized(_ purpose: Purpose, detail: String?) async throws -> RegistryError {
        let hadCredentials = try await session.hasCredential(client: self)
        return .unauthorized(host: host, repository: purpose.repository, hadCredentials: hadCredentials, detail: detail)
    }

    /// What the caller does with the body of an expected response.
    enum BodyUse {
        /// Drained here, so the connection can be reused.
        case discard
        /// Read by the caller.
        case keep
    }

    /// Judges a response's status: one of `statuses` is returned (its body drained unless the
    /// caller keeps it); any other becomes the matching error, its body read once for the
    /// registry's own message. Every status check goes through here, so no body is read twice.
    @discardableResult
    func expect(
        _ response: HTTPClientResponse,
        _ statuses: Set<Int>,
        _ purpose: Purpose,
        notFound: String? = nil,
        body: BodyUse = .discard
    ) async throws -> Int {
        let status = Int(response.status.code)
        guard statuses.contains(status) else {
            let detail = await Self.errorSummary(response)
            switch status {
            case 401:
                throw try await unauthorized(purpose, detail: detail)
            case 403:
                throw RegistryError.forbidden(host: host, repository: purpose.repository, access: purpose.access, detail: detail)
            case 404 where purpose.access == .read:
                throw RegistryError.notFound(what: notFound ?? purpose.description, host: host, detail: detail)
            case 405 where purpose.access == .delete:
                throw RegistryError.deleteRefused(host: host, detail: detail)
            default:
                throw RegistryError.unexpectedStatus(status, operation: purpose.description, host: host, detail: detail)
            }
        }
        if body == .discard { await Self.discard(response) }
        return status
    }

    /// Checks that the registry answers (scheme, TLS, reachability) before any work starts,
    /// so those failures are one sentence instead of one per image.
    public func checkReachable() async throws {
        _ = try await baseURL()
    }

    /// `http` or `https`: how this registry is reached (what a mirror configuration must say).
    public func scheme() async throws -> String {
        try await baseURL().hasPrefix("http://") ? "http" : "https"
    }

    /// `scheme://host`, found by pinging `/v2/` once per client (HTTPS first; plain HTTP only for
    /// loopback/private hosts or with --plain-http).
    func baseURL() async throws -> String {
        try await session.baseURL(client: self)
    }

    /// One ping of `/v2/` at `scheme`; returns the challenges of a 401.
    func ping(scheme: String, retry: Bool) async throws -> [AuthChallenge] {
        let url = "\(scheme)://\(host)/v2/"
        var budget = RetryBudget(retry ? transport.options.retry : .none)
        while true {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: transport.options.userAgent)
            do {
                let response = try await transport.http.execute(request, deadline: .now() + .seconds(60), logger: nil)
                let status = Int(response.status.code)
                logger.debug("ping \(url) → \(status)")
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                await Self.discard(response)
                switch status {
                case 200..<300, 401, 403, 404:
                    return status == 401 ? challenges : []
                case _ where RetryPolicy.isRetryable(status: status):
                    if try await budget.backOff(retryAfter: RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After"))) != nil {
                        continue
                    }
                    if budget.attempt > 1 {
                        throw RegistryError.gaveUp(operation: "the API check GET /v2/", host: host, lastStatus: status, attempts: budget.attempt)
                    }
                    throw RegistryError.unexpectedStatus(status, operation: "the API check GET /v2/", host: host, detail: nil)
                case 400 where scheme == "http":
                    // What an HTTPS server answers to a plain HTTP request (Go: "Client sent an HTTP request to an HTTPS server").
                    throw RegistryError.speaksHTTPS(host: host)
                default:
                    throw RegistryError.unexpectedStatus(status, operation: "the API check GET /v2/ (\(scheme))", host: host, detail: nil)
                }
            } catch let error as RegistryError {
                throw error
            } catch {
                let failure = TransportFailure.classify(error, host: host)
                if failure.isRetryable, try await budget.backOff() != nil { continue }
                throw failure.error
            }
        }
    }

    /// Reads a whole (small) body, refusing more than `limit` bytes.
    static func collect(_ response: HTTPClientResponse, limit: Int, what: String, host: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw RegistryError.protocolViolation(host: host, reason: "\(what) is \(length) bytes, over the \(limit)-byte limit")
        }
        do {
            for try await chunk in response.body {
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw RegistryError.protocolViolation(host: host, reason: "\(what) is over the \(limit)-byte limit")
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as RegistryError {
            throw error
        } catch {
            throw TransportFailure.classify(error, host: host).error
        }
        return bytes
    }

    /// The registry's error body in one line, if it sent one (at most 64 KiB read). Reads the
    /// body: only `expect` and `send` call it, on a response nobody else reads.
    static func errorSummary(_ response: HTTPClientResponse) async -> String? {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                if bytes.count < 65536 { bytes.append(contentsOf: chunk.readableBytesView.prefix(65536 - bytes.count)) }
            }
        } catch {
            return nil
        }
        return RegistryErrorBody.summary(bytes)
    }

    /// Drains a body we do not need so the connection can be reused.
    static func discard(_ response: HTTPClientResponse) async {
        do {
            for try await _ in response.body {}
        } catch {
            // The connection is dropped instead of reused; nothing to report.
        }
    }
}
