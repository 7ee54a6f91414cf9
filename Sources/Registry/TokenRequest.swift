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
        var request: HTTPClientRequest
        if let refresh = credential?.identityToken {
            request = HTTPClientRequest(url: realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            var form: [(String, String)] = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "airlock")]
            if let service = challenge.service { form.append(("service", service)) }
            form.append(contentsOf: scopes.map { ("scope", $0) })
            let encoded = String(URLParts.appending("", query: form).dropFirst())
            request.body = .bytes(ByteBuffer(string: encoded))
        } else {
            var query: [(String, String)] = []
            if let service = challenge.service { query.append(("service", service)) }
            query.append(contentsOf: scopes.map { ("scope", $0) })
            if let credential { query.append(("account", credential.username)) }
            request = HTTPClientRequest(url: URLParts.appending(realm, query: query))
            if let credential { request.headers.add(name: "Authorization", value: credential.basicAuthorization) }
        }
        request.headers.add(name: "User-Agent", value: client.transport.options.userAgent)
        let response: HTTPClientResponse
        do {
            response = try await client.transport.http.execute(request, deadline: .now() + .seconds(60), logger: nil)
        } catch {
            throw RegistryError.authServer(realm: URLParts.redacted(realm), reason: TransportFailure.classify(error, host: authority).reason)
        }
        let status = Int(response.status.code)
        client.logger.debug("token \(URLParts.redacted(realm)) → \(status)")
        if status == 401 || status == 403 {
            await RegistryClient.discard(response)
            throw RegistryError.unauthorized(host: client.host, repository: nil, hadCredentials: credential != nil, detail: "token server refused")
        }
        guard status == 200 else {
            let detail = await RegistryClient.errorSummary(response)
            throw RegistryError.authServer(realm: URLParts.redacted(realm), reason: "answered \(status)" + (detail.map { " [\($0)]" } ?? ""))
        }
        let bytes = try await RegistryClient.collect(response, limit: 1 << 20, what: "the token response", host: authority)
        guard let reply = try? JSONDecoderFactory.decode(Reply.self, from: bytes),
              let value = reply.token ?? reply.access_token, !value.isEmpty
        else {
            throw RegistryError.authServer(realm: URLParts.redacted(realm), reason: "the reply holds no token")
        }
        // The spec's default lifetime is 60 s; renew 10 s early so a token never dies mid-request.
        let lifetime = Double(max(reply.expires_in ?? 60, 60))
        return HostSession.Token(value: value, expires: currentTime() + lifetime - 10)
    }
}
