import Foundation
import Testing
import TestSupport

/// `airlock serve` (issue 16): a read-only registry straight from a bundle, pulled by real clients.
@Suite(.serialized)
struct ServeTests {
    /// A running `airlock serve`, stopped by `stop()`.
    final class Server {
        let process: Process
        let log: URL
        let host: String

        init(_ arguments: [String], log: URL) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process = Process()
            process.executableURL = URL(fileURLWithPath: AirlockCLI.path)
            process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
            process.standardError = try FileHandle(forWritingTo: log)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var found: String?
            for _ in 0..<300 where found == nil {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "on http://127.0.0.1:") {
                    found = String(text[range.upperBound...].prefix { $0.isNumber })
                } else if !process.isRunning {
                    break
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard let port = found else {
                process.terminate()
                throw TestError("serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            host = "127.0.0.1:\(port)"
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func stop() {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
    }

    static func curl(_ arguments: [String]) throws -> ProcessResult {
        try run("curl", ["-s", "--max-time", "30"] + arguments)
    }

    @Test func realClientsPullExactDigests() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let server = try Server([packed.bundle, "--key", packed.vendorPub, "--to-namespace", "mirror"], log: packed.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }

        // Every image, OCI and Docker typed, single and multi-platform, by tag: the source's digest.
        for name in PackedBundle.expectedRefs {
            let raw = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(server.host)/mirror/\(name)"])
            #expect(raw.status == 0, "\(name): \(raw.stderr)")
            #expect("sha256:" + sha256Hex(Array(raw.stdout.utf8)) == (try packed.registry.skopeoDigest(name)), "\(name)")
        }
        let copy = try run("skopeo", ["copy", "--all", "--src-tls-verify=false", "docker://\(server.host)/mirror/acme/operator:2.10.2",
                                      "oci:\(packed.path("copied")):operator"])
        #expect(copy.status == 0, "\(copy.stderr)")

        // A Range read equals the same range from the source registry.
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(
            try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(server.host)/mirror/acme/runtime:8.12.10"]).stdout.utf8)) as? [String: Any])
        let layer = try #require((manifest["layers"] as? [[String: Any]])?.first?["digest"] as? String)
        let ranged = try Self.curl(["-r", "1000-1999", "-o", packed.path("range.served"), "-w", "%{http_code}", "http://\(server.host)/v2/mirror/acme/runtime/blobs/\(layer)"])
        #expect(ranged.stdout == "206")
        _ = try Self.curl(["-r", "1000-1999", "-o", packed.path("range.source"), "\(packed.registry.url)/v2/acme/runtime/blobs/\(layer)"])
        let served = try Data(contentsOf: URL(fileURLWithPath: packed.path("range.served")))
        #expect(served.count == 1000)
        #expect(served == (try Data(contentsOf: URL(fileURLWithPath: packed.path("range.source")))))

        // The catalog and tags page like distribution's.
        let tags = try Self.curl(["-D", "-", "http://\(server.host)/v2/mirror/acme/runtime/tags/list?n=2"])
        #expect(tags.stdout.contains(#"{"name":"mirror/acme/runtime","tags":["7.23.6.0","7.23.6.3"]}"#), "\(tags.stdout)")
        #expect(tags.stdout.contains("Link: </v2/mirror/acme/runtime/tags/list?n=2&last=7.23.6.3>; rel=\"next\""), "\(tags.stdout)")
        let catalog = try Self.curl(["http://\(server.host)/v2/_catalog"])
        #expect(catalog.stdout == #"{"repositories":["mirror/acme/agent","mirror/acme/legacy","mirror/acme/operator","mirror/acme/runtime"]}"#)

        // Writes are refused with the spec's error; unknown names get its codes.
        let put = try Self.curl(["-X", "PUT", "-w", "\n%{http_code}", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json", "-d", "{}",
                                 "http://\(server.host)/v2/mirror/acme/runtime/manifests/evil"])
        #expect(put.stdout.hasSuffix("\n405"), "\(put.stdout)")
        #expect(put.stdout.contains(#""code":"UNSUPPORTED""#))
        let upload = try Self.curl(["-X", "POST", "-w", "%{http_code}", "-o", "/dev/null", "http://\(server.host)/v2/mirror/acme/runtime/blobs/uploads/"])
        #expect(upload.stdout == "405")
        let unknown = try Self.curl(["-w", "\n%{http_code}", "http://\(server.host)/v2/mirror/nope/manifests/1"])
        #expect(unknown.stdout.contains(#""code":"NAME_UNKNOWN""#) && unknown.stdout.hasSuffix("\n404"), "\(unknown.stdout)")
        let noTag = try Self.curl(["-w", "\n%{http_code}", "http://\(server.host)/v2/mirror/acme/runtime/manifests/9.9"])
        #expect(noTag.stdout.contains(#""code":"MANIFEST_UNKNOWN""#) && noTag.stdout.hasSuffix("\n404"), "\(noTag.stdout)")

        // One access-log line per request.
        #expect(server.output.contains("GET /v2/mirror/acme/runtime/blobs/\(layer) 206 1000"), "\(server.output.suffix(2000))")
    }

    @Test func evidenceIsServedAsPushWouldWriteIt() throws {
        let registry = try DevRegistry.start()
        defer { registry.stop() }
        let source = try EvidenceSource.seed(registry.host)
        let bundle = source.path("evidence.tar.zst")
        let packed = try AirlockCLI.run(["pack", "--image", "\(registry.host)/evidence/signed:1.0", "--name", "e", "--version", "1", "-o", bundle, "--key", source.vendorKey])
        #expect(packed.status == 0, "\(packed.stderr)")
        // --cosign-key: a key that signed no image refuses to start; the signer's key serves.
        let unsigned = try AirlockCLI.run(["serve", bundle, "--key", source.vendorPub, "--cosign-key", source.key("other.pub"), "--listen", "127.0.0.1:0"])
        #expect(unsigned.status == 3 && unsigned.stderr.contains("signed by another key") && !unsigned.stderr.contains("serving"), "\(unsigned.stderr)")
        let server = try Server([bundle, "--key", source.vendorPub, "--cosign-key", source.key("signer.pub")],
                                log: source.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let subject = source.image("evidence/signed:1.0")
        // The Referrers API lists the referrers the bundle carries (distribution 2.8 itself has none).
        let referrers = try Self.curl(["http://\(server.host)/v2/evidence/signed/referrers/\(subject)"])
        let index = try #require(try JSONSerialization.jsonObject(with: Data(referrers.stdout.utf8)) as? [String: Any])
        let types = (index["manifests"] as? [[String: Any]])?.compactMap { $0["artifactType"] as? String }.sorted()
        #expect(types == ["application/spdx+json", "application/vnd.cncf.notary.signature"], "\(referrers.stdout)")
        let filtered = try Self.curl(["-D", "-", "http://\(server.host)/v2/evidence/signed/referrers/\(subject)?artifactType=application/spdx%2Bjson"])
        #expect(filtered.stdout.contains("OCI-Filters-Applied: artifactType"), "\(filtered.stdout)")
        // cosign's signature tag and the referrers tag index, byte for byte as at the source.
        let hex = subject.dropFirst("sha256:".count)
        for tag in ["sha256-\(hex).sig", "sha256-\(hex)"] {
            let served = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(server.host)/evidence/signed:\(tag)"])
            let original = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/evidence/signed:\(tag)"])
            #expect(served.status == 0 && served.stdout == original.stdout, "\(tag): \(served.stderr)")
        }
    }

    @Test func podmanPullsFromServe() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let server = try Server([packed.bundle, "--key", packed.vendorPub], log: packed.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let storage = packed.path("podman")
        let podman = ["--root", storage + "/root", "--runroot", storage + "/run", "--storage-driver", "vfs"]
        let pulled = try run("timeout", ["120", "podman"] + podman + ["pull", "--tls-verify=false", "\(server.host)/acme/agent:1.4.0"])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let digest = try run("podman", podman + ["image", "inspect", "--format", "{{.Digest}}", "\(server.host)/acme/agent:1.4.0"])
        #expect(digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == (try packed.registry.skopeoDigest("acme/agent:1.4.0")))
        _ = try run("podman", podman + ["system", "reset", "--force"])
    }

    @Test func servesHTTPSAndStopsOnSIGTERM() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let cert = packed.path("serve.crt"), key = packed.path("serve.key")
        let made = try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                                       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert])
        #expect(made.status == 0, "\(made.stderr)")
        let log = packed.directory.appendingPathComponent("serve-tls.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AirlockCLI.path)
        process.arguments = ["serve", packed.bundle, "--key", packed.vendorPub, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key]
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var port: String?
        for _ in 0..<300 where port == nil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "on https://127.0.0.1:") { port = String(text[range.upperBound...].prefix { $0.isNumber }) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let host = "127.0.0.1:\(try #require(port))"
        let ping = try Self.curl(["--cacert", cert, "-w", "%{http_code}", "-o", "/dev/null", "https://\(host)/v2/"])
        #expect(ping.stdout == "200", "\(ping.stdout) \(ping.stderr)")
        let raw = try Self.curl(["--cacert", cert, "https://\(host)/v2/acme/agent/manifests/1.4.0"])
        #expect("sha256:" + sha256Hex(Array(raw.stdout.utf8)) == (try packed.registry.skopeoDigest("acme/agent:1.4.0")), "\(raw.stderr)")
        let plain = try Self.curl(["-w", "%{http_code}", "-o", "/dev/null", "http://\(host)/v2/"])
        #expect(plain.stdout != "200", "plain HTTP answered on an HTTPS listener")

        // SIGTERM with nothing in flight: it stops at once, exit 0.
        let clock = ContinuousClock()
        let start = clock.now
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(clock.now - start < .seconds(5))
        #expect(((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("airlock: stopping"))
    }

    /// SIGINT with a transfer in flight: the transfer finishes whole within the grace period,
    /// no new connection is accepted meanwhile, and serve then exits 0. The layer (32 MiB of random
    /// bytes) is far larger than what the loopback socket buffers hold, so serve is still sending.
    @Test func aTransferInFlightFinishesAfterSIGINT() throws {
        let big = try BigBundle.shared.get()
        let layer = big.layer, size = big.size
        func path(_ name: String) -> String { big.path("grace-" + name) }
        let server = try Server([big.bundle, "--key", big.publicKey, "--stall-timeout", "2"], log: big.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        // Two clients that ask for the layer and never read are closed by --stall-timeout; a third
        // client gets the layer meanwhile.
        let stalled = try Self.helper(Self.holdStalled, [server.host, "/v2/acme/big/blobs/\(layer)", "2", "60"])
        defer { Self.end(stalled) }
        Thread.sleep(forTimeInterval: 1)
        let third = try Self.curl(["--max-time", "40", "-o", path("third"), "-w", "%{http_code}", "http://\(server.host)/v2/acme/big/blobs/\(layer)"])
        #expect(third.stdout == "200", "a client waited behind two stalled ones: \(third.stdout)")
        #expect("sha256:" + sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: path("third"))))) == layer)
        Self.end(stalled)
        // skopeo asks for "Connection: close": the end of each layer must still reach it (it did not
        // when the close dropped what NIO had not yet written). Three pulls, as it failed by chance.
        for round in 1...3 {
            let pulled = try run("skopeo", ["copy", "-q", "--src-tls-verify=false", "docker://\(server.host)/acme/big:1.0", "dir:" + path("pull-\(round)")])
            #expect(pulled.status == 0, "pull \(round): \(pulled.stderr)")
        }
        // A client that hangs up halfway does not make the layer "damaged" for the next one.
        let cut = try run("timeout", ["1", "curl", "-s", "--limit-rate", "4M", "-o", "/dev/null", "http://\(server.host)/v2/acme/big/blobs/\(layer)"])
        #expect(cut.status == 124, "the first transfer was not cut: \(cut.status)")
        let whole = try Self.curl(["-o", path("whole"), "-w", "%{http_code}", "http://\(server.host)/v2/acme/big/blobs/\(layer)"])
        #expect(whole.stdout == "200", "after a client hung up: \(whole.stdout)")
        #expect("sha256:" + sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: path("whole"))))) == layer)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        // About five seconds for the whole layer, well inside the 10 s grace period.
        slow.arguments = ["-s", "--max-time", "60", "--limit-rate", "\(size / 5)", "-o", path("slow"),
                          "-w", "%{http_code}", "http://\(server.host)/v2/acme/big/blobs/\(layer)"]
        let pipe = Pipe()
        slow.standardOutput = pipe
        try slow.run()
        Thread.sleep(forTimeInterval: 1.5)
        server.process.interrupt()
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.process.isRunning, "serve exited with a transfer in flight")
        let refused = try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://\(server.host)/v2/"])
        #expect(refused.stdout == "000", "a new connection was accepted while stopping: \(refused.stdout)")
        slow.waitUntilExit()
        let code = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(slow.terminationStatus == 0 && code == "200", "curl \(slow.terminationStatus) \(code)")
        let got = try Data(contentsOf: URL(fileURLWithPath: path("slow")))
        #expect("sha256:" + sha256Hex(Array(got)) == layer)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.output.contains("airlock: stopping") && server.output.contains("GET /v2/acme/big/blobs/\(layer) 200 \(size)"),
                "\(server.output.suffix(1000))")
    }

    @Test func containerdPullsFromServe() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let server = try Server([packed.bundle, "--key", packed.vendorPub, "--to-namespace", "site"], log: packed.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let containerd = try PrivateContainerd(root: packed.path("containerd"))
        defer { containerd.stop() }
        let image = "\(server.host)/site/acme/operator:2.10.2"
        let pulled = try containerd.ctr(["images", "pull", "--plain-http", "--all-platforms", image])
        #expect(pulled.status == 0, "\(pulled.stdout)\(pulled.stderr)")
        let listed = try containerd.ctr(["images", "ls"])
        #expect(listed.stdout.contains(try packed.registry.skopeoDigest("acme/operator:2.10.2")), "\(listed.stdout)")
    }

    @Test func refusesToStartOnAWrongKeyAndCutsADamagedBlob() throws {
        let packed = try PackedBundle.make()
        defer { packed.registry.stop() }
        let wrongKey = try AirlockCLI.run(["serve", packed.bundle, "--key", packed.securityPub, "--listen", "127.0.0.1:0"])
        #expect(wrongKey.status == 3, "\(wrongKey.stderr)")
        #expect(!wrongKey.stderr.contains("serving"))

        // A layer's frames damaged after signing: serve starts (the structure holds), but the blob
        // never arrives whole, and is refused afterwards.
        let damaged = packed.path("damaged.tar.zst")
        try FileManager.default.copyItem(atPath: packed.bundle, toPath: damaged)
        let flip = try run("python3", ["-c", Self.flipLargestBlob, damaged])
        #expect(flip.status == 0, "\(flip.stderr)")
        let layer = flip.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try Server([damaged, "--key", packed.vendorPub], log: packed.directory.appendingPathComponent("serve-damaged.log"))
        defer { server.stop() }
        let repository = try #require(try Self.repository(holding: layer, in: packed))
        let first = try Self.curl(["-o", packed.path("got"), "-w", "%{http_code} %{size_download}", "http://\(server.host)/v2/\(repository)/blobs/\(layer)"])
        #expect(first.status != 0, "curl finished a damaged blob: \(first.stdout)")
        let got = (try? Data(contentsOf: URL(fileURLWithPath: packed.path("got")))) ?? Data()
        #expect("sha256:" + sha256Hex(Array(got)) != layer)
        let again = try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://\(server.host)/v2/\(repository)/blobs/\(layer)"])
        #expect(again.stdout == "500", "\(again.stdout)")
    }

    /// The repository (in the layout) of an image that uses `digest`.
    static func repository(holding digest: String, in packed: PackedBundle) throws -> String? {
        for name in PackedBundle.expectedRefs {
            let raw = try run("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(packed.registry.host)/\(name)"])
            if raw.stdout.contains(digest) { return String(name.split(separator: ":")[0]) }
        }
        return nil
    }

    /// Prints the digest and size of the bundle's largest blob (from the seek table).
    static let largestBlob = #"""
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[-12:-4])[0]
table = json.loads(data[-12 - n:-12])
entry = max((e for e in table["entries"] if e["name"].startswith("blobs/sha256/")), key=lambda e: e["size"])
print("sha256:" + entry["name"].rsplit("/", 1)[1], entry["size"])
"""#

    /// Flips one byte in the middle of the largest blob's compressed frames (via the seek table);
    /// prints that blob's digest.
    static let flipLargestBlob = #"""
import json, struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", data[-12:-4])[0]
table = json.loads(data[-12 - n:-12])
entries = [e for e in table["entries"] if e["name"].startswith("blobs/sha256/")]
entry = max(entries, key=lambda e: e["size"])
offset = table["dataOffset"] + sum(f[0] for f in table["frames"][:entry["frame"]])
length = sum(f[0] for f in table["frames"][entry["frame"]:entry["frame"] + entry["frameCount"]])
data[offset + length // 2] ^= 0xFF
open(path, "wb").write(data)
print("sha256:" + entry["name"].rsplit("/", 1)[1])
"""#
}
