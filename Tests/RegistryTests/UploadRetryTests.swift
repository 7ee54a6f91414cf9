import Foundation
import NIOConcurrencyHelpers
import NIOCore
import OCI
@testable import Registry
import Testing
import TestSupport

/// A request that has to be sent again (after a new token, or to where a redirect points) sends
/// the whole body again, and the credentials follow only to the very origin they belong to.
struct UploadRetryTests {
    static let blob = pseudoRandomBytes(200_000, seed: 11)
    static let source = BlobSource.bytes(blob, chunkSize: 64 << 10)

    /// A fake that starts every upload at /upload/1 and accepts a PUT only with the complete blob.
    static func uploads(_ put: @escaping @Sendable (FakeRequest, Int) -> FakeResponse?) async throws -> FakeRegistry {
        let puts = NIOLockedValueBox(0)
        return try await FakeRegistry.start { request in
            switch request.method {
            case .GET where request.path == "/v2/": return FakeResponse(.ok)
            case .HEAD: return FakeResponse(.notFound)
            case .POST: return FakeResponse(.accepted, headers: [("Location", "/upload/1")])
            case .PUT:
                let n = puts.withLockedValue { $0 += 1; return $0 }
                if let answer = put(request, n) { return answer }
                return request.body == Self.blob ? FakeResponse(.created) : .json(.badRequest, #"{"errors":[{"code":"DIGEST_INVALID","message":"got \#(request.body.count) bytes"}]}"#)
            default: return FakeResponse(.notFound)
            }
        }
    }

    @Test func bearerChallengeOnThePutResendsTheWholeBlob() async throws {
        let auth = try await FakeRegistry.start { _ in .json(.ok, #"{"token":"tok-1","expires_in":300}"#) }
        defer { Task { await auth.stop() } }
        let realm = "http://\(auth.host)/token"
        let fake = try await Self.uploads { request, _ in
            request.headers.first(name: "Authorization") == "Bearer tok-1"
                ? nil
                : FakeResponse(.unauthorized, headers: [("WWW-Authenticate", #"Bearer realm="\#(realm)",service="fake""#)])
        }
        defer { Task { await fake.stop() } }
        let result = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { try await $0.pushBlob(Self.source, repository: "acme/app") }
        #expect(result == .uploaded(bytes: Int64(Self.blob.count)))
        let puts = fake.requests.filter { $0.method == .PUT }
        #expect(puts.count == 2)
        #expect(puts.last?.body == Self.blob)
    }

    @Test func redirectedPutResendsTheWholeBlob() async throws {
        let fake = try await Self.uploads { request, _ in
            request.path == "/upload/1" ? FakeResponse(.temporaryRedirect, headers: [("Location", "/upload/2?state=x")]) : nil
        }
        defer { Task { await fake.stop() } }
        let result = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { try await $0.pushBlob(Self.source, repository: "acme/app") }
        #expect(result == .uploaded(bytes: Int64(Self.blob.count)))
        let second = try #require(fake.requests.last { $0.method == .PUT })
        #expect(second.path == "/upload/2")
        #expect(second.body == Self.blob)
    }
}

/// Credentials go only to the origin (scheme and authority) the client talks to.
struct RedirectCredentialTests {
    @Test func httpsToHTTPOnTheSameHostDropsCredentials() async throws {
        let tls = try FakeTLS.make()
        let blob = UploadRetryTests.blob
        let fake = try await FakeRegistry.start(tls: tls) { request in
            if request.path == "/blobdata" { return FakeResponse(.ok, body: blob) }
            guard request.headers.first(name: "Authorization") != nil else {
                return FakeResponse(.unauthorized, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
            }
            if request.path == "/v2/" { return FakeResponse(.ok) }
            return FakeResponse(.temporaryRedirect, headers: [("Location", "http://127.0.0.1:\(request.headers.first(name: "Host")?.split(separator: ":").last ?? "")/blobdata")])
        }
        defer { Task { await fake.stop() } }
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: Digest.of(blob), size: Int64(blob.count))
        let credentials = FixedCredentials(credential: Credential(username: "u", password: "topsecret"))
        let bytes = try await withClient(fake.host, credentials: credentials, configure: { $0.caFiles = [tls.certificate] }) { client in
            try await pullBlob(client, descriptor, repository: "acme/app")
        }
        #expect(bytes == blob)
        let plain = fake.requests.filter { $0.path == "/blobdata" }
        #expect(plain.count == 1)
        #expect(plain.allSatisfy { $0.headers.first(name: "Authorization") == nil }, "the password went out in clear text")
        #expect(fake.requests.contains { $0.headers.first(name: "Authorization") != nil })
    }
}

/// Transport failures are told apart by their type, never by words in their text.
struct TransportFailureTests {
    @Test func refusedConnectionToAHostNamedSSLIsRetryable() {
        let error = IOError(errnoCode: ECONNREFUSED, reason: "connect to ssl-mirror.corp:443 (tls)")
        let failure = TransportFailure.classify(error, host: "ssl-mirror.corp")
        #expect(failure.isRetryable)
        guard case .unreachable(_, let reason) = failure.error else {
            Issue.record("a refused connection became \(failure.error)")
            return
        }
        #expect(reason.contains("connection refused"), "\(reason)")
    }

    @Test func refusedConnectionThroughTheClient() async throws {
        // A port nobody listens on: NIO's connection error, classified by its errno.
        let port = try freePort()
        do {
            try await withClient("127.0.0.1:\(port)", configure: { $0.plainHTTP = true; $0.retry = .none }) { try await $0.checkReachable() }
            Issue.record("expected a refusal")
        } catch let error as RegistryError {
            guard case .unreachable(_, let reason) = error else { throw error }
            #expect(reason.contains("connection refused"), "\(reason)")
        }
    }

    @Test func closedChannelIsAReset() {
        let failure = TransportFailure.classify(ChannelError.ioOnClosedChannel, host: "h")
        #expect(failure.isRetryable)
        guard case .unreachable = failure.error else {
            Issue.record("\(failure.error)")
            return
        }
    }
}
