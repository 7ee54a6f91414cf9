import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One request as its caller asked for it, and as each redirect rewrites it (RFC 9110 §15.4).
/// The caller's headers were given for the origin it named; another origin gets only the
/// portable ones, so a redirect to object storage carries nothing of the registry's.
struct RegistryRequest: Sendable {
    private(set) var method: HTTPMethod
    private(set) var url: String
    /// What the caller set, meant for `origin`.
    private(set) var headers: HTTPHeaders
    private(set) var body: RegistryClient.BodyFactory?
    /// `scheme://host[:port]` of the URL the caller named.
    let origin: String?
    /// How long one attempt may take; nil lets a long body stream for as long as it flows.
    let timeout: TimeAmount?

    /// The statuses that send a request elsewhere; a 3xx without `Location` is an answer.
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]
    /// Headers that say nothing about the caller or its registry: what may come back, and which part.
    static let portableHeaders: Set<String> = ["accept", "range"]

    init(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: RegistryClient.BodyFactory? = nil, timeout: TimeAmount? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.origin = URLParts.origin(of: url)
        self.timeout = timeout
    }

    /// The caller's headers for the current URL: all of them at its origin, the portable ones elsewhere.
    var headersForURL: HTTPHeaders {
        guard URLParts.origin(of: url) != origin else { return headers }
        return HTTPHeaders(headers.filter { Self.portableHeaders.contains($0.name.lowercased()) })
    }

    /// The request a redirect with `status` to `location` asks for. 303 fetches the new location
    /// with GET (HEAD stays HEAD) and without the old body or the headers describing it; 301, 302,
    /// 307 and 308 repeat the method and, from the body factory, the whole body (RFC 9110 lets
    /// 301 and 302 keep a POST; registries redirect only GET and HEAD that way). `host` names the
    /// server in errors.
    func redirected(_ status: Int, to location: String, host: String) throws(RegistryError) -> RegistryRequest {
        guard let next = URLParts.resolve(location, against: url) else {
            throw RegistryError.protocolViolation(host: host, reason: "redirect to an invalid location")
        }
        if next.hasPrefix("http://"), !url.hasPrefix("http://"), !RegistryHost.allowsPlainHTTP(URLParts.authority(of: next) ?? "") {
            throw RegistryError.protocolViolation(host: host, reason: "refusing a redirect from HTTPS to plain HTTP")
        }
        var request = self
        request.url = next
        if status == 303, method != .HEAD {
            request.method = .GET
            request.body = nil
            request.headers = HTTPHeaders(headers.filter { !Self.describesContent($0.name) })
        }
        return request
    }

    /// Content-specific fields that a change of method to GET removes (RFC 9110 §15.4).
    static func describesContent(_ name: String) -> Bool {
        let name = name.lowercased()
        return name.hasPrefix("content-") || ["digest", "docker-content-digest", "last-modified"].contains(name)
    }
}
