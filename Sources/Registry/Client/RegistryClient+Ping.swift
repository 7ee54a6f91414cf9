import Foundation
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

    /// Whether an answer to GET /v2/ is a registry's (distribution spec: 200, or 401 with a challenge;
    /// every registry seen sends `Docker-Distribution-API-Version`), or else what it answered
    /// ("404 text/html"). Lenient where registries differ: a 2xx, 401 or 403 in JSON or with no body
    /// type counts; a 404, an HTML page or a redirect that ends elsewhere does not.
    static func notARegistry(_ status: Int, headers: HTTPHeaders, challenges: [AuthChallenge]) -> String? {
        if headers.first(name: "Docker-Distribution-API-Version") != nil { return nil }
        if status == 401, challenges.contains(where: { $0.scheme == .basic || $0.scheme == .bearer }) { return nil }
        let type = headers.first(name: "Content-Type").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        if [200, 201, 202, 204, 401, 403].contains(status), type == nil || type!.hasSuffix("json") { return nil }
        // A failing or busy server, and the plain-HTTP-to-HTTPS answer, are told apart below.
        guard status != 400, status != 429, status < 500 else { return nil }
        return "\(status)" + (type.map { " \($0)" } ?? "")
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
        if let refusal = Self.notARegistry(answer.status, headers: answer.response.headers, challenges: challenges) {
            throw RegistryError.notARegistry(host: host, answer: refusal)
        }
        switch answer.status {
        case 200..<300, 401, 403:
            return answer.status == 401 ? challenges : []
        case 400 where scheme == "http":
            // What an HTTPS server answers to a plain HTTP request (Go: "Client sent an HTTP request to an HTTPS server").
            throw RegistryError.speaksHTTPS(host: host)
        default:
            throw RegistryError.unexpectedStatus(answer.status, operation: "\(what) (\(scheme))", host: host, detail: nil)
        }
    }
}
