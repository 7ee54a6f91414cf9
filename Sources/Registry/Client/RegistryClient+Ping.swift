import NIOCore
import NIOHTTP1

/// The API check: which scheme the registry speaks and how it wants to be authenticated.
extension RegistryClient {
    /// Checks that the registry answers (scheme, TLS, reachability) before any work starts,
    /// so those failures are one sentence instead of one per image.
    public func checkReachable() async throws {
        _ = try await baseURL()
    }

    /// `airlock login`'s check: GET /v2/ authenticated as every request is (Basic, or a Bearer token
    /// fetched with the credentials and no scope, as docker login does). A refusal is
    /// `loginRefused`. Returns false when the registry asked for no credentials at all, so that
    /// none were checked.
    public func checkLogin(username: String) async throws -> Bool {
        let purpose = Purpose(description: "the login check GET /v2/", repository: nil, access: .read, scopes: [])
        do {
            let response = try await send(.GET, "/v2/", purpose: purpose)
            try await expect(response, [200], purpose)
        } catch RegistryError.unauthorized(_, _, _, let detail) {
            throw RegistryError.loginRefused(host: host, username: username, detail: detail)
        }
        return await session.asksForCredentials
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

    /// One ping of `/v2/` at `scheme`, through the same retries and redirects as every request;
    /// returns the challenges of a 401.
    func ping(scheme: String, retry: Bool) async throws -> [AuthChallenge] {
        let what = "the API check GET /v2/"
        let request = RegistryRequest(.GET, "\(scheme)://\(host)/v2/", timeout: .seconds(60))
        var budget = RetryBudget(retry ? transport.options.retry : .none)
        let answer = try await exchange(request, authorizer: .anonymous, budget: &budget, what: what, server: host)
        let challenges = answer.response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
        await Self.discard(answer.response)
        switch answer.status {
        case 200..<300, 401, 403, 404:
            return answer.status == 401 ? challenges : []
        case 400 where scheme == "http":
            // What an HTTPS server answers to a plain HTTP request (Go: "Client sent an HTTP request to an HTTPS server").
            throw RegistryError.speaksHTTPS(host: host)
        default:
            throw RegistryError.unexpectedStatus(answer.status, operation: "\(what) (\(scheme))", host: host, detail: nil)
        }
    }
}
