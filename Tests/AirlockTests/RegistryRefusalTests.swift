import Foundation
import NIOConcurrencyHelpers
import Testing
import TestSupport

/// What a new user meets first through the CLI: a registry that refuses them, and CA files.
@Suite(.serialized)
struct RegistryRefusalTests {
    /// Missing or wrong credentials are one sentence for the whole push, not one per image.
    @Test func unauthorizedPushIsOneSentence() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let target = try DevRegistry.start(auth: .basic)
        defer { target.stop() }
        let arguments = ["push", packed.bundle, "--to", "\(target.host)/vendor", "--key", packed.vendorPub]

        let anonymous = try AirlockCLI.run(arguments)
        #expect(anonymous.status == 4, "\(anonymous.stdout) \(anonymous.stderr)")
        let lines = anonymous.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(anonymous.stderr)")
        #expect(lines.first?.contains("401 Unauthorized): no credentials were found") == true, "\(anonymous.stderr)")
        #expect(!anonymous.stdout.contains("FAILED"), "\(anonymous.stdout)")

        let wrong = try AirlockCLI.run(arguments + ["--username", target.username, "--password-stdin"], input: Data("not-the-password\n".utf8))
        #expect(wrong.status == 4, "\(wrong.stdout) \(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("the credentials were rejected"), "\(wrong.stderr)")
    }

    /// A 403 on one repository's upload (Harbor, GHCR, a read-only robot): README §8's sentence
    /// for that repository, found by the upload check before any write: nothing pushed, exit 8.
    @Test func forbiddenUploadInOneRepository() async throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let manifests = NIOLockedValueBox<Set<String>>([])
        let fake = try await FakeRegistry.start { request in
            let path = request.path
            switch request.method {
            case .GET where path == "/v2/": return FakeResponse(.ok)
            case .POST where path.hasPrefix("/v2/v/acme/agent/"): return .json(.forbidden, #"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#)
            case .POST: return FakeResponse(.accepted, headers: [("Location", "/upload/\(UUID().uuidString)")])
            case .PUT where path.contains("/manifests/"):
                manifests.withLockedValue { _ = $0.insert(path) }
                return FakeResponse(.created)
            case .PUT, .DELETE: return FakeResponse(.created)
            default: return FakeResponse(.notFound)
            }
        }
        defer { Task { await fake.stop() } }
        let result = try AirlockCLI.run(["push", packed.bundle, "--to", "\(fake.host)/v", "--key", packed.vendorPub])
        #expect(result.status == 8, "\(result.stdout) \(result.stderr)")
        let sentence = "registry \(fake.host)/v/acme/agent denied the operation (403 Forbidden): the account may not write there, or the registry does not accept that name (create the project or repository first, or choose another --to namespace) [DENIED: requested access to the resource is denied]. Nothing was written"
        #expect(result.stderr == "airlock: \(sentence)\n", "\(result.stderr)")
        #expect(manifests.withLockedValue { $0 }.isEmpty, "a manifest was written before the refusal")
        let uploads = fake.requests.filter { $0.method == .PUT || $0.method == .PATCH }
        #expect(uploads.isEmpty, "\(uploads.map(\.path))")
    }

    /// A registry that refuses a manifest for what it is (413 here; MANIFEST_INVALID or 415 alike):
    /// the image is named with the manifest's size and media type, and no image after it is tried.
    @Test func aRefusedManifestStopsTheImagesAfterIt() async throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let puts = NIOLockedValueBox<[String]>([])
        let fake = try await FakeRegistry.start { request in
            let path = request.path
            switch request.method {
            case .GET where path == "/v2/": return FakeResponse(.ok)
            case .POST: return FakeResponse(.accepted, headers: [("Location", "/upload/\(UUID().uuidString)")])
            case .PUT where path.contains("/manifests/"):
                puts.withLockedValue { $0.append(path) }
                return .json(code: 413, #"{"errors":[{"code":"SIZE_INVALID","message":"manifest too large"}]}"#)
            case .PUT, .DELETE: return FakeResponse(.created)
            default: return FakeResponse(.notFound)
            }
        }
        defer { Task { await fake.stop() } }
        let result = try AirlockCLI.run(["push", packed.bundle, "--to", "\(fake.host)/v", "--key", packed.vendorPub, "--concurrency", "1"])
        #expect(result.status == 4, "\(result.stdout) \(result.stderr)")
        let failed = result.stdout.split(separator: "\n").filter { $0.hasPrefix("FAILED ") }
        #expect(failed.count == PackedBundle.expectedRefs.count, "\(result.stdout)")
        let first = try #require(failed.first)
        #expect(first.contains("the registry refused the manifest ") && first.contains(" bytes, application/vnd.") && first.contains("with 413 [SIZE_INVALID: manifest too large]"), "\(first)")
        #expect(failed.dropFirst().allSatisfy { $0.contains("not pushed: the registry refused a manifest of \(fake.host)/v/") }, "\(result.stdout)")
        #expect(puts.withLockedValue { $0 }.count == 1, "manifests tried after the refusal: \(puts.withLockedValue { $0 })")
    }

    /// `--ca-file` given twice trusts both; a file that is no CA says what is wrong with it.
    @Test func caFiles() throws {
        let target = try DevRegistry.start(tls: true, seed: ["agent"])
        defer { target.stop() }
        let caFile = try #require(target.caFile)
        let directory = try TestPaths.temporaryDirectory("ca-files")
        let other = directory.appendingPathComponent("other.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let made = try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                       "-keyout", key, "-out", other, "-subj", "/CN=another CA", "-days", "1"])
        #expect(made.status == 0, "\(made.stderr)")
        let pattern = "\(target.host)/acme/agent:*"

        let both = try AirlockCLI.run(["tags", "--ca-file", caFile, "--ca-file", other, pattern])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.contains("acme/agent:1.4.0"), "\(both.stdout)")

        let text = directory.appendingPathComponent("notes.txt").path
        try "not a certificate\n".write(toFile: text, atomically: true, encoding: .utf8)
        let cases = [
            (key, "holds no certificate"),
            (text, "is not a PEM file"),
            (directory.appendingPathComponent("missing.pem").path, "cannot be read"),
        ]
        for (file, words) in cases {
            let result = try AirlockCLI.run(["tags", "--ca-file", file, pattern])
            #expect(result.status == 2, "\(file): \(result.stderr)")
            #expect(result.stderr.contains(words), "\(file): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
    }

    /// A registry that never stops offering tag pages is cut off by the tag limit with one
    /// sentence and exit 4, in bounded memory (only matching tags are held); one that never
    /// answers at all is given up on at `--request-timeout`, also exit 4.
    @Test func endlessAndSilentRegistriesEndWithASentence() async throws {
        let pages = NIOLockedValueBox(0)
        let fake = try await FakeRegistry.start { request in
            if request.path == "/v2/" { return FakeResponse(.ok) }
            if request.path.hasPrefix("/v2/quiet/") { return FakeResponse(.ok, behaviour: .silent) }
            let page = pages.withLockedValue { $0 += 1; return $0 }
            let tags = (0..<1000).map { "\(page).\($0).0-build.\(String(repeating: "x", count: 40))" }
            let body = try! JSONSerialization.data(withJSONObject: ["name": "acme/app", "tags": tags])
            return FakeResponse(.ok, headers: [("Content-Type", "application/json"), ("Link", "</v2/acme/app/tags/list?page=\(page + 1)>; rel=\"next\"")],
                                body: Array(body))
        }
        defer { Task { await fake.stop() } }
        let rss = try TestPaths.temporaryDirectory("endless-tags").path + "/rss"
        let endless = try run("/usr/bin/time", ["-f", "%M", "-o", rss, AirlockCLI.path, "tags", "\(fake.host)/acme/app:9.*", "--plain-http"])
        #expect(endless.status == 4, "\(endless.stderr)")
        #expect(endless.stderr.split(separator: "\n").count == 1, "\(endless.stderr)")
        #expect(endless.stderr.contains("goes on past 2000000 tags"), "\(endless.stderr)")
        let kib = try #require(Int(try String(contentsOfFile: rss, encoding: .utf8).split(separator: "\n").last ?? ""), "GNU time wrote no peak memory")
        #expect(kib > 0 && kib < 150 * 1024, "peak RSS \(kib) KiB for 2,000,000 listed tags")

        let silent = try AirlockCLI.run(["tags", "\(fake.host)/quiet/app:*", "--plain-http", "--request-timeout", "2", "--retries", "0"])
        #expect(silent.status == 4, "\(silent.stderr)")
        #expect(silent.stderr.split(separator: "\n").count == 1, "\(silent.stderr)")
        #expect(silent.stderr.contains("--request-timeout"), "\(silent.stderr)")
    }
}
