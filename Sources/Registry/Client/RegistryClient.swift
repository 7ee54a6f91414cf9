import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OCI

/// Talks the distribution API to one registry host.
/// https://github.com/opencontainers/distribution-spec/blob/main/spec.md
///
/// Every request, the API check and token fetches included, reaches the network through
/// `exchange` (+Exchange: retries and redirects, one rule); `send` adds the registry's
/// authentication; `+Pull`, `+Push`, `+Tags`, `+Referrers` and `+Delete` only say what to ask for.
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

    /// Sends one logical request through `exchange` (retries and redirects) and authenticates on
    /// a 401 challenge from the registry's own origin, once. Returns the first answer that is
    /// neither; the caller judges its status with `expect`.
    func send(
        _ method: HTTPMethod,
        _ pathOrURL: String,
        headers: HTTPHeaders = [:],
        body: BodyFactory? = nil,
        purpose: Purpose,
        retry: Bool = true,
        streaming: Bool = false
    ) async throws -> HTTPClientResponse {
        let base = try await baseURL()
        let url = URLParts.isAbsolute(pathOrURL) ? pathOrURL : base + pathOrURL
        // A streamed upload takes as long as its bytes need; every other answer is due within the request timeout.
        let request = RegistryRequest(method, url, headers: headers, body: body, timeout: streaming ? nil : transport.options.requestTimeout)
        let authorizer = Authorizer(origin: URLParts.origin(of: base)) { [self] in
            try await session.authorization(for: purpose.scopes, client: self)
        }
        var budget = RetryBudget(retry ? transport.options.retry : .none)
        var answer = try await exchange(request, authorizer: authorizer, budget: &budget, what: purpose.description, server: host)
        if answer.status == 401, URLParts.origin(of: answer.url) == authorizer.origin {
            try await authenticate(after: answer, purpose)
            answer = try await exchange(request, authorizer: authorizer, budget: &budget, what: purpose.description, server: host)
        }
        if answer.status == 401 { throw try await refusal(answer.response, purpose) }
        return answer.response
    }
}
