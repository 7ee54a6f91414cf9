import Foundation
import OCI
@testable import Registry
import Testing
import TestSupport

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
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: try Digest.of(blob), size: Int64(blob.count))
        let credentials = FixedCredentials(credential: Credential(username: "u", password: "topsecret"))
        let bytes = try await withClient(fake.host, credentials: credentials, configure: { $0.caFiles = [tls.certificate] }) { client in
            try await pullBlob(client, descriptor, repository: "acme/app")
        }
        #expect(bytes == blob)
        // At least one plain request (under the whole suite's load a body that broke is resumed and
        // asks again: seen once, 2 requests), and none of them with the password.
        let plain = fake.requests.filter { $0.path == "/blobdata" }
        #expect(plain.count >= 1)
        #expect(plain.allSatisfy { $0.headers.first(name: "Authorization") == nil }, "the password went out in clear text")
        #expect(fake.requests.contains { $0.headers.first(name: "Authorization") != nil })
    }
}
