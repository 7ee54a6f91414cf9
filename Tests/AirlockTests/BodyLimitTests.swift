import Foundation
import Testing
import TestSupport

/// A proxy with a request-body limit (nginx, `client_max_body_size 4m`) in front of the site's
/// registry, as enterprise registries have: a 64 MiB layer is refused whole, so push falls back to
/// chunks, halving until they pass, and keeps that size for the rest of the push.
struct BodyLimitTests {
    /// A source registry holding acme/big:1.0 (one 64 MiB incompressible layer and a small one),
    /// built with umoci and copied there with skopeo; returns the source and the image's digest.
    static func bigImage(in work: URL) throws -> (DevRegistry, String) {
        let source = try DevRegistry.start()
        let layout = work.appendingPathComponent("big").path
        let data = work.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let steps: [[String]] = [
            ["umoci", "init", "--layout", layout],
            ["umoci", "new", "--image", layout + ":1"],
            ["sh", "-c", "head -c 67108864 /dev/urandom > '\(data.path)/random' && echo small > '\(data.path)/small'"],
            ["umoci", "insert", "--rootless", "--image", layout + ":1", data.path + "/random", "/random"],
            ["umoci", "insert", "--rootless", "--image", layout + ":1", data.path + "/small", "/small"],
            ["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:\(layout):1", "docker://\(source.host)/acme/big:1.0"],
        ]
        for step in steps {
            let result = try run(step[0], Array(step.dropFirst()))
            guard result.status == 0 else {
                source.stop()
                throw TestError("\(step.joined(separator: " ")): \(result.stderr)")
            }
        }
        return (source, try digest(of: "docker://\(source.host)/acme/big:1.0"))
    }

    /// The manifest digest skopeo reads for `image`; a failing skopeo fails the test.
    static func digest(of image: String) throws -> String {
        let result = try run("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", image])
        guard result.status == 0, result.stdout.hasPrefix("sha256:") else { throw TestError("skopeo inspect \(image): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aBodyLimitFallsBackToHalvingChunks() throws {
        let work = try TestPaths.temporaryDirectory("body-limit")
        let (source, digest) = try Self.bigImage(in: work)
        defer { source.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let proxy = try NginxProxy(upstream: site.host, maxBody: "4m")
        defer { proxy.stop() }

        let key = work.appendingPathComponent("vendor").path
        #expect(try AirlockCLI.run(["keygen", "--out", key]).status == 0)
        let bundle = work.appendingPathComponent("big.tar.zst").path
        let packed = try AirlockCLI.run(["pack", "--image", "\(source.host)/acme/big:1.0", "--name", "big", "--version", "1", "-o", bundle, "--key", key + ".key"])
        #expect(packed.status == 0, "\(packed.stderr)")

        let pushed = try AirlockCLI.run(["push", bundle, "--to", "\(proxy.host)/site", "--key", key + ".pub", "--json"])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any], "\(pushed.stdout)")
        let uploads = try #require(report["uploads"] as? [String: Any])
        #expect(uploads["mode"] as? String == "chunked" && uploads["reason"] as? String == "bodyLimit", "\(uploads)")
        #expect(uploads["chunkSize"] as? Int == 4 << 20, "16 MiB and 8 MiB refused, 4 MiB passes: \(uploads)")
        let log = try proxy.accessLog()
        #expect(log.contains("\" 413 "), "the proxy never refused a body: the limit was not exercised")
        // What the site holds, read past the proxy by skopeo: the same manifest, every blob whole.
        #expect(try Self.digest(of: "docker://\(site.host)/site/acme/big:1.0") == digest)
        let copy = try run("skopeo", ["copy", "-q", "--src-tls-verify=false", "docker://\(site.host)/site/acme/big:1.0", "oci:\(work.path)/pulled:1"])
        #expect(copy.status == 0, "\(copy.stderr)")

        // The text summary names the chunking; --chunk-size sets it from the start.
        let again = try AirlockCLI.run(["push", bundle, "--to", "\(proxy.host)/other", "--key", key + ".pub"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("in 4.0 MiB chunks (the registry refused larger request bodies)"), "\(again.stdout)")
        let chosen = try AirlockCLI.run(["push", bundle, "--to", "\(proxy.host)/third", "--key", key + ".pub", "--chunk-size", "2M"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.stdout.contains("in 2.0 MiB chunks,"), "\(chosen.stdout)")
        #expect(try Self.digest(of: "docker://\(site.host)/third/acme/big:1.0") == digest)
        for bad in ["512K", "3G", "lots"] {
            let refused = try AirlockCLI.run(["push", bundle, "--to", "\(proxy.host)/x", "--key", key + ".pub", "--chunk-size", bad])
            #expect(refused.status == 2 && refused.stderr.contains("--chunk-size"), "\(bad): \(refused.stderr)")
        }
    }

    /// A limit below the smallest chunk: one sentence naming the proxy's setting, exit 4.
    @Test func aLimitBelowTheSmallestChunkIsOneSentence() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let site = try DevRegistry.start()
        defer { site.stop() }
        let proxy = try NginxProxy(upstream: site.host, maxBody: "1k")
        defer { proxy.stop() }
        let pushed = try AirlockCLI.run(["push", packed.bundle, "--to", "\(proxy.host)/site", "--key", packed.vendorPub, "--retries", "0"])
        #expect(pushed.status == 4, "\(pushed.stderr)")
        let said = pushed.stdout + pushed.stderr
        #expect(said.contains("refused a request body of") && said.contains("nothing smaller than 1 MiB chunks") && said.contains("client_max_body_size"), "\(said)")
    }
}
