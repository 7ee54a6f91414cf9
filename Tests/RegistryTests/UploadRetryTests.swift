import Foundation
import NIOConcurrencyHelpers
import NIOCore
import OCI
@testable import Registry
import Testing
import TestSupport

/// An upload PUT that has to be sent again (after a new token, or to where a redirect points)
/// sends the whole blob again: the body factory opens the source afresh each time.
struct UploadRetryTests {
    static let blob = pseudoRandomBytes(200_000, seed: 11)
    static func source() throws -> BlobSource { try BlobSource.bytes(blob, chunkSize: 64 << 10) }

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
        let result = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { try await $0.pushBlob(try Self.source(), repository: "acme/app") }
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
        let result = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { try await $0.pushBlob(try Self.source(), repository: "acme/app") }
        #expect(result == .uploaded(bytes: Int64(Self.blob.count)))
        let second = try #require(fake.requests.last { $0.method == .PUT })
        #expect(second.path == "/upload/2")
        #expect(second.body == Self.blob)
    }
}
