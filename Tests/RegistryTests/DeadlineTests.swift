import Foundation
import NIOConcurrencyHelpers
import NIOCore
import OCI
@testable import Registry
import Testing
import TestSupport

/// A registry that answers slowly enough never to trip a read timeout, or that never stops
/// offering tag pages, ends the request with a sentence instead of holding the command (issue 24,
/// items 7 and 8). The timeouts here are the mechanisms under test; none of them is asserted as a
/// time: each test passes when the request fails with the sentence naming the limit.
struct DeadlineTests {
    /// A body that drips one byte every 100 ms (the read timeout never fires) falls below the
    /// minimum rate and is refused, after the resumes the retry budget allows.
    @Test func aDrippingBlobFallsBelowTheMinimumRate() async throws {
        let fake = try await FaultTests.registry { _, _ in FakeResponse(.ok, body: FaultTests.blob, behaviour: .drip(.milliseconds(100))) }
        defer { Task { await fake.stop() } }
        let error = await #expect(throws: RegistryError.self) {
            _ = try await withClient(fake.host, configure: {
                $0.plainHTTP = true
                $0.minimumRate = 1000
                $0.rateWindow = .seconds(1)
                $0.retry.maxAttempts = 2
            }) { client in try await pullBlob(client, FaultTests.blobDescriptor(), repository: "acme/app") }
        }
        #expect(error?.description.contains("below the minimum rate of 1000 bytes/s (--min-rate)") == true, "\(String(describing: error))")
        // The slow body was resumed once (a Range request from where it got to), then refused.
        let gets = fake.requests.filter { $0.path.contains("/blobs/") }
        #expect(gets.count == 2)
        #expect(gets.last?.headers.first(name: "Range")?.hasPrefix("bytes=") == true)
    }

    /// A manifest that drips is not whole within the request timeout.
    @Test func aDrippingManifestMissesTheRequestTimeout() async throws {
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8)
        let fake = try await FaultTests.registry { _, _ in
            FakeResponse(.ok, headers: [("Content-Type", "application/vnd.oci.image.index.v1+json")], body: manifest, behaviour: .drip(.milliseconds(100)))
        }
        defer { Task { await fake.stop() } }
        let error = await #expect(throws: RegistryError.self) {
            _ = try await withClient(fake.host, configure: {
                $0.plainHTTP = true
                $0.requestTimeout = .seconds(1)
                $0.retry = .none
            }) { client in try await client.manifest(repository: "acme/app", reference: "1.0") }
        }
        #expect(error?.description.contains("--request-timeout") == true, "\(String(describing: error))")
    }

    /// A registry that takes the request and never answers, not even a head, is given up on at
    /// the request timeout (the read timeout is set far beyond it).
    @Test func aSilentRegistryMissesTheRequestTimeout() async throws {
        let fake = try await FaultTests.registry { _, _ in FakeResponse(.ok, behaviour: .silent) }
        defer { Task { await fake.stop() } }
        let error = await #expect(throws: RegistryError.self) {
            _ = try await withClient(fake.host, configure: {
                $0.plainHTTP = true
                $0.requestTimeout = .seconds(1)
                $0.readTimeout = .seconds(600)
                $0.retry = .none
            }) { client in try await client.tags(repository: "acme/app") }
        }
        #expect(error?.description.contains("--request-timeout") == true, "\(String(describing: error))")
    }

    /// A registry that always offers a next page (a new URL each time) is stopped at the page,
    /// tag or byte limit, whichever comes first, with a sentence; only matching tags are held.
    @Test(arguments: [("pages", 40), ("tags", 25_000), ("bytes", 200_000)])
    func endlessTagPagesAreCutOff(limit: String, value: Int) async throws {
        let pages = NIOLockedValueBox(0)
        let fake = try await FaultTests.registry { request, _ in
            let page = pages.withLockedValue { $0 += 1; return $0 }
            let tags = (0..<1000).map { "\(page).\($0).0" }
            let body = try! JSONSerialization.data(withJSONObject: ["name": "acme/app", "tags": tags])
            return FakeResponse(.ok, headers: [("Content-Type", "application/json"), ("Link", "</v2/acme/app/tags/list?page=\(page + 1)>; rel=\"next\"")],
                                body: Array(body))
        }
        defer { Task { await fake.stop() } }
        var limits = RegistryClient.TagListLimits()
        switch limit {
        case "pages": limits.pages = value
        case "tags": limits.tags = value
        default: limits.bytes = value
        }
        let error = await #expect(throws: RegistryError.self) {
            _ = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { client in
                try await client.tags(repository: "acme/app", limits: limits, keeping: { $0.hasPrefix("1.") })
            }
        }
        #expect(error?.description.contains("goes on past") == true, "\(String(describing: error))")
        let asked = fake.requests.filter { $0.path.hasSuffix("/tags/list") }.count
        #expect(asked > 1 && asked <= 41, "\(asked) pages were asked for")
    }

    /// Within the limits, only the tags `keeping` accepts are returned, and all are counted.
    @Test func onlyMatchingTagsAreHeld() async throws {
        let fake = try await FaultTests.registry { request, _ in
            let page = request.uri.contains("page=2") ? 2 : 1
            let tags = (0..<500).map { "\(page).\($0).0" }
            let body = try! JSONSerialization.data(withJSONObject: ["name": "acme/app", "tags": tags])
            let link: [(String, String)] = page == 1 ? [("Link", "</v2/acme/app/tags/list?page=2>; rel=\"next\"")] : []
            return FakeResponse(.ok, headers: [("Content-Type", "application/json")] + link, body: Array(body))
        }
        defer { Task { await fake.stop() } }
        let (kept, listed) = try await withClient(fake.host, configure: { $0.plainHTTP = true }) { client in
            try await client.tags(repository: "acme/app", keeping: { $0.hasPrefix("2.1") })
        }
        #expect(listed == 1000)
        #expect(kept == ["2.1.0"] + (10..<20).map { "2.\($0).0" } + (100..<200).map { "2.\($0).0" })
    }
}
