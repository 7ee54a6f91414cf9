import Airlock
import Foundation
import Logging
import OCI
import Registry
import Testing
import TestSupport

/// Every status a registry may answer, to every kind of request the client makes: no crash, one
/// sentence, and the exit status airlock(1) documents.
struct RegistryStatusTests {
    /// The kinds of request the client sends.
    enum Kind: String, CaseIterable, Sendable {
        case ping, tagList, manifestGet, manifestHead, blobGet, blobHead, uploadPost, mountPost, patch, uploadPut, manifestPut
    }

    static let statuses = [400, 401, 403, 404, 405, 429, 500]
    static let blob = Array((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    static func blobDescriptor() throws -> Descriptor {
        Descriptor(mediaType: "application/octet-stream", digest: try Digest.of(blob), size: Int64(blob.count))
    }
    static let manifestJSON = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
    /// A message with a line break: the sentence must stay on one line all the same.
    static let errorBody = #"{"errors":[{"code":"DENIED","message":"no\nway"}]}"#

    /// Which kind of request a fake registry received.
    static func kind(of request: FakeRequest) -> Kind {
        let path = request.path
        switch request.method {
        case .GET where path == "/v2/": return .ping
        case .GET where path.hasSuffix("/tags/list"): return .tagList
        case .GET where path.contains("/manifests/"): return .manifestGet
        case .HEAD where path.contains("/manifests/"): return .manifestHead
        case .GET where path.contains("/blobs/"): return .blobGet
        case .HEAD: return .blobHead
        case .POST where request.uri.contains("mount="): return .mountPost
        case .POST: return .uploadPost
        case .PATCH: return .patch
        case .PUT where path.contains("/manifests/"): return .manifestPut
        default: return .uploadPut
        }
    }

    /// What a healthy registry answers (blob and manifest absent, uploads accepted).
    static func healthy(_ request: FakeRequest) -> FakeResponse {
        switch kind(of: request) {
        case .ping: FakeResponse(.ok)
        case .tagList: .json(.ok, #"{"name":"a/b","tags":["1"]}"#)
        case .manifestGet: FakeResponse(.ok, headers: [("Content-Type", MediaType.ociIndex)], body: Array(manifestJSON.utf8))
        case .manifestHead, .blobHead: FakeResponse(.notFound)
        case .blobGet: FakeResponse(.ok, body: blob)
        case .mountPost, .uploadPost, .patch: FakeResponse(.accepted, headers: [("Location", "/v2/a/b/blobs/uploads/session-1")])
        case .uploadPut, .manifestPut: FakeResponse(.created)
        }
    }

    /// The one call that makes the client send a request of `kind`.
    static func exercise(_ kind: Kind, _ client: RegistryClient) async throws {
        let source = try BlobSource.bytes(blob, chunkSize: 1000)
        switch kind {
        case .ping: try await client.checkReachable()
        case .tagList: _ = try await client.tags(repository: "a/b")
        case .manifestGet: _ = try await client.manifest(repository: "a/b", reference: "1")
        case .manifestHead: _ = try await client.manifestDescriptor(repository: "a/b", reference: "1")
        case .blobGet: try await client.blob(try Self.blobDescriptor(), repository: "a/b") { _ in }
        case .blobHead: _ = try await client.hasBlob(try Self.blobDescriptor(), repository: "a/b")
        case .uploadPost, .uploadPut: try await client.uploadBlob(source, repository: "a/b")
        case .mountPost: _ = try await client.mountBlob(try Self.blobDescriptor().digest, from: "c/d", into: "a/b")
        case .patch: try await client.uploadBlob(source, repository: "a/b", mode: .chunked(1000))
        case .manifestPut: try await client.putManifest(try ManifestDocument(bytes: Array(manifestJSON.utf8)), repository: "a/b", reference: "1")
        }
    }

    /// The exit status documented for `status` answered to `kind`; nil where the client takes it in stride.
    static func expectedExit(_ kind: Kind, _ status: Int) -> Airlock.ExitStatus? {
        switch (kind, status) {
        case (.ping, 401), (.ping, 403): nil  // the API check only learns the scheme and the challenge
        case (.ping, 404): .registry  // no registry answers GET /v2/ with 404: not a registry (RegistryClient.notARegistry)
        case (.manifestHead, 404), (.blobHead, 404): nil  // "not there" is an answer
        case (.tagList, 404), (.manifestGet, 404), (.blobGet, 404): .notFound
        default: .registry
        }
    }

    static let fastRetry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10), maxTotalDelay: .seconds(1), jitter: { 1.0 })

    static func withClient(_ host: String, _ body: (RegistryClient) async throws -> Void) async throws {
        var options = TransportOptions()
        options.plainHTTP = true
        options.retry = fastRetry
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        try await RegistryTransport.with(options: options, credentials: NoCredentialSource(), logger: logger) { transport in
            try await body(transport.client(for: host))
        }
    }

    @Test(arguments: Kind.allCases, statuses)
    func everyStatusToEveryRequest(_ kind: Kind, _ status: Int) async throws {
        let fake = try await FakeRegistry.start { request in
            guard Self.kind(of: request) == kind else { return Self.healthy(request) }
            return .json(code: status, Self.errorBody)
        }
        defer { Task { await fake.stop() } }
        let expected = Self.expectedExit(kind, status)
        do {
            try await Self.withClient(fake.host) { try await Self.exercise(kind, $0) }
            #expect(expected == nil, "\(status) to \(kind) went unnoticed")
        } catch let error as RegistryError {
            #expect(Airlock.ExitStatus.of(error) == expected, "\(status) to \(kind): \(error)")
            #expect(!error.description.contains("\n"), "\(status) to \(kind) is more than one line: \(error.description)")
            if status == 401 {
                guard case .unauthorized = error else { throw error }
            }
            if status == 403, kind != .ping {
                guard case .forbidden = error else { throw error }
            }
        }
        #expect(fake.requests.contains { Self.kind(of: $0) == kind }, "no \(kind) request was sent")
    }

    /// A refused read is about pulling, a refused write about pushing (README §8 stays true for writes).
    @Test func forbiddenSaysWhetherReadingOrWriting() async throws {
        let fake = try await FakeRegistry.start { request in
            request.path == "/v2/" ? FakeResponse(.ok) : FakeResponse(.forbidden)
        }
        defer { Task { await fake.stop() } }
        let host = fake.host
        await #expect {
            try await Self.withClient(host) { _ = try await $0.tags(repository: "a/b") }
        } throws: { error in
            let text = "\(error)"
            return text == "registry \(host)/a/b denied reading (403 Forbidden): the account may not pull from that repository; check its rights or log in as another user"
        }
        await #expect {
            try await Self.withClient(host) { try await $0.uploadBlob(.bytes(Self.blob), repository: "a/b") }
        } throws: { error in
            "\(error)" == "registry \(host)/a/b denied the operation (403 Forbidden): the account may not write there, or the registry does not accept that name (create the project or repository first, or choose another --to namespace)"
        }
    }
}

struct NoCredentialSource: CredentialSource {
    func credential(for host: String) async throws -> Credential? { nil }
}
