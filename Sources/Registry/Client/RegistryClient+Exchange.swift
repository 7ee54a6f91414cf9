import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OCI

extension RegistryClient {
    /// More redirects than this for one request is a loop.
    static let redirectLimit = 10

    /// Where credentials may go and what they are. The header is asked for at each attempt, so a
    /// token that expired during a backoff is renewed.
    struct Authorizer: Sendable {
        /// `scheme://host[:port]` the credentials were given for; no other origin gets them.
        let origin: String?
        let header: @Sendable () async throws -> String?

        static let anonymous = Authorizer(origin: nil) { nil }
    }

    /// The answer a request ended with, and whether its last hop carried our credentials.
    struct Answer {
        let response: HTTPClientResponse
        let url: String
        let authorization: String?
        var status: Int { Int(response.status.code) }
    }

    /// What one attempt on the wire came to.
    private enum Attempt {
        case answered(HTTPClientResponse, authorization: String?)
        case failed(TransportFailure)
    }

    /// The one way a request reaches the network, for registry requests, the API check and token
    /// fetches alike: follows redirects (at most `redirectLimit`), retries transport failures and
    /// retryable statuses within `budget`, and returns the first other answer, a 401 included
    /// (authentication is the caller's). `what` and `server` name the request in errors.
    func exchange(
        _ request: RegistryRequest,
        authorizer: Authorizer,
        budget: inout RetryBudget,
        what: String,
        server: String
    ) async throws -> Answer {
        var request = request
        var redirects = 0
        while true {
            switch try await attempt(request, authorizer: authorizer, server: server) {
            case .failed(let failure):
                try await backOff(after: failure, budget: &budget, request: request, server: server)
            case .answered(let response, let authorization):
                let status = Int(response.status.code)
                if RegistryRequest.redirectStatuses.contains(status), let location = response.headers.first(name: "Location") {
                    await Self.discard(response)
                    redirects += 1
                    guard redirects <= Self.redirectLimit else {
                        throw RegistryError.redirectLoop(host: server, request: what, limit: Self.redirectLimit, last: URLParts.redacted(URLParts.resolve(location, against: request.url) ?? location))
                    }
                    request = try request.redirected(status, to: location, host: server)
                } else if RetryPolicy.isRetryable(status: status) {
                    try await backOff(after: response, budget: &budget, request: request, what: what, server: server)
                } else {
                    return Answer(response: response, url: request.url, authorization: authorization)
                }
            }
        }
    }

    /// One hop on the wire, with the caller's headers the rule allows for its URL and our
    /// credentials only at their origin (not to object storage, not over an https → http redirect).
    private func attempt(_ request: RegistryRequest, authorizer: Authorizer, server: String) async throws -> Attempt {
        var http = HTTPClientRequest(url: request.url)
        http.method = request.method
        http.headers = request.headersForURL
        http.headers.replaceOrAdd(name: "User-Agent", value: transport.options.userAgent)
        let authorization = URLParts.origin(of: request.url) == authorizer.origin ? try await authorizer.header() : nil
        if let authorization { http.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        if let body = request.body { http.body = try await body() }
        let deadline = request.timeout.map { NIODeadline.now() + $0 } ?? .distantFuture
        do {
            let response = try await transport.http.execute(http, deadline: deadline, logger: nil)
            logger.debug("\(request.method) \(URLParts.redacted(request.url)) → \(response.status.code)")
            return .answered(response, authorization: authorization)
        } catch let error as any DomainError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch where Task.isCancelled {
            // The HTTP client reports a cancelled task as its own error: it is still a cancellation.
            throw CancellationError()
        } catch {
            return .failed(TransportFailure.classify(error, host: server))
        }
    }

    /// Waits before the next attempt after a failure without a response, or throws it.
    private func backOff(after failure: TransportFailure, budget: inout RetryBudget, request: RegistryRequest, server: String) async throws {
        if failure.isRetryable, let delay = try await budget.backOff() {
            logger.debug("\(request.method) \(URLParts.redacted(request.url)) failed (\(failure.reason)); retried after \(delay)")
            return
        }
        if failure.isRetryable, budget.attempt > 1 {
            throw RegistryError.unreachable(host: server, reason: "\(failure.reason) (after \(budget.attempt) attempts)")
        }
        throw failure.error
    }

    /// Waits before the next attempt after a retryable status (honouring `Retry-After`), or throws
    /// the status as an error, the registry's message read once.
    private func backOff(after response: HTTPClientResponse, budget: inout RetryBudget, request: RegistryRequest, what: String, server: String) async throws {
        let status = Int(response.status.code)
        let retryAfter = RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After"))
        let detail = await Self.errorSummary(response)
        if let delay = try await budget.backOff(retryAfter: retryAfter) {
            logger.debug("\(request.method) \(URLParts.redacted(request.url)) → \(status); retried after \(delay)")
            return
        }
        if budget.attempt > 1 {
            throw RegistryError.gaveUp(operation: what, host: server, lastStatus: status, attempts: budget.attempt)
        }
        throw RegistryError.unexpectedStatus(status, operation: what, host: server, detail: detail)
    }
}
