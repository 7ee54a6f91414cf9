import Foundation
import NIOCore
import OCI
@testable import Registry
import Testing
import TestSupport

/// Against Debian's real docker-registry (CNCF distribution) on loopback.
@Suite(.serialized)
struct RegistryIntegrationTests {
    @Test func anonymousPullOfEveryManifestKind() async throws {
        let registry = try DevRegistry.start(seed: ["runtime", "operator", "agent", "legacy"])
        defer { registry.stop() }
        let seeded = try registry.seed(["runtime", "operator", "agent", "legacy"]).seededTags
        try await withClient(registry.host) { client async throws in
            let tags = try await client.tags(repository: "acme/runtime")
            #expect(Set(tags) == ["7.23.6.0", "7.23.6.3", "7.23.7.0", "7.23.7.1", "8.12.0", "8.12.1", "8.12.10", "8.13.0", "8.13.0-rc.1", "latest"])

            for (reference, type) in [("acme/runtime:8.12.10", MediaType.ociManifest), ("acme/operator:2.10.2", MediaType.ociIndex),
                                      ("acme/agent:1.4.0", MediaType.dockerManifest), ("acme/legacy:3.0", MediaType.dockerManifestList)] {
                let parts = reference.split(separator: ":")
                let document = try await client.manifest(repository: String(parts[0]), reference: String(parts[1]))
                #expect(document.mediaType == type)
                #expect(document.digest.description == seeded[reference])
                #expect(document.digest.description == (try registry.skopeoDigest(reference)))
                let head = try #require(try await client.manifestDescriptor(repository: String(parts[0]), reference: String(parts[1])))
                #expect(head.digest == document.digest)
                #expect(head.size == Int64(document.bytes.count))
            }

            // Every child of the index and every blob of one child pulls and verifies.
            let index = try await client.manifest(repository: "acme/operator", reference: "2.10.2")
            for child in index.references {
                let manifest = try await client.manifest(repository: "acme/operator", reference: child.digest.description)
                #expect(manifest.digest == child.digest)
                for blob in manifest.references {
                    let bytes = try await pullBlob(client, blob, repository: "acme/operator")
                    #expect(Int64(bytes.count) == blob.size)
                    #expect("sha256:" + sha256Hex(bytes) == blob.digest.description)
                }
            }
            #expect(try await client.manifestDescriptor(repository: "acme/runtime", reference: "0.0.0") == nil)
            await #expect(throws: RegistryError.self) { try await client.manifest(repository: "acme/runtime", reference: "0.0.0") }
        }
    }

    @Test func manyTagsWithASmallPageSize() async throws {
        // Debian's distribution 2.8 ignores n= on tag lists (pagination proper is tested against
        // the fake registry); the client must still get every tag when it asks for pages of 10.
        let registry = try DevRegistry.start(seed: ["many"])
        defer { registry.stop() }
        let tags = try await withClient(registry.host) { try await $0.tags(repository: "acme/many", pageSize: 10) }
        #expect(Set(tags) == Set((0..<120).map { "1.0.\($0)" }))
    }

    @Test func basicAuthWithHtpasswd() async throws {
        let registry = try DevRegistry.start(auth: .basic, seed: ["agent"])
        defer { registry.stop() }
        let good = FixedCredentials(credential: Credential(username: registry.username, password: registry.password))
        let document = try await withClient(registry.host, credentials: good) { client async throws in
            try await client.manifest(repository: "acme/agent", reference: "1.4.0")
        }
        #expect(document.mediaType == MediaType.dockerManifest)

        do {
            _ = try await withClient(registry.host) { try await $0.tags(repository: "acme/agent") }
            Issue.record("anonymous access should fail")
        } catch let error as RegistryError {
            guard case .unauthorized(_, _, let hadCredentials, _) = error else { throw error }
            #expect(!hadCredentials)
            #expect(error.description.contains("401"))
        }
        do {
            let bad = FixedCredentials(credential: Credential(username: registry.username, password: "wrong-password-xyz"))
            _ = try await withClient(registry.host, credentials: bad) { try await $0.tags(repository: "acme/agent") }
            Issue.record("a wrong password should fail")
        } catch let error as RegistryError {
            guard case .unauthorized(_, _, let hadCredentials, _) = error else { throw error }
            #expect(hadCredentials)
            #expect(!error.description.contains("wrong-password-xyz"))
        }
    }

    @Test func bearerTokensFromATokenServerAreCached() async throws {
        let registry = try DevRegistry.start(auth: .token, seed: ["runtime"])
        defer { registry.stop() }
        let stats = try #require(registry.tokenURL).replacingOccurrences(of: "/token", with: "/stats")
        func issued() throws -> Int {
            let result = try run("curl", ["-sf", stats])
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return object?["tokens_issued"] as? Int ?? -1
        }
        let before = try issued()
        let credentials = FixedCredentials(credential: Credential(username: registry.username, password: registry.password))
        try await withClient(registry.host, credentials: credentials) { client async throws in
            // Twenty pulls in one scope: one token.
            for _ in 0..<10 {
                _ = try await client.manifest(repository: "acme/runtime", reference: "8.12.0")
                _ = try await client.tags(repository: "acme/runtime")
            }
            // A push needs a push scope: one more token, then cached too.
            let source = try BlobSource.bytes(pseudoRandomBytes(70_000))
            #expect(try await client.pushBlob(source, repository: "acme/pushed") == .uploaded(bytes: 70_000))
            #expect(try await client.pushBlob(source, repository: "acme/pushed") == .alreadyPresent)
        }
        let used = try issued() - before
        #expect(used >= 2 && used <= 4, "tokens issued: \(used)")

        // Anonymous: pull is allowed by the token server, push is not.
        try await withClient(registry.host) { client async throws in
            _ = try await client.manifest(repository: "acme/runtime", reference: "8.12.0")
            await #expect(throws: RegistryError.self) {
                try await client.uploadBlob(.bytes([1, 2, 3]), repository: "acme/anon")
            }
        }
    }

    @Test func tlsWithACustomCA() async throws {
        let registry = try DevRegistry.start(tls: true, seed: ["agent"])
        defer { registry.stop() }
        let caFile = try #require(registry.caFile)
        let digest = try await withClient(registry.host, configure: { $0.caFiles = [caFile] }) { client async throws in
            let base = try await client.baseURL()
            #expect(base.hasPrefix("https://"))
            return try await client.manifest(repository: "acme/agent", reference: "1.4.0").digest
        }
        #expect(digest.description == (try registry.skopeoDigest("acme/agent:1.4.0")))

        do {
            _ = try await withClient(registry.host) { try await $0.tags(repository: "acme/agent") }
            Issue.record("an unknown CA must fail")
        } catch let error as RegistryError {
            #expect(error.description.contains("TLS"), "\(error)")
            #expect(error.description.contains("--ca-file"))
        }
        let insecure = try await withClient(registry.host, configure: { $0.insecureSkipTLSVerify = true }) { client async throws in
            try await client.tags(repository: "acme/agent")
        }
        #expect(insecure == ["1.4.0"])
    }

    @Test func blobPushMonolithicChunkedAndMount() async throws {
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let big = pseudoRandomBytes(5 * 1024 * 1024 + 123, seed: 7)
        let small = pseudoRandomBytes(10_000, seed: 8)
        try await withClient(registry.host) { client async throws in
            let chunked = try BlobSource.bytes(big, chunkSize: 300_000)
            #expect(try await client.pushBlob(chunked, repository: "acme/a", mode: .chunked(1 << 20)) == .uploaded(bytes: Int64(big.count)))
            #expect(try await client.pushBlob(.bytes(small), repository: "acme/a") == .uploaded(bytes: 10_000))
            #expect(try await client.pushBlob(chunked, repository: "acme/a") == .alreadyPresent)
            #expect(try await client.pushBlob(chunked, repository: "acme/b", mountFrom: ["acme/a"]) == .mounted)
            #expect(try await client.mountBlob(try Digest.of([9, 9, 9]), from: "acme/a", into: "acme/c") == false)
        }
        // Independent check: curl + sha256sum of what the registry serves.
        for (repository, bytes) in [("acme/a", big), ("acme/b", big), ("acme/a", small)] {
            let result = try run("sh", ["-c", "curl -sf \(registry.url)/v2/\(repository)/blobs/\(try Digest.of(bytes)) | sha256sum"])
            #expect(try String(result.stdout.prefix(64)) == Digest.of(bytes).hex)
        }
    }

    @Test func uploadOfWrongBytesNeverCompletes() async throws {
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let bytes = pseudoRandomBytes(200_000)
        let lying = BlobSource(descriptor: Descriptor(mediaType: "application/octet-stream", digest: try Digest.of([1]), size: 200_000)) {
            try await BlobSource.bytes(bytes).open()
        }
        try await withClient(registry.host) { client async throws in
            for mode in [UploadMode.monolithic, .chunked(65_536)] {
                await #expect(throws: RegistryError.self) { try await client.uploadBlob(lying, repository: "acme/x", mode: mode) }
            }
            #expect(try await client.hasBlob(lying.descriptor, repository: "acme/x") == false)
            #expect(try await client.hasBlob(try BlobSource.bytes(bytes).descriptor, repository: "acme/x") == false)
        }
    }

    @Test func manifestsRoundTripByteIdentical() async throws {
        let registry = try DevRegistry.start(seed: ["operator", "legacy"])
        defer { registry.stop() }
        try await withClient(registry.host) { client async throws in
            for (repository, tag) in [("acme/operator", "2.10.2"), ("acme/legacy", "3.0")] {
                let index = try await client.manifest(repository: repository, reference: tag)
                let target = repository + "-copy"
                for child in index.references {
                    let manifest = try await client.manifest(repository: repository, reference: child.digest.description)
                    for blob in manifest.references {
                        // Shared layers are already there for the second child; nothing is ever uploaded.
                        let result = try await client.pushBlob(BlobSource(descriptor: blob) { throw TestError("must mount") }, repository: target, mountFrom: [repository])
                        #expect(result == .mounted || result == .alreadyPresent)
                    }
                    try await client.putManifest(manifest, repository: target, reference: manifest.digest.description)
                }
                try await client.putManifest(index, repository: target, reference: tag)
                let copy = try await client.manifest(repository: target, reference: tag)
                #expect(copy.bytes == index.bytes)
                #expect(copy.mediaType == index.mediaType)
                #expect(try registry.skopeoDigest("\(target):\(tag)") == index.digest.description)
            }
        }
    }
}
