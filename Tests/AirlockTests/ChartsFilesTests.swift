import Foundation
import Testing
import TestSupport

/// Helm charts and files (issue 17): laid out as `helm push` and `oras push` lay them out (checked
/// against their published layouts with curl, tar and sha256, since neither tool is installable
/// here), pushed, inspected and extracted byte for byte; bad inputs refused before any fetch.
@Suite(.serialized)
struct ChartsFilesTests {
    /// Talks to the registry's HTTP API directly: pushes an OCI chart (helm's media types) and
    /// reads manifests and blobs, independently of airlock.
    static let registryClient = #"""
    import hashlib, json, sys, urllib.request
    def call(method, url, data=None, headers={}):
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    def blob(base, repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        _, headers, _ = call("POST", f"{base}/v2/{repo}/blobs/uploads/")
        location = headers["Location"]
        if location.startswith("/"): location = base + location
        call("PUT", location + ("&" if "?" in location else "?") + "digest=" + digest, data, {"Content-Type": "application/octet-stream"})
        return {"mediaType": "", "digest": digest, "size": len(data)}
    command, base = sys.argv[1], sys.argv[2]
    if command == "chart":
        repo, version, tgz = sys.argv[3], sys.argv[4], sys.argv[5]
        data = open(tgz, "rb").read()
        config = json.dumps({"name": repo.split("/")[-1], "version": version, "apiVersion": "v2"}, separators=(",", ":")).encode()
        c = blob(base, repo, config); c["mediaType"] = sys.argv[6] if len(sys.argv) > 6 else "application/vnd.cncf.helm.config.v1+json"
        l = blob(base, repo, data); l["mediaType"] = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
        manifest = json.dumps({"schemaVersion": 2, "config": c, "layers": [l]}, separators=(",", ":")).encode()
        call("PUT", f"{base}/v2/{repo}/manifests/{version}", manifest, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        print("sha256:" + hashlib.sha256(manifest).hexdigest())
    elif command == "manifest":
        _, _, body = call("GET", f"{base}/v2/{sys.argv[3]}/manifests/{sys.argv[4]}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        sys.stdout.write(body.decode())
    elif command == "blob":
        _, _, body = call("GET", f"{base}/v2/{sys.argv[3]}/blobs/{sys.argv[4]}")
        open(sys.argv[5], "wb").write(body)
    elif command == "tags":
        _, _, body = call("GET", f"{base}/v2/{sys.argv[3]}/tags/list")
        print(" ".join(sorted(json.loads(body)["tags"])))
    """#

    struct Workspace {
        let directory: URL
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func write(_ name: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        }

        /// `helm package`'s shape: NAME/Chart.yaml, values.yaml, templates/, as NAME-VERSION.tgz.
        func chart(_ name: String, version: String, values: String = "replicaCount: 1\n", chartYAML: String? = nil) throws -> String {
            let source = "src-\(name)-\(version)"
            try write("\(source)/\(name)/Chart.yaml", chartYAML ?? "apiVersion: v2\nname: \(name)\nversion: \(version)\nappVersion: \"\(version)\"\ndescription: The <\(name)> chart & more\n")
            try write("\(source)/\(name)/values.yaml", values)
            try write("\(source)/\(name)/templates/deployment.yaml", "kind: Deployment\n")
            let archive = path("\(name)-\(version).tgz")
            let made = try run("tar", ["-czf", archive, "-C", path(source), name])
            guard made.status == 0 else { throw TestError("tar: \(made.stderr)") }
            return archive
        }

        func client(_ arguments: [String]) throws -> String {
            let result = try run("python3", ["-c", ChartsFilesTests.registryClient] + arguments)
            guard result.status == 0 else { throw TestError("registry client \(arguments.prefix(2)): \(result.stderr)") }
            return result.stdout
        }

        func sha256(_ file: String) throws -> String {
            "sha256:" + sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        }
    }

    func workspace() throws -> Workspace {
        let workspace = Workspace(directory: try TestPaths.temporaryDirectory("charts"))
        let keygen = try AirlockCLI.run(["keygen", "--out", workspace.path("vendor"), "--type", "ed25519"])
        guard keygen.status == 0 else { throw TestError("keygen: \(keygen.stderr)") }
        return workspace
    }

    @Test func chartsAndFilesPackPushInspectAndExtractByteForByte() throws {
        let source = try DevRegistry.start()
        defer { source.stop() }
        let w = try workspace()
        var seeded: [String: (tgz: String, digest: String)] = [:]
        for version in ["2.9.0", "2.10.1", "2.10.2"] {
            let tgz = try w.chart("acme", version: version)
            let digest = try w.client(["chart", source.url, "charts/acme", version, tgz]).trimmingCharacters(in: .whitespacesAndNewlines)
            seeded[version] = (tgz, digest)
        }
        // An image's manifest under a chart repository is not a chart: refused, by name.
        _ = try w.client(["chart", source.url, "charts/notachart", "1.0.0", try #require(seeded["2.9.0"]?.tgz), "application/vnd.oci.image.config.v1+json"])
        let notChart = try AirlockCLI.run(["pack", "--chart", "\(source.host)/charts/notachart:1.*", "--name", "n", "--version", "1", "-o", w.path("n.tar.zst")])
        #expect(notChart.status == 2 && notChart.stderr.contains("is not a Helm chart"), "\(notChart.stderr)")

        let local = try w.chart("webapp", version: "1.2.3+build.7", values: """
            image:
              repository: example.com/acme/webapp
              tag: "9.9"
            sidecar:
              image: busybox:1.36
            """)
        try w.write("release/install.sh", "#!/bin/sh\necho installing\n")
        chmod(w.path("release/install.sh"), 0o755)
        try w.write("release/docs/README.md", "# Read me\n")
        try w.write("release/docs/guide/setup.txt", "step 1\nstep 2\n")
        try FileManager.default.createSymbolicLink(atPath: w.path("release/docs/latest.md"), withDestinationPath: "README.md")
        try w.write("release/spec.yaml", """
            name: acme-release
            version: 2.10.2
            charts:
              - ref: \(source.host)/charts/acme
                versions: ["2.10.*"]
              - path: ../webapp-1.2.3+build.7.tgz
            files:
              - path: install.sh
              - path: docs/
                name: Docs
            """)
        let bundle = w.path("release.tar.zst")
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        let packed = try AirlockCLI.run(["pack", w.path("release/spec.yaml"), "-o", bundle, "--key", w.path("vendor.key"), "--json"], environment: environment)
        #expect(packed.status == 0, "\(packed.stderr)")
        // values.yaml names two images the bundle lacks: one warning each.
        #expect(packed.stderr.contains("image.repository names example.com/acme/webapp:9.9"), "\(packed.stderr)")
        #expect(packed.stderr.contains("sidecar.image names busybox:1.36"), "\(packed.stderr)")
        #expect(try violations("pack", packed.stdout) == nil)

        // Deterministic: the same inputs and time give the same bytes (Ed25519 signatures too).
        let again = try AirlockCLI.run(["pack", w.path("release/spec.yaml"), "-o", w.path("again.tar.zst"), "--key", w.path("vendor.key"), "-q"], environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try w.sha256(bundle) == w.sha256(w.path("again.tar.zst")))

        let inspect = try AirlockCLI.run(["inspect", bundle])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("airlock bundle 1.2"))
        #expect(inspect.stdout.contains("charts (3)") && inspect.stdout.contains("files (2)"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("webapp") && inspect.stdout.contains("1.2.3+build.7") && inspect.stdout.contains("install.sh") && inspect.stdout.contains("Docs"))
        #expect(!inspect.stdout.contains("2.9.0"), "a version outside the pattern is absent")
        let inspectJSON = try AirlockCLI.run(["inspect", bundle, "--json"])
        #expect(try violations("inspect", inspectJSON.stdout) == nil)

        // Push, then read the layouts back through the registry's own API.
        let target = try DevRegistry.start()
        defer { target.stop() }
        let before = try AirlockCLI.run(["diff", "--against", "\(target.host)/vendor", bundle])
        #expect(before.status == 1 && before.stdout.contains("vendor/charts/webapp:1.2.3_build.7") && before.stdout.contains("vendor/files/docs:2.10.2"), "\(before.stdout)")
        let pushed = try AirlockCLI.run(["push", bundle, "--to", "\(target.host)/vendor", "--key", w.path("vendor.pub"), "--mapping", w.path("map.json"), "--json",
                                         "--mirror-config", w.path("mirrors")])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(try violations("push", pushed.stdout) == nil)
        // Mirror configuration maps the registry chart's upstream; local charts and files have none.
        let hostDirectories = try FileManager.default.contentsOfDirectory(atPath: w.path("mirrors/containerd/certs.d"))
        #expect(hostDirectories == [source.host], "\(hostDirectories)")
        let registriesConf = try String(contentsOfFile: w.path("mirrors/registries.conf"), encoding: .utf8)
        #expect(registriesConf.contains("\(source.host)/charts/acme") && !registriesConf.contains("\"charts/webapp") && !registriesConf.contains("\"files/"),
                "\(registriesConf)")
        // kustomize's images: list is for container images: no chart, no file (this bundle has none else).
        let kustomization = try String(contentsOfFile: w.path("mirrors/kustomization.yaml"), encoding: .utf8)
        #expect(!kustomization.contains("charts/") && !kustomization.contains("files/"), "\(kustomization)")
        let pushedKinds = (try JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any])?["images"] as? [[String: Any]]
        #expect(pushedKinds?.isEmpty == false && pushedKinds?.allSatisfy { image in
            let target = image["target"] as? String ?? ""
            return (image["kind"] as? String) == (target.contains("/charts/") ? "chart" : target.contains("/files/") ? "file" : nil)
        } == true, "push --json marks charts and files: \(pushed.stdout)")
        #expect(try w.client(["tags", target.url, "vendor/charts/acme"]).trimmingCharacters(in: .whitespacesAndNewlines) == "2.10.1 2.10.2")
        let acme = try w.client(["manifest", target.url, "vendor/charts/acme", "2.10.2"])
        #expect("sha256:" + sha256Hex(Array(acme.utf8)) == seeded["2.10.2"]?.digest, "a registry chart keeps its digest")

        // The local chart: helm push's layout; the layer is the .tgz byte for byte.
        let chartManifest = try #require(try JSONSerialization.jsonObject(with: Data(try w.client(["manifest", target.url, "vendor/charts/webapp", "1.2.3_build.7"]).utf8)) as? [String: Any])
        let config = try #require(chartManifest["config"] as? [String: Any])
        #expect(config["mediaType"] as? String == "application/vnd.cncf.helm.config.v1+json")
        #expect(chartManifest["mediaType"] == nil, "helm push writes no mediaType member")
        let layers = try #require(chartManifest["layers"] as? [[String: Any]])
        #expect(layers.count == 1 && layers[0]["mediaType"] as? String == "application/vnd.cncf.helm.chart.content.v1.tar+gzip")
        #expect(layers[0]["digest"] as? String == (try w.sha256(local)))
        let annotations = try #require(chartManifest["annotations"] as? [String: String])
        #expect(annotations["org.opencontainers.image.title"] == "webapp" && annotations["org.opencontainers.image.version"] == "1.2.3+build.7")
        #expect(annotations["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z")
        _ = try w.client(["blob", target.url, "vendor/charts/webapp", try #require(config["digest"] as? String), w.path("config.json")])
        let configText = try String(contentsOfFile: w.path("config.json"), encoding: .utf8)
        #expect(configText == #"{"name":"webapp","version":"1.2.3+build.7","description":"The \u003cwebapp\u003e chart \u0026 more","apiVersion":"v2","appVersion":"1.2.3+build.7"}"#)
        _ = try w.client(["blob", target.url, "vendor/charts/webapp", try #require(layers[0]["digest"] as? String), w.path("layer.tgz")])
        let listing = try run("tar", ["-tzf", w.path("layer.tgz")])
        #expect(listing.stdout.split(separator: "\n").contains("webapp/Chart.yaml"), "\(listing.stdout)")

        // A file: ORAS's layout, its exact bytes through the blob API.
        let fileManifest = try #require(try JSONSerialization.jsonObject(with: Data(try w.client(["manifest", target.url, "vendor/files/install.sh", "2.10.2"]).utf8)) as? [String: Any])
        #expect(fileManifest["artifactType"] as? String == "application/vnd.airlock.file.v1")
        #expect((fileManifest["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.oci.empty.v1+json")
        let fileLayer = try #require((fileManifest["layers"] as? [[String: Any]])?.first)
        #expect((fileLayer["annotations"] as? [String: String])?["org.opencontainers.image.title"] == "install.sh")
        _ = try w.client(["blob", target.url, "vendor/files/install.sh", try #require(fileLayer["digest"] as? String), w.path("install.copy")])
        #expect(try Data(contentsOf: URL(fileURLWithPath: w.path("install.copy"))) == Data(contentsOf: URL(fileURLWithPath: w.path("release/install.sh"))))
        let folderManifest = try #require(try JSONSerialization.jsonObject(with: Data(try w.client(["manifest", target.url, "vendor/files/docs", "2.10.2"]).utf8)) as? [String: Any])
        let folderLayer = try #require((folderManifest["layers"] as? [[String: Any]])?.first)
        #expect((folderLayer["annotations"] as? [String: String])?["io.deis.oras.content.unpack"] == "true")
        #expect(folderLayer["mediaType"] as? String == "application/vnd.oci.image.layer.v1.tar+gzip")

        let after = try AirlockCLI.run(["diff", "--against", "\(target.host)/vendor", bundle])
        #expect(after.status == 0, "\(after.stdout)")
        let mapping = try String(contentsOfFile: w.path("map.json"), encoding: .utf8)
        #expect(mapping.contains("\(target.host)/vendor/charts/webapp:1.2.3_build.7") && mapping.contains("\(target.host)/vendor/files/install.sh:2.10.2"))

        // serve: the same names and bytes, straight from the bundle.
        let server = try ServeTests.Server([bundle, "--key", w.path("vendor.pub")], log: w.directory.appendingPathComponent("serve.log"))
        defer { server.stop() }
        let served = try w.client(["manifest", "http://\(server.host)", "charts/webapp", "1.2.3_build.7"])
        #expect(served == (try w.client(["manifest", target.url, "vendor/charts/webapp", "1.2.3_build.7"])))
        _ = try w.client(["blob", "http://\(server.host)", "files/install.sh", try #require(fileLayer["digest"] as? String), w.path("install.served")])
        #expect(try w.sha256(w.path("install.served")) == w.sha256(w.path("release/install.sh")))

        // Extract: the same bytes back, by name; nothing replaced without --force.
        let out = w.path("out")
        let extracted = try AirlockCLI.run(["extract", bundle, "--to-dir", out, "--key", w.path("vendor.pub"), "--json"])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(try violations("extract", extracted.stdout) == nil)
        for version in ["2.10.1", "2.10.2"] {
            #expect(try w.sha256("\(out)/acme-\(version).tgz") == w.sha256(try #require(seeded[version]?.tgz)))
        }
        #expect(!FileManager.default.fileExists(atPath: "\(out)/acme-2.9.0.tgz"))
        #expect(try w.sha256("\(out)/webapp-1.2.3+build.7.tgz") == w.sha256(local))
        #expect(try w.sha256("\(out)/install.sh") == w.sha256(w.path("release/install.sh")))
        let same = try run("diff", ["-r", "--no-dereference", w.path("release/docs"), "\(out)/Docs"])
        #expect(same.status == 0, "\(same.stdout)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(out)/Docs/latest.md") == "README.md")
        let clash = try AirlockCLI.run(["extract", bundle, "--to-dir", out, "--key", w.path("vendor.pub")])
        #expect(clash.status == 6 && clash.stderr.contains("already exists"), "\(clash.stderr)")
        let forced = try AirlockCLI.run(["extract", bundle, "--to-dir", out, "--key", w.path("vendor.pub"), "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")

        // A byte flipped in the local chart's layer: exit 3, and no name appears, not even the
        // charts and files that come before it.
        let damaged = w.path("damaged.tar.zst")
        try FileManager.default.copyItem(atPath: bundle, toPath: damaged)
        let layerHex = String(try w.sha256(local).dropFirst(7))
        let flip = try run("python3", ["-c", """
            import json, struct, sys
            path, name = sys.argv[1], "blobs/sha256/" + sys.argv[2]
            data = bytearray(open(path, "rb").read())
            n = struct.unpack("<Q", data[-12:-4])[0]
            table = json.loads(data[-12 - n:-12])
            entry = next(e for e in table["entries"] if e["name"] == name)
            offset = table["dataOffset"] + sum(f[0] for f in table["frames"][:entry["frame"]])
            data[offset + table["frames"][entry["frame"]][0] // 2] ^= 0x01
            open(path, "wb").write(data)
            """, damaged, layerHex])
        #expect(flip.status == 0, "\(flip.stderr)")
        let fresh = w.path("fresh")
        let refused = try AirlockCLI.run(["extract", damaged, "--to-dir", fresh, "--key", w.path("vendor.pub")])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fresh)) ?? []).isEmpty)
    }

    /// Each bad input is one sentence and exit 2, and nothing is fetched: the image in the same
    /// pack names a registry that is not there (a fetch would end in status 4).
    @Test func badChartsAndFilesAreRefusedBeforeAnythingIsFetched() throws {
        let w = try workspace()
        try w.write("nochart/notes.txt", "no chart here\n")
        _ = try run("tar", ["-czf", w.path("nochart.tgz"), "-C", w.path("nochart"), "notes.txt"])
        try w.write("folder/inside.txt", "fine\n")
        try FileManager.default.createSymbolicLink(atPath: w.path("folder/escape"), withDestinationPath: "../../etc")
        let noVersion = try w.chart("broken", version: "1.0.0", chartYAML: "apiVersion: v2\nname: broken\n")
        try w.write("text.tgz", "not an archive at all\n")
        let unreachable = "127.0.0.1:\(try freePort())/acme/app:1.0"
        let cases: [(arguments: [String], expected: String)] = [
            (["--chart", w.path("nochart.tgz")], "holds no Chart.yaml"),
            (["--file", w.path("missing.txt")], "does not exist"),
            (["--file", w.path("folder")], "points outside"),
            (["--chart", noVersion], "without a valid version"),
            (["--chart", w.path("text.tgz")], "not a gzip-compressed tar archive"),
        ]
        for (arguments, expected) in cases {
            let result = try AirlockCLI.run(["pack", "--image", unreachable, "--name", "r", "--version", "1", "-o", w.path("r.tar.zst")] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one sentence: \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: w.path("r.tar.zst")))
        }
    }

    func violations(_ schema: String, _ output: String) throws -> String? {
        let checked = try run("python3", [TestPaths.script("check-json.py"), TestPaths.repoRoot.appendingPathComponent("format-spec/json/\(schema).schema.json").path], input: Data(output.utf8))
        return checked.status == 0 ? nil : checked.stdout + checked.stderr
    }
}
