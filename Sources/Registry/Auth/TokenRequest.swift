import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One exchange with a token server, per https://distribution.github.io/distribution/spec/auth/token/
/// (GET with Basic credentials) and .../auth/oauth/ (POST with a refresh token).
struct TokenRequest {
    let challenge: AuthChallenge
    let scopes: [String]
    let credential: Credential?
    let client: RegistryClient

    struct Reply: Decodable {
        let token: String?
        let access_token: String?
        let expires_in: Int?
    }

    func fetch() async throws -> HostSession.Token {
        guard let realm = challenge.realm, let authority = URLParts.authority(of: realm) else {
            throw RegistryError.protocolViolation(host: client.host, reason: "Bearer challenge without a usable realm")
        }
        if realm.hasPrefix("http://"), !RegistryHost.allowsPlainHTTP(authority) {
            throw RegistryError.authServer(realm: realm, reason: "it is plain HTTP on a public host; refusing to send credentials there")
        }
        let shown = URLParts.redacted(realm)
        let (outgoing, authorizer) = request(for: realm)
        var budget = RetryBudget(client.transport.options.retry)
        let answer: RegistryClient.Answer
        do {
            answer = try await client.exchange(outgoing, authorizer: authorizer, budget: &budget, what: "the token request to \(shown)", server: authority)
        } catch let error as RegistryError {
            throw Self.fromTokenServer(error, realm: shown)
        }
        let status = answer.status
        if status == 401 || status == 403 {
            await RegistryClient.discard(answer.response)
            throw RegistryError.unauthorized(host: client.host, repository: nil, hadCredentials: credential != nil, detail: "token server refused")
        }
        guard status == 200 else {
            let detail = await RegistryClient.errorSummary(answer.response)
            throw RegistryError.authServer(realm: shown, reason: Self.answered(status, detail: detail))
        }
        let bytes = try await RegistryClient.collect(answer.response, limit: 1 << 20, what: "the token response", host: authority, options: client.transport.options)
        guard let reply = try? JSONDecoderFactory.decode(Reply.self, from: bytes),
              let value = reply.token ?? reply.access_token, !value.isEmpty
        else {
            throw RegistryError.authServer(realm: shown, reason: "the reply holds no token")
        }
        // The spec's default lifetime is 60 s; renew 10 s early so a token never dies mid-request.
        let lifetime = Double(max(reply.expires_in ?? 60, 60))
        return HostSession.Token(value: value, expires: currentTime() + lifetime - 10)
    }

    /// The request for `realm`: a POST of the refresh token as a form, or a GET with the scopes in
    /// the query and the password as Basic credentials, which go to the realm's origin only.
    private func request(for realm: String) -> (RegistryRequest, RegistryClient.Authorizer) {
        if let refresh = credential?.identityToken {
            var form: [(String, String)] = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "airlock")]
            if let service = challenge.service { form.append(("service", service)) }
            form.append(contentsOf: scopes.map { ("scope", $0) })
            let encoded = ByteBuffer(string: String(URLParts.appending("", query: form).dropFirst()))
            let headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded"]
            return (RegistryRequest(.POST, realm, headers: headers, body: { .bytes(encoded) }, timeout: .seconds(60)), .anonymous)
        }
        var query: [(String, String)] = []
        if let service = challenge.service { query.append(("service", service)) }
        query.append(contentsOf: scopes.map { ("scope", $0) })
        if let credential { query.append(("account", credential.username)) }
        let request = RegistryRequest(.GET, URLParts.appending(realm, query: query), timeout: .seconds(60))
        let basic = credential?.basicAuthorization
        return (request, RegistryClient.Authorizer(origin: URLParts.origin(of: realm)) { basic })
    }

    /// A failure on the way to the token server, named after it: it is not the registry.
    static func fromTokenServer(_ error: RegistryError, realm: String) -> RegistryError {
        switch error {
        case .unreachable(_, let reason), .tls(_, let reason):
            .authServer(realm: realm, reason: reason)
        case .gaveUp(_, _, let status, let attempts):
            .authServer(realm: realm, reason: (status.map { answered($0, detail: nil) } ?? "failed") + " after \(attempts) attempts")
        case .unexpectedStatus(let status, _, _, let detail):
            .authServer(realm: realm, reason: answered(status, detail: detail))
        default:
            error
        }
    }

    static func answered(_ status: Int, detail: String?) -> String {
        "answered \(status)" + (detail.map { " [\($0)]" } ?? "")
    }
}
