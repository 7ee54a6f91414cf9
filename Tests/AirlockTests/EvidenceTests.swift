@testable import Airlock
import Bundle
import Foundation
import OCI
import Testing
import TestSupport

/// Evidence made without airlock (scripts/seed-evidence.py: openssl signatures in cosign's format,
/// hand-written referrers), in a registry, and a key to sign bundles with.
struct EvidenceSource {
    let directory: URL
    let host: String
    let seeded: [String: Any]
    let vendorKey: String, vendorPub: String

    static func seed(_ host: String, referrersAPI: Bool = false) throws -> EvidenceSource {
        let directory = try TestPaths.temporaryDirectory("evidence")
        var arguments = [TestPaths.script("seed-evidence.py"), host, "--plain-http", "--keys", directory.appendingPathComponent("keys").path]
        if referrersAPI { arguments.append("--referrers-api") }
        let seeded = try run("python3", arguments)
        guard seeded.status == 0 else { throw TestError("seed-evidence: \(seeded.stderr)") }
        let object = try JSONSerialization.jsonObject(with: Data(seeded.stdout.utf8)) as? [String: Any] ?? [:]
        let vendor = directory.appendingPathComponent("vendor").path
        let keygen = try AirlockCLI.run(["keygen", "--out", vendor])
        guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
        return EvidenceSource(directory: directory, host: host, seeded: object, vendorKey: vendor + ".key", vendorPub: vendor + ".pub")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func image(_ name: String) -> String { (seeded["images"] as? [String: String])?[name] ?? "" }
    func evidence(_ name: String) -> String { (seeded["evidence"] as? [String: String])?[name] ?? "" }
    func key(_ name: String) -> String { path("keys/\(name)") }

    /// Packs `images` (repository:tag under this source) into `name`.tar.zst.
    func pack(_ images: [String], into name: String, _ extra: [String] = []) throws -> (ProcessResult, String) {
        let bundle = path("\(name).tar.zst")
        let result = try AirlockCLI.run(["pack"] + images.flatMap { ["--image", "\(host)/\($0)"] }
                                        + ["--name", name, "--version", "1", "-o", bundle, "--key", vendorKey] + extra,
                                        environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        return (result, bundle)
    }

    /// The bundle manifest, read with zstd and tar alone.
    func bundleManifest(_ bundle: String) throws -> [String: Any] {
        let result = try run("sh", ["-c", "zstd -dc '\(bundle)' | tar -xO airlock-bundle.json"])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    func evidenceEntries(_ bundle: String) throws -> [[String: Any]] {
        try bundleManifest(bundle)["evidence"] as? [[String: Any]] ?? []
    }
}

func raw(_ host: String, _ reference: String) throws -> String {
    let result = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(host)/\(reference)"])
    #expect(result.status == 0, "skopeo inspect \(reference): \(result.stderr)")
    return result.stdout
}

func manifestDigest(of entry: [String: Any]) -> String { (entry["manifest"] as? [String: Any])?["digest"] as? String ?? "" }

@Suite(.serialized)
struct EvidenceTests {
    /// distribution 2.8 (no Referrers API): the fallback path for discovery and push.
    @Test func signedImageWithSBOMArrivesByteForByte() throws {
        let source = try DevRegistry.start()
        defer { source.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let stdinSite = try DevRegistry.start()
        defer { stdinSite.stop() }
        let seeded = try EvidenceSource.seed(source.host)
        let (packed, bundle) = try seeded.pack(["evidence/signed:1.0"], into: "signed")
        #expect(packed.status == 0, "\(packed.stderr)")
        let entries = try seeded.evidenceEntries(bundle)
        let kinds = Dictionary(grouping: entries) { $0["kind"] as? String ?? "" }.mapValues(\.count)
        #expect(kinds == ["signature": 3, "sbom": 1, "referrersIndex": 1], "\(entries)")
        #expect(Set(entries.map(manifestDigest)) == Set(["signature", "sbom", "sbomSignature", "notation", "referrersIndex"].map(seeded.evidence)))
        #expect(try seeded.bundleManifest(bundle)["formatVersion"] as? String == "1.1")

        let inspect = try AirlockCLI.run(["inspect", bundle])
        #expect(inspect.stdout.contains("evidence/signed:1.0") && inspect.stdout.contains("3 signatures, 1 SBOM"), "\(inspect.stdout)")
        #expect(try AirlockCLI.run(["verify", bundle, "--key", seeded.vendorPub]).status == 0)

        let mapping = seeded.path("mapping.json")
        let pushed = try AirlockCLI.run(["push", bundle, "--to", site.host, "--key", seeded.vendorPub, "--mapping", mapping])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let digest = seeded.image("evidence/signed:1.0")
        let hex = String(digest.dropFirst(7))
        let sbom = seeded.evidence("sbom")
        for reference in ["evidence/signed:sha256-\(hex).sig", "evidence/signed@\(sbom)", "evidence/signed:sha256-\(hex)",
                          "evidence/signed@\(seeded.evidence("notation"))", "evidence/signed:sha256-\(sbom.dropFirst(7)).sig"] {
            #expect(try raw(site.host, reference) == raw(source.host, reference), "\(reference) differs")
        }
        let map = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: mapping))) as? [String: Any] ?? [:]
        let listed = (map["evidence"] as? [[String: Any]] ?? []).compactMap { $0["target"] as? String }
        #expect(listed.contains("\(site.host)/evidence/signed:sha256-\(hex).sig"), "\(listed)")
        #expect(listed.contains("\(site.host)/evidence/signed@\(sbom)"), "\(listed)")

        // diff --against: the target lacks nothing, evidence included; another registry lacks the .sig tag.
        let against = try AirlockCLI.run(["diff", "--against", site.host, bundle])
        #expect(against.status == 0, "\(against.stdout) \(against.stderr)")
        let lacking = try AirlockCLI.run(["diff", "--against", stdinSite.host, bundle, "--json"])
        #expect(lacking.status == 1 && lacking.stdout.contains("sha256-\(hex).sig"), "\(lacking.stdout)")

        // Again: everything is there, nothing is sent.
        let again = try AirlockCLI.run(["push", bundle, "--to", site.host, "--key", seeded.vendorPub, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any] ?? [:]
        let evidence = report["evidence"] as? [[String: Any]] ?? []
        #expect(!evidence.isEmpty && evidence.allSatisfy { $0["sent"] as? Bool == false }, "\(evidence)")
        #expect(report["blobsUploaded"] as? Int == 0)

        // From a pipe, in one pass.
        let piped = try run("sh", ["-c", "cat '\(bundle)' | '\(AirlockCLI.path)' push - --to \(stdinSite.host) --key '\(seeded.vendorPub)' --cosign-key '\(seeded.key("signer.pub"))'"],
                            environment: ["DOCKER_CONFIG": try TestPaths.temporaryDirectory("docker").path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? ""])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try raw(stdinSite.host, "evidence/signed:sha256-\(hex)") == raw(source.host, "evidence/signed:sha256-\(hex)"))
        #expect(try raw(stdinSite.host, "evidence/signed:sha256-\(hex).sig") == raw(source.host, "evidence/signed:sha256-\(hex).sig"))

        // unpack: evidence manifests are blobs of the layout; index.json still lists the images alone.
        let layout = seeded.path("layout")
        let unpacked = try AirlockCLI.run(["unpack", bundle, "--to-dir", layout, "--key", seeded.vendorPub])
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(layout)/blobs/sha256/\(sbom.dropFirst(7))"))
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(layout)/index.json"))) as? [String: Any] ?? [:]
        #expect((index["manifests"] as? [Any])?.count == 1)
    }

    /// A target that already has a referrers index keeps every entry in it.
    @Test func fallbackIndexMergeKeepsForeignEntries() throws {
        let foreign = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "a", count: 64))","size":10,"artifactType":"application/x-other"}],"annotations":{"by":"another tool"}}"#
        let current = try ManifestDocument(bytes: Array(foreign.utf8))
        let referrer = try ManifestDocument(bytes: Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"k":"v"}}"#.utf8))
        let merged = try Pusher.mergedIndex(current, adding: [referrer])
        guard case .index(let index) = merged.content else { Issue.record("not an index"); return }
        #expect(index.manifests.map(\.digest) == [current.references[0].digest, referrer.digest])
        #expect(index.manifests[1].artifactType == "application/spdx+json" && index.manifests[1].annotations == ["k": "v"])
        #expect(index.annotations == ["by": "another tool"])
    }

    @Test func platformFilterKeepsTheAttestationsOfKeptChildren() throws {
        let source = try DevRegistry.start()
        defer { source.stop() }
        let seeded = try EvidenceSource.seed(source.host)
        let (packed, bundle) = try seeded.pack(["evidence/buildx:1.0"], into: "buildx", ["--platform", "linux/amd64"])
        #expect(packed.status == 0, "\(packed.stderr)")
        let manifest = try seeded.bundleManifest(bundle)
        let blobs = Set((manifest["blobs"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String })
        #expect(blobs.contains(seeded.evidence("attestation-amd64")))
        #expect(!blobs.contains(seeded.evidence("attestation-arm64")))
        let image = (manifest["images"] as? [[String: Any]])?.first ?? [:]
        #expect(image["platforms"] as? [String] == ["linux/amd64"])

        // Unfiltered, the index travels byte for byte with both attestations.
        let (whole, wholeBundle) = try seeded.pack(["evidence/buildx:1.0"], into: "buildx-all")
        #expect(whole.status == 0, "\(whole.stderr)")
        let all = try seeded.bundleManifest(wholeBundle)
        #expect((all["images"] as? [[String: Any]])?.first?["digest"] as? String == seeded.image("evidence/buildx:1.0"))
        #expect((all["images"] as? [[String: Any]])?.first?["platforms"] as? [String] == ["linux/amd64", "linux/arm64/v8"])
    }

    @Test func cosignKeyChecksEveryImage() throws {
        let source = try DevRegistry.start()
        defer { source.stop() }
        let seeded = try EvidenceSource.seed(source.host)
        let signer = seeded.key("signer.pub"), other = seeded.key("other.pub")
        for (image, reason) in [("unsigned", "has no cosign signature"), ("othersig", "signed by another key"), ("wrongdigest", "for another digest")] {
            let (packed, _) = try seeded.pack(["evidence/\(image):1.0"], into: image, ["--cosign-key", signer])
            #expect(packed.status == 3, "\(image): \(packed.stderr)")
            #expect(packed.stderr.contains("evidence/\(image):1.0") && packed.stderr.contains(reason), "\(packed.stderr)")
        }
        let (packed, bundle) = try seeded.pack(["evidence/signed:1.0"], into: "signed", ["--cosign-key", signer, "--cosign-key", other])
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect((try seeded.bundleManifest(bundle)["cosignKeys"] as? [String])?.count == 2)

        #expect(try AirlockCLI.run(["verify", bundle, "--key", seeded.vendorPub, "--cosign-key", signer]).status == 0)
        let refused = try AirlockCLI.run(["verify", bundle, "--key", seeded.vendorPub, "--cosign-key", other])
        #expect(refused.status == 3 && refused.stderr.contains("signed by another key"), "\(refused.stderr)")
        let piped = try run("sh", ["-c", "cat '\(bundle)' | '\(AirlockCLI.path)' verify - --key '\(seeded.vendorPub)' --cosign-key '\(other)'"])
        #expect(piped.status == 3, "\(piped.stderr)")
        let push = try AirlockCLI.run(["push", bundle, "--to", "127.0.0.1:1", "--key", seeded.vendorPub, "--cosign-key", other])
        #expect(push.status == 3, "push checks before it connects: \(push.stderr)")

        // Nothing to check without evidence.
        let (bare, _) = try seeded.pack(["evidence/signed:1.0"], into: "bare", ["--no-referrers", "--cosign-key", signer])
        #expect(bare.status == 2, "\(bare.stderr)")
    }

    @Test func noReferrersAndDiff() throws {
        let source = try DevRegistry.start()
        defer { source.stop() }
        let seeded = try EvidenceSource.seed(source.host)
        let (bare, bareBundle) = try seeded.pack(["evidence/signed:1.0"], into: "bare", ["--no-referrers"])
        #expect(bare.status == 0, "\(bare.stderr)")
        let manifest = try seeded.bundleManifest(bareBundle)
        #expect(manifest["evidence"] == nil && manifest["formatVersion"] as? String == "1.0")
        let (full, fullBundle) = try seeded.pack(["evidence/signed:1.0"], into: "full")
        #expect(full.status == 0, "\(full.stderr)")
        let diff = try AirlockCLI.run(["diff", bareBundle, fullBundle, "--json"])
        #expect(diff.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((report["evidenceAdded"] as? [Any])?.count == 5 && (report["evidenceRemoved"] as? [Any])?.isEmpty == true, "\(diff.stdout)")
        let text = try AirlockCLI.run(["diff", fullBundle, bareBundle])
        #expect(text.stdout.contains("- evidence sbom"), "\(text.stdout)")

        // --referrers-type narrows the image's own evidence; evidence about it still travels.
        let (narrow, narrowBundle) = try seeded.pack(["evidence/signed:1.0"], into: "narrow", ["--referrers-type", "sbom"])
        #expect(narrow.status == 0, "\(narrow.stderr)")
        let entries = try seeded.evidenceEntries(narrowBundle)
        #expect(Set(entries.map(manifestDigest)) == [seeded.evidence("sbom"), seeded.evidence("sbomSignature")], "\(entries)")
    }

    /// The Referrers API path (distribution 2.8 has none): discovery and push against the fake registry.
    @Test func referrersAPIForDiscoveryAndPush() async throws {
        let source = try await MemoryRegistry.start()
        let target = try await MemoryRegistry.start()
        let seeded = try EvidenceSource.seed(source.host, referrersAPI: true)
        let digest = seeded.image("evidence/signed:1.0")
        #expect(source.manifest("evidence/signed", "sha256-\(digest.dropFirst(7))") == nil, "the seed used the API, not the tag")

        let (packed, bundle) = try seeded.pack(["evidence/signed:1.0"], into: "api")
        #expect(packed.status == 0, "\(packed.stderr)")
        let entries = try seeded.evidenceEntries(bundle)
        #expect(Set(entries.map(manifestDigest)) == Set(["signature", "sbom", "sbomSignature", "notation"].map(seeded.evidence)), "\(entries)")
        #expect(source.server.requests.contains { $0.path == "/v2/evidence/signed/referrers/\(digest)" })

        // --referrers-type with an artifactType is sent as the API's filter.
        let (filtered, filteredBundle) = try seeded.pack(["evidence/signed:1.0"], into: "api-sbom", ["--referrers-type", "application/spdx+json"])
        #expect(filtered.status == 0, "\(filtered.stderr)")
        #expect(source.server.requests.contains { $0.uri.contains("referrers/\(digest)?artifactType=application") })
        #expect(Set(try seeded.evidenceEntries(filteredBundle).map(manifestDigest)) == [seeded.evidence("sbom"), seeded.evidence("sbomSignature")])

        let pushed = try AirlockCLI.run(["push", bundle, "--to", target.host, "--key", seeded.vendorPub])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let sbom = seeded.evidence("sbom")
        #expect(target.manifest("evidence/signed", sbom) == source.manifest("evidence/signed", sbom))
        #expect(target.manifest("evidence/signed", "sha256-\(digest.dropFirst(7)).sig") == source.manifest("evidence/signed", "sha256-\(digest.dropFirst(7)).sig"))
        #expect(!target.tags("evidence/signed").contains("sha256-\(digest.dropFirst(7))"), "the registry indexes subjects: no tag index")
        let putSBOM = try #require(target.server.requests.firstIndex { $0.method == .PUT && $0.path.hasSuffix("/manifests/\(sbom)") })
        let putImage = try #require(target.server.requests.firstIndex { $0.method == .PUT && $0.path.hasSuffix("/manifests/\(digest)") })
        #expect(putImage < putSBOM, "subjects first")
        await source.stop()
        await target.stop()
    }
}

/// A bundle manifest whose evidence points outside the bundle is refused before anything acts on it.
struct EvidenceManifestTests {
    static func manifest(evidence: String) -> [UInt8] {
        let digest = "sha256:" + String(repeating: "b", count: 64)
        return Array("""
        {"mediaType":"application/vnd.airlock.bundle.manifest.v1+json","formatVersion":"1.1","name":"n","version":"1","created":"2023-11-14T22:13:20Z",
         "images":[{"source":"r/a","tag":"1","pattern":"1","digest":"\(digest)","mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,"platforms":[],"refName":"a:1","totalSize":2}],
         "index":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\(digest)","size":2},
         "blobs":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(digest)","size":2}],
         "tool":"t","evidence":[\(evidence)]}
        """.utf8)
    }

    static let listed = "sha256:" + String(repeating: "b", count: 64)
    static let unlisted = "sha256:" + String(repeating: "c", count: 64)

    @Test(arguments: [
        #"{"image":"other:1","subject":"\#(listed)","kind":"signature","manifest":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(listed)","size":2}}"#,
        #"{"image":"a:1","subject":"\#(listed)","kind":"signature","manifest":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(unlisted)","size":2}}"#,
        #"{"image":"a:1","subject":"\#(listed)","kind":"signature","manifest":{"mediaType":"application/octet-stream","digest":"\#(listed)","size":2}}"#,
        #"{"image":"a:1","subject":"\#(listed)","kind":"signature","tag":"../x","manifest":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(listed)","size":2}}"#,
    ])
    func refused(_ entry: String) {
        #expect(throws: (any Error).self) { try BundleManifest.decode(Self.manifest(evidence: entry)) }
    }

    @Test func unknownKindReadsAsOther() throws {
        let entry = #"{"image":"a:1","subject":"\#(Self.listed)","kind":"vex-statement","manifest":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Self.listed)","size":2}}"#
        let manifest = try BundleManifest.decode(Self.manifest(evidence: entry))
        #expect(manifest.evidence?.first?.kind == .other)
    }
}
