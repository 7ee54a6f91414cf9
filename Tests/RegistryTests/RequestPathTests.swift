import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import OCI
@testable import Registry
import Testing
import TestSupport

/// Every request (registry reads and writes, the API check, token fetches) takes one path with
/// one redirect and retry rule; the far servers here record what actually reached them.
struct RequestPathTests {
    static let credentials = FixedCredentials(credential: Credential(username: "u", password: "topsecret"))
    static let blob = pseudoRandomBytes(200_000, seed: 23)

    /// A registry that wants Basic credentials for everything and answers the rest with `handler`.
    static func basicRegistry(_ handler: @escaping @Sendable (FakeRequest) -> FakeResponse) async throws -> FakeRegistry {
        try await FakeRegistry.start { request in
            guard request.headers.first(name: "Authorization") != nil else {
                return FakeResponse(.unauthorized, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
            }
            return request.path == "/v2/" ? FakeResponse(.ok) : handler(request)
        }
    }

    /// The headers a caller sets for its registry.
    static let callerHeaders: HTTPHeaders = [
        "Accept": "application/json",
        "Content-Type": "application/vnd.oci.image.manifest.v1+json",
        "Docker-Content-Digest": "sha256:" + String(repeating: "a", count: 64),
        "X-Registry-Session": "session-7",
    ]

    /// PUTs `body` with the caller's headers and expects a 200 where the redirects end.
    static func put(_ client: RegistryClient, _ path: String, body: [UInt8]) async throws {
        let bytes = ByteBuffer(bytes: body)
        let purpose = RegistryClient.Purpose.push("manifest 1", "acme/app")
        let response = try await client.send(.PUT, path, headers: callerHeaders, body: { .bytes(bytes) }, purpose: purpose)
        try await client.expect(response, [200], purpose)
    }

    @Test func seeOtherToAnotherHostGetsNoBodyNoCredentialsNoCallerHeaders() async throws {
        let storage = try await FakeRegistry.start { _ in FakeResponse(.ok, body: [1, 2, 3]) }
        defer { Task { await storage.stop() } }
        let storageHost = storage.host
        let registry = try await Self.basicRegistry { _ in FakeResponse(.seeOther, headers: [("Location", "http://\(storageHost)/result?sig=abc")]) }
        defer { Task { await registry.stop() } }
        try await withClient(registry.host, credentials: Self.credentials, configure: { $0.plainHTTP = true }) { client in
            try await Self.put(client, "/v2/acme/app/manifests/1", body: Self.blob)
        }
        // The registry itself got everything, so what is missing below was dropped on the way.
        let sent = try #require(registry.requests.last { $0.method == .PUT })
        #expect(sent.body == Self.blob)
        #expect(sent.headers.first(name: "Authorization")?.hasPrefix("Basic ") == true)
        #expect(sent.headers.first(name: "X-Registry-Session") == "session-7")

        #expect(storage.requests.count == 1)
        let far = try #require(storage.requests.first)
        #expect(far.method == .GET)
        #expect(far.uri == "/result?sig=abc")
        #expect(far.body.isEmpty)
        #expect(far.headers.first(name: "Authorization") == nil, "the password went to object storage")
        for name in ["Docker-Content-Digest", "X-Registry-Session", "Content-Type"] {
            #expect(far.headers.first(name: name) == nil, "\(name) went to another host")
        }
        #expect((far.headers.first(name: "Content-Length") ?? "0") == "0")
        #expect(far.headers.first(name: "Accept") == "application/json")
    }

    @Test func seeOtherOnTheSameHostKeepsCredentialsButNotTheBody() async throws {
        let registry = try await Self.basicRegistry { request in
            request.method == .PUT ? FakeResponse(.seeOther, headers: [("Location", "/v2/acme/app/manifests/result")]) : FakeResponse(.ok)
        }
        defer { Task { await registry.stop() } }
        try await withClient(registry.host, credentials: Self.credentials, configure: { $0.plainHTTP = true }) { client in
            try await Self.put(client, "/v2/acme/app/manifests/1", body: Self.blob)
        }
        let fetched = try #require(registry.requests.last)
        #expect(fetched.method == .GET)
        #expect(fetched.path == "/v2/acme/app/manifests/result")
        #expect(fetched.body.isEmpty)
        #expect(fetched.headers.first(name: "Authorization")?.hasPrefix("Basic ") == true)
        #expect(fetched.headers.first(name: "X-Registry-Session") == "session-7")
        #expect(fetched.headers.first(name: "Content-Type") == nil)
        #expect(fetched.headers.first(name: "Docker-Content-Digest") == nil)
    }

    @Test(arguments: [HTTPResponseStatus.temporaryRedirect, .permanentRedirect])
    func redirectedUploadResendsTheWholeBodyToTheFarHost(_ status: HTTPResponseStatus) async throws {
        let storage = try await FakeRegistry.start { request in
            request.method == .PUT && request.body == Self.blob ? FakeResponse(.created) : FakeResponse(.badRequest)
        }
        defer { Task { await storage.stop() } }
        let storageHost = storage.host
        let registry = try await Self.basicRegistry { request in
            switch request.method {
            case .HEAD: FakeResponse(.notFound)
            case .POST: FakeResponse(.accepted, headers: [("Location", "/upload/1")])
            case .PUT: FakeResponse(status, headers: [("Location", "http://\(storageHost)/bucket/part?sig=abc")])
            default: FakeResponse(.notFound)
            }
        }
        defer { Task { await registry.stop() } }
        let result = try await withClient(registry.host, credentials: Self.credentials, configure: { $0.plainHTTP = true }) { client in
            try await client.pushBlob(try BlobSource.bytes(Self.blob, chunkSize: 64 << 10), repository: "acme/app")
        }
        #expect(result == .uploaded(bytes: Int64(Self.blob.count)))
        #expect(registry.requests.last { $0.method == .PUT }?.body == Self.blob)
        #expect(storage.requests.count == 1)
        let far = try #require(storage.requests.first)
        #expect(far.method == .PUT)
        #expect(far.uri == "/bucket/part?sig=abc")
        #expect(far.body.count == Self.blob.count)
        #expect(far.body == Self.blob)
        #expect(far.headers.first(name: "Authorization") == nil, "the password went to object storage")
        #expect(far.headers.first(name: "Content-Type") == nil, "a header the caller set for the registry went to another host")
        #expect(far.headers.first(name: "Content-Length") == String(Self.blob.count))
    }

    @Test func apiCheckIsRetriedAfterServiceUnavailable() async throws {
        let pings = NIOLockedValueBox(0)
        let fake = try await FakeRegistry.start { request in
            guard request.path == "/v2/" else { return FakeResponse(.notFound) }
            let n = pings.withLockedValue { $0 += 1; return $0 }
            return n <= 2 ? .json(.serviceUnavailable, #"{"errors":[{"code":"UNAVAILABLE","message":"starting"}]}"#) : FakeResponse(.ok)
        }
        defer { Task { await fake.stop() } }
        try await withClient(fake.host, configure: { $0.plainHTTP = true }) { try await $0.checkReachable() }
        #expect(fake.requests.filter { $0.path == "/v2/" }.count == 3)
    }

    @Test func tokenFetchIsRetriedAfterServiceUnavailable() async throws {
        let fetches = NIOLockedValueBox(0)
        let auth = try await FakeRegistry.start { _ in
            let n = fetches.withLockedValue { $0 += 1; return $0 }
            return n == 1 ? FakeResponse(.serviceUnavailable, headers: [("Retry-After", "0")]) : .json(.ok, #"{"token":"tok-9","expires_in":300}"#)
        }
        defer { Task { await auth.stop() } }
        let realm = "http://\(auth.host)/token"
        let registry = try await FaultTests.bearerRegistry(realm: realm, token: "tok-9")
        defer { Task { await registry.stop() } }
        let tags = try await withClient(registry.host, credentials: Self.credentials, configure: { $0.plainHTTP = true }) { try await $0.tags(repository: "acme/app") }
        #expect(tags == ["1.0", "2.0"])
        #expect(auth.requests.count == 2)
        #expect(auth.requests.allSatisfy { $0.headers.first(name: "Authorization")?.hasPrefix("Basic ") == true })
        #expect(auth.requests.allSatisfy { $0.uri.contains("scope=repository%3Aacme%2Fapp%3Apull") || $0.uri.contains("scope=repository:acme/app:pull") })
        #expect(registry.requests.contains { $0.headers.first(name: "Authorization") == "Bearer tok-9" })
    }

    /// Two servers that send every request to each other; `a` answers the API check with `pingA`.
    static func loop(pingA: FakeResponse?) async throws -> (a: FakeRegistry, b: FakeRegistry) {
        let hostA = NIOLockedValueBox(""), hostB = NIOLockedValueBox("")
        let a = try await FakeRegistry.start { request in
            if request.path == "/v2/", let pingA { return pingA }
            return FakeResponse(.temporaryRedirect, headers: [("Location", "http://\(hostB.withLockedValue { $0 })\(request.uri)")])
        }
        let b = try await FakeRegistry.start { request in
            FakeResponse(.temporaryRedirect, headers: [("Location", "http://\(hostA.withLockedValue { $0 })\(request.uri)")])
        }
        hostA.withLockedValue { $0 = a.host }
        hostB.withLockedValue { $0 = b.host }
        return (a, b)
    }

    @Test func blobRedirectLoopEndsWithOneSentence() async throws {
        let (a, b) = try await Self.loop(pingA: FakeResponse(.ok))
        defer { Task { await a.stop(); await b.stop() } }
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: try Digest.of(Self.blob), size: Int64(Self.blob.count))
        do {
            _ = try await withClient(a.host, configure: { $0.plainHTTP = true }) { try await pullBlob($0, descriptor, repository: "acme/app") }
            Issue.record("a redirect loop ended without an error")
        } catch let error as RegistryError {
            guard case .redirectLoop(let host, let request, let limit, _) = error else { throw error }
            #expect(host == a.host)
            #expect(request.contains("blob \(descriptor.digest.short)"))
            #expect(limit == 10)
            #expect(error.description.hasPrefix("\(a.host) redirected blob \(descriptor.digest.short)"), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
        let followed = a.requests.filter { $0.path != "/v2/" }.count + b.requests.count
        #expect(followed == 11, "the first request and 10 redirects, no more")
    }

    @Test func apiCheckRedirectLoopEndsWithOneSentence() async throws {
        let (a, b) = try await Self.loop(pingA: nil)
        defer { Task { await a.stop(); await b.stop() } }
        do {
            try await withClient(a.host, configure: { $0.plainHTTP = true }) { try await $0.checkReachable() }
            Issue.record("a redirect loop ended without an error")
        } catch let error as RegistryError {
            guard case .redirectLoop(let host, let request, _, let last) = error else { throw error }
            #expect(host == a.host)
            #expect(request == "the API check GET /v2/")
            #expect(last == "http://\(b.host)/v2/")
            #expect(error.description.contains("more than 10 times"), "\(error.description)")
        }
        #expect(a.requests.count + b.requests.count == 11)
    }

    /// The redirect rule itself, status by status (RFC 9110 §15.4).
    @Test(arguments: [
        (301, HTTPMethod.GET, HTTPMethod.GET, false),
        (302, .HEAD, .HEAD, false),
        (301, .PUT, .PUT, true),
        (303, .PUT, .GET, false),
        (303, .POST, .GET, false),
        (303, .HEAD, .HEAD, false),
        (307, .PUT, .PUT, true),
        (308, .POST, .POST, true),
    ])
    func redirectRule(_ status: Int, _ method: HTTPMethod, _ next: HTTPMethod, _ keepsBody: Bool) throws {
        var body: RegistryClient.BodyFactory?
        if method != .GET, method != .HEAD { body = { .bytes(ByteBuffer(string: "x")) } }
        let request = RegistryRequest(method, "https://registry.test/v2/a/b/x", headers: Self.callerHeaders, body: body)
        let redirected = try request.redirected(status, to: "https://storage.test/bucket?sig=1", host: "registry.test")
        #expect(redirected.method == next)
        #expect((redirected.body != nil) == keepsBody)
        #expect(redirected.url == "https://storage.test/bucket?sig=1")
        #expect(redirected.headersForURL.map(\.name) == ["Accept"], "only Accept goes to another host")
        // Back at the origin the caller's headers apply again, less those of a body a 303 dropped.
        let back = try redirected.redirected(307, to: "https://registry.test/v2/a/b/y", host: "storage.test")
        #expect(back.headersForURL.contains(name: "Content-Type") == (status != 303 || method == .HEAD))
        #expect(back.headersForURL.contains(name: "X-Registry-Session"))
    }
}
